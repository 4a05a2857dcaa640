// The admin API's platforms and sources (cli/admin/routes-platforms.ts) on a Fastify app of its own, as
// admin-api.test.ts builds it, with a configuration read by loadConfig where Telegram, Slack and Discourse are set
// up and the rest is not: what is configured and connected, which variables are set (never their values), each
// guide from the platform's own folder, and Slack's manifest as a download.
import SwaggerParser from '@apidevtools/swagger-parser';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { parse } from 'yaml';
import { PLATFORMS } from '../../bots/registry.js';
import { loadConfig } from '../../lib/config.js';
import { buildAdminApi } from '../helpers/admin-api.js';

const TOKEN = 'tok-admin-platforms-4b8e1d6f2a';
const PUBLIC_URL = 'https://parley.example.org';

/** Every value here that is a secret: none may appear anywhere in an answer. */
const SECRETS = {
  PARLEY_TELEGRAM_TOKEN: '987654:AAsecret-telegram-token',
  PARLEY_SLACK_BOT_TOKEN: 'xoxb-secret-slack-bot-token',
  PARLEY_SLACK_SIGNING_SECRET: 'secret-slack-signing-value',
  PARLEY_DISCOURSE_WEBHOOK_SECRET: 'secret-discourse-hook-value',
  PARLEY_DISCOURSE_API_KEY: 'secret-discourse-api-key',
};
const ENV = { ...SECRETS, PARLEY_PUBLIC_URL: PUBLIC_URL, PARLEY_DISCOURSE_URL: 'https://forum.example.org' };

async function build(env: NodeJS.ProcessEnv = ENV): Promise<FastifyInstance> {
  const checks = {
    database: async () => ({ ok: true }),
    telegram: async () => ({ ok: true }),
    slack: async (): Promise<{ ok: boolean }> => {
      throw new Error('invalid_auth');
    },
  };
  return (await buildAdminApi({ token: TOKEN, config: loadConfig({ ...env }, PLATFORMS), env, checks })).app;
}

const get = (app: FastifyInstance, url: string) => app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${TOKEN}` } });

interface Guide {
  steps: { text: string; url?: string; copy?: { label: string; value: string } }[];
  downloads?: { label: string; command: string }[];
}
interface Platform {
  name: string;
  configured: boolean;
  connected: { ok: boolean; detail?: string } | null;
  variables: { name: string; meaning: string; set: boolean }[];
  channelOptions: { key: string; secret: boolean }[];
  setup: Guide | null;
  downloads: { label: string; command: string; path: string; file: string | null }[];
}
interface Source {
  name: string;
  configured: boolean;
  connected: unknown;
  variables: { name: string; set: boolean }[];
  setup: Guide | null;
}

function assertNoSecret(body: string) {
  for (const [name, value] of Object.entries(SECRETS)) assert.ok(!body.includes(value), `the value of ${name} is not in the answer`);
}

describe('admin API: platforms and sources', () => {
  test('GET /api/platforms: every platform, configured and connected as set, its variables set or not and never their values', async () => {
    const app = await build();
    const res = await get(app, '/api/platforms');
    assert.equal(res.statusCode, 200, res.body);
    assertNoSecret(res.body);
    const platforms = res.json<Platform[]>();
    assert.deepEqual(platforms.map((p) => p.name), PLATFORMS.map((p) => p.profile.name));
    const by = Object.fromEntries(platforms.map((p) => [p.name, p]));

    assert.deepEqual(Object.fromEntries(platforms.map((p) => [p.name, p.configured])), { telegram: true, mattermost: false, slack: true, discord: false, matrix: false, irc: false });
    assert.deepEqual(by.telegram!.connected, { ok: true });
    assert.deepEqual(by.slack!.connected, { ok: false, detail: 'invalid_auth' });
    assert.equal(by.mattermost!.connected, null, 'not configured: no health check');

    const set = (p: Platform) => Object.fromEntries(p.variables.map((v) => [v.name, v.set]));
    assert.deepEqual(set(by.telegram!), { PARLEY_TELEGRAM_TOKEN: true, PARLEY_TELEGRAM_API_ROOT: false, PARLEY_TELEGRAM_MODE: false, PARLEY_TELEGRAM_WEBHOOK_SECRET: false });
    assert.deepEqual(set(by.slack!), { PARLEY_SLACK_BOT_TOKEN: true, PARLEY_SLACK_SIGNING_SECRET: true, PARLEY_SLACK_APP_TOKEN: false, PARLEY_SLACK_API_URL: false });
    assert.ok(by.mattermost!.variables.every((v) => !v.set));
    for (const p of platforms) for (const v of p.variables) assert.deepEqual(Object.keys(v).sort(), ['meaning', 'name', 'set'], `${p.name}: ${v.name} has no value`);
    assert.deepEqual(by.mattermost!.channelOptions.map((o) => [o.key, o.secret]), [['webhookUrl', true]]);

    // The guides come from the platforms' folders, with Parley's URLs ready to copy.
    for (const p of platforms) assert.ok(p.setup && p.setup.steps.length > 0, `${p.name} has a guide`);
    const copied = by.slack!.setup!.steps.flatMap((s) => (s.copy ? [s.copy.value] : []));
    assert.deepEqual(copied, [`${PUBLIC_URL}/hooks/slack/commands`, `${PUBLIC_URL}/hooks/slack/events`]);
    assert.ok(by.slack!.setup!.steps.some((s) => s.url === 'https://api.slack.com/apps'));
    assert.deepEqual(
      by.slack!.downloads.map((d) => d.path),
      ['/api/platforms/slack/downloads/manifest', '/api/platforms/slack/downloads/manifest?socketMode=true'],
    );
    assert.deepEqual(by.telegram!.downloads, []);
  });

  test("GET /api/sources: Discourse configured, GitLab not, each with its webhook URL and no secret's value", async () => {
    const app = await build();
    const res = await get(app, '/api/sources');
    assert.equal(res.statusCode, 200, res.body);
    assertNoSecret(res.body);
    const sources = res.json<Source[]>();
    assert.deepEqual(sources.map((s) => [s.name, s.configured, s.connected]), [['discourse', true, null], ['gitlab', false, null]]);
    const discourse = sources[0]!;
    assert.equal(discourse.variables.find((v) => v.name === 'PARLEY_DISCOURSE_WEBHOOK_SECRET')?.set, true);
    assert.equal(discourse.variables.find((v) => v.name === 'PARLEY_DISCOURSE_ALLOW_UNSIGNED')?.set, false);
    assert.ok(discourse.variables.every((v) => v.name.startsWith('PARLEY_DISCOURSE_')));
    assert.ok(sources[1]!.variables.every((v) => v.name.startsWith('PARLEY_GITLAB_') && !v.set));
    assert.deepEqual(discourse.setup!.steps.flatMap((s) => (s.copy ? [s.copy.value] : [])), [`${PUBLIC_URL}/hooks/discourse`]);
    assert.deepEqual(sources[1]!.setup!.steps.flatMap((s) => (s.copy ? [s.copy.value] : [])), [`${PUBLIC_URL}/hooks/gitlab`]);
  });

  test("Slack's manifest downloads as YAML naming Parley's request URLs; Socket Mode's names none", async () => {
    const app = await build();
    const res = await get(app, '/api/platforms/slack/downloads/manifest');
    assert.equal(res.statusCode, 200, res.body);
    assert.match(String(res.headers['content-type']), /^application\/yaml/u);
    assert.match(String(res.headers['content-disposition']), /attachment; filename="parley-slack-manifest\.yaml"/u);
    assertNoSecret(res.body);
    const manifest = parse(res.body) as { settings: { event_subscriptions: { request_url?: string } }; features: { slash_commands: { command: string; url?: string }[] } };
    assert.equal(manifest.settings.event_subscriptions.request_url, `${PUBLIC_URL}/hooks/slack/events`);
    assert.ok(manifest.features.slash_commands.length > 0);
    for (const c of manifest.features.slash_commands) assert.equal(c.url, `${PUBLIC_URL}/hooks/slack/commands`);

    const socket = await get(app, '/api/platforms/slack/downloads/manifest?socketMode=true');
    assert.equal(socket.statusCode, 200, socket.body);
    assert.match(String(socket.headers['content-disposition']), /socket-mode\.yaml/u);
    const socketManifest = parse(socket.body) as { settings: { socket_mode_enabled: boolean; event_subscriptions: { request_url?: string } } };
    assert.equal(socketManifest.settings.socket_mode_enabled, true);
    assert.equal(socketManifest.settings.event_subscriptions.request_url, undefined);

    const named = await get(app, '/api/platforms/slack/downloads/manifest?name=Forum%20bot');
    assert.equal((parse(named.body) as { display_information: { name: string } }).display_information.name, 'Forum bot');
  });

  test('downloads: 404 for an unknown platform or command, 400 for a flag the command does not take, 409 for what it lacks', async () => {
    const app = await build();
    for (const url of ['/api/platforms/nope/downloads/manifest', '/api/platforms/slack/downloads/nope', '/api/platforms/telegram/downloads/manifest']) {
      const res = await get(app, url);
      assert.equal(res.statusCode, 404, `${url}: ${res.body}`);
      assert.equal(res.json<{ error: string }>().error, 'not_found');
    }
    assert.equal((await get(app, '/api/platforms/slack/downloads/manifest?socketMode=maybe')).statusCode, 400);

    // Without PARLEY_PUBLIC_URL the HTTP manifest cannot name its request URLs: said, not a broken manifest.
    const { PARLEY_PUBLIC_URL: _unset, ...withoutUrl } = ENV;
    const bare = await build(withoutUrl);
    const res = await get(bare, '/api/platforms/slack/downloads/manifest');
    assert.equal(res.statusCode, 409, res.body);
    assert.match(res.json<{ message: string }>().message, /PARLEY_PUBLIC_URL/u);
    const platforms = await get(bare, '/api/platforms');
    for (const p of platforms.json<Platform[]>()) for (const s of p.setup!.steps) if (s.copy) assert.doesNotMatch(s.copy.value, /null|undefined/u);
  });

  test('the routes are in the OpenAPI document, which stays valid, and need credentials', async () => {
    const app = await build();
    const doc = (await get(app, '/api/openapi.json')).json<{ paths: Record<string, Record<string, { summary?: string }>> }>();
    for (const path of ['/api/platforms', '/api/sources', '/api/platforms/{name}/downloads/{command}']) {
      assert.ok(doc.paths[path]?.get?.summary, `${path} is documented with a summary`);
    }
    await SwaggerParser.validate(structuredClone(doc) as unknown as Parameters<typeof SwaggerParser.validate>[0]);
    for (const url of ['/api/platforms', '/api/sources', '/api/platforms/slack/downloads/manifest']) {
      assert.equal((await app.inject({ method: 'GET', url })).statusCode, 401, url);
    }
  });
});
