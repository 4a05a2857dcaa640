// The setup guides each platform and source writes in its own folder (bots/<platform>/setup.ts,
// lib/<source>/setup.ts), as the admin page shows them: every one has a guide, every URL it gives to copy is one
// Parley really serves (the adapters' and sources' own routes, registered on a Fastify app), and without
// PARLEY_PUBLIC_URL no copy value is a broken URL.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import Fastify from 'fastify';
import { PLATFORMS } from '../../bots/registry.js';
import { loadConfig } from '../../lib/config.js';
import { silentLogger } from '../../lib/log.js';
import type { AdapterDeps, SetupGuide } from '../../lib/seams/platform.js';
import { SOURCES } from '../../lib/sources.js';
import { openStore } from '../../lib/store/index.js';

const PUBLIC_URL = 'https://parley.example.org/chat';
/** Nothing listens there: an adapter that tried to reach its platform while being created would fail, not hang. */
const NOWHERE = 'http://127.0.0.1:9';

/** Every platform and source, configured so that each registers the HTTP routes it has (webhook modes, not sockets). */
const ENV = {
  PARLEY_PUBLIC_URL: PUBLIC_URL,
  PARLEY_TELEGRAM_TOKEN: '123456:ABC-setup-test',
  PARLEY_TELEGRAM_MODE: 'webhook',
  PARLEY_TELEGRAM_WEBHOOK_SECRET: 'setup-test-secret',
  PARLEY_TELEGRAM_API_ROOT: NOWHERE,
  PARLEY_MATTERMOST_URL: NOWHERE,
  PARLEY_MATTERMOST_COMMAND_TOKEN: 'mm-command-token',
  PARLEY_SLACK_BOT_TOKEN: 'xoxb-setup-test',
  PARLEY_SLACK_SIGNING_SECRET: 'slack-signing-secret',
  PARLEY_SLACK_API_URL: NOWHERE,
  PARLEY_DISCORD_TOKEN: 'discord-setup-test',
  PARLEY_DISCORD_APPLICATION_ID: '123456789012345678',
  PARLEY_DISCORD_PUBLIC_KEY: 'a'.repeat(64),
  PARLEY_DISCORD_MODE: 'interactions',
  PARLEY_DISCORD_API_URL: NOWHERE,
  PARLEY_DISCOURSE_URL: 'https://forum.example.org',
  PARLEY_DISCOURSE_WEBHOOK_SECRET: 'discourse-secret-123',
  PARLEY_GITLAB_URL: 'https://gitlab.example.org',
  PARLEY_GITLAB_TOKEN: 'glpat-setup-test',
  PARLEY_GITLAB_WEBHOOK_SECRET: 'gitlab-secret-123',
};

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

const guides = (publicUrl: string | null): [string, SetupGuide | undefined][] => [
  ...PLATFORMS.map((p) => [p.profile.name, p.setup?.({ publicUrl })] as [string, SetupGuide | undefined]),
  ...SOURCES.map((s) => [s.name, s.setup?.({ publicUrl })] as [string, SetupGuide | undefined]),
];

const copies = (guide: SetupGuide | undefined) => (guide?.steps ?? []).flatMap((s) => (s.copy ? [s.copy] : []));

/** `POST /path` of every route the platforms' adapters and the sources register, configured as ENV says. */
async function servedRoutes(): Promise<Set<string>> {
  const config = loadConfig(ENV, PLATFORMS);
  const store = await openStore({ kind: 'sqlite', path: ':memory:' });
  const app = Fastify();
  cleanups.push(async () => {
    await app.close();
    await store.close();
  });
  const routes = new Set<string>();
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.add(`${method} ${route.url}`);
  });
  const deps: AdapterDeps = {
    log: silentLogger,
    store,
    handleCommand: async () => ({ text: '', visibility: 'ephemeral' }),
    handleMembership: async () => null,
    messageLog: { record: async () => {}, forget: () => {} },
  };
  // Created, never started: only their routes are wanted.
  for (const platform of config.platforms) (await platform.create(deps)).registerRoutes?.(app);
  for (const source of SOURCES) source.registerHook(app, config, { log: silentLogger, accept: async () => {} });
  await app.ready();
  return routes;
}

describe('setup guides', () => {
  test('every platform of the registry and every source has one, with steps', () => {
    for (const [name, guide] of guides(PUBLIC_URL)) {
      assert.ok(guide, `${name} has a setup guide`);
      assert.ok(guide.steps.length > 0, `${name}'s guide has steps`);
      for (const step of guide.steps) {
        assert.ok(step.text.trim().length > 0, `${name}: a step has text`);
        if (step.url !== undefined) assert.match(step.url, /^https:\/\/[\w.-]+/u, `${name}: ${step.url} is a page to open`);
      }
    }
  });

  test('every URL to copy starts with PARLEY_PUBLIC_URL and is a route Parley serves', async () => {
    const routes = await servedRoutes();
    let seen = 0;
    for (const [name, guide] of guides(PUBLIC_URL)) {
      for (const copy of copies(guide)) {
        seen++;
        assert.ok(copy.value.startsWith(`${PUBLIC_URL}/`), `${name}: ${copy.label} ${copy.value} starts with ${PUBLIC_URL}`);
        const path = copy.value.slice(PUBLIC_URL.length);
        assert.ok(routes.has(`POST ${path}`), `${name}: ${copy.label} ${path} is served (served: ${[...routes].join(', ')})`);
      }
    }
    // Telegram, Mattermost (twice), Slack (twice), Discord, Discourse, GitLab.
    assert.ok(seen >= 8, `${seen} URLs to copy`);
  });

  test('without PARLEY_PUBLIC_URL no value to copy is a broken URL: each says to set it', () => {
    for (const [name, guide] of guides(null)) {
      for (const copy of copies(guide)) {
        assert.doesNotMatch(copy.value, /null|undefined|^\/|^https?:/u, `${name}: ${copy.label} ${copy.value}`);
        assert.match(copy.value, /PARLEY_PUBLIC_URL/u, `${name}: ${copy.label} says what to set`);
      }
    }
  });

  test('every download is a command of the platform, and runs with PARLEY_PUBLIC_URL set', () => {
    for (const factory of PLATFORMS) {
      for (const download of factory.setup?.({ publicUrl: PUBLIC_URL }).downloads ?? []) {
        const command = factory.commands.find((c) => c.name === download.command);
        assert.ok(command, `${factory.profile.name}: ${download.command} is one of its commands`);
        const text = command.run({ vars: {}, shared: { publicUrl: PUBLIC_URL }, flags: download.flags ?? {} });
        assert.ok(text.length > 0, `${factory.profile.name} ${download.command} prints something`);
      }
    }
    assert.ok(PLATFORMS.find((p) => p.profile.name === 'slack')?.setup?.({ publicUrl: null }).downloads?.some((d) => d.command === 'manifest'), "Slack's guide offers its manifest");
  });
});
