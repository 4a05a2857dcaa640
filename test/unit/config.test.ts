import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { PLATFORMS } from '../../bots/registry.js';
import { allVariables, bool, loadConfig, optional } from '../../lib/config.js';
import { definePlatform } from '../../lib/seams/platform.js';
import { ConfigError } from '../../lib/errors.js';

function problems(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env, PLATFORMS);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  assert.fail('expected a ConfigError');
}

describe('configuration', () => {
  test('the embedded defaults: SQLite in ./data, local Redis, nothing else configured', () => {
    const c = loadConfig({}, PLATFORMS);
    assert.deepEqual(c.database, { kind: 'sqlite', path: path.join('./data', 'parley.db') });
    assert.equal(c.redisUrl, 'redis://127.0.0.1:6379');
    assert.equal(c.redisUrlExplicit, false);
    assert.equal(c.port, 3000);
    assert.equal(c.delivery.delaySeconds, 15);
    assert.equal(c.rulesPermission, 'moderators');
    assert.equal(c.timezone, 'UTC');
    assert.equal(c.discourse, null);
    assert.equal(c.platforms.some((p) => p.profile.name === 'telegram'), false);
    assert.equal(c.platforms.some((p) => p.profile.name === 'mattermost'), false);
  });

  test('DATABASE_URL: a path with or without sqlite:/file:, or a postgres URL', () => {
    assert.deepEqual(loadConfig({ DATABASE_URL: 'sqlite:/var/parley.db' }, PLATFORMS).database, { kind: 'sqlite', path: '/var/parley.db' });
    assert.deepEqual(loadConfig({ DATABASE_URL: 'file:x.db' }, PLATFORMS).database, { kind: 'sqlite', path: 'x.db' });
    assert.deepEqual(loadConfig({ DATABASE_URL: 'postgres://u@h/db' }, PLATFORMS).database, { kind: 'postgres', url: 'postgres://u@h/db' });
  });

  test('REDIS_URL as HOST:PORT is accepted and marked explicit', () => {
    const c = loadConfig({ REDIS_URL: 'cache:6380' }, PLATFORMS);
    assert.equal(c.redisUrl, 'redis://cache:6380');
    assert.equal(c.redisUrlExplicit, true);
  });

  test('every mistake names its variable', () => {
    const found = problems({ PORT: 'abc', PARLEY_TIMEZONE: 'Mars/Olympus', PARLEY_RULES_PERMISSION: 'everyone', REDIS_URL: 'nope' });
    for (const name of ['PORT', 'PARLEY_TIMEZONE', 'PARLEY_RULES_PERMISSION', 'REDIS_URL']) {
      assert.ok(found.some((p) => p.startsWith(`${name}:`)), `${name} in ${JSON.stringify(found)}`);
    }
  });

  test('Discourse configured without a webhook secret refuses to start, unless unsigned webhooks are allowed explicitly', () => {
    const [p] = problems({ PARLEY_DISCOURSE_URL: 'https://forum.example.org' });
    assert.match(p!, /^PARLEY_DISCOURSE_WEBHOOK_SECRET: required/);
    assert.match(p!, /PARLEY_DISCOURSE_ALLOW_UNSIGNED=true/);
    const c = loadConfig({ PARLEY_DISCOURSE_URL: 'https://forum.example.org/', PARLEY_DISCOURSE_ALLOW_UNSIGNED: 'true' }, PLATFORMS);
    assert.equal(c.discourse?.url, 'https://forum.example.org');
    assert.equal(c.discourse?.allowUnsigned, true);
  });

  test('PARLEY_TRUST_PROXY: off by default; true, a hop count or the proxies\' addresses', () => {
    assert.equal(loadConfig({}, PLATFORMS).trustProxy, false);
    assert.equal(loadConfig({ PARLEY_TRUST_PROXY: 'true' }, PLATFORMS).trustProxy, true);
    assert.equal(loadConfig({ PARLEY_TRUST_PROXY: '2' }, PLATFORMS).trustProxy, 2);
    assert.deepEqual(loadConfig({ PARLEY_TRUST_PROXY: '10.0.0.1, 10.0.0.2' }, PLATFORMS).trustProxy, ['10.0.0.1', '10.0.0.2']);
  });

  test('the admin\'s secrets are long enough, or refused naming the variable', () => {
    assert.match(problems({ PARLEY_ADMIN_TOKEN: 'short' })[0]!, /^PARLEY_ADMIN_TOKEN: is too short/);
    assert.match(problems({ PARLEY_ADMIN_PASSWORD: 'hunter2' })[0]!, /^PARLEY_ADMIN_PASSWORD: is too short/);
    assert.deepEqual(loadConfig({ PARLEY_ADMIN_TOKEN: 'a'.repeat(32) }, PLATFORMS).admin, { token: 'a'.repeat(32), password: null });
  });

  test('Telegram webhook mode needs the public URL', () => {
    const [p] = problems({ PARLEY_TELEGRAM_TOKEN: '1:abc', PARLEY_TELEGRAM_MODE: 'webhook' });
    assert.match(p!, /^PARLEY_PUBLIC_URL/);
  });

  test('PARLEY_CONFIG_FILE adds variables; the environment wins', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'parley-config-')), 'parley.env');
    writeFileSync(file, 'PORT=4000\nPARLEY_TIMEZONE=Europe/Berlin\n');
    const c = loadConfig({ PARLEY_CONFIG_FILE: file, PORT: '5000' }, PLATFORMS);
    assert.equal(c.port, 5000);
    assert.equal(c.timezone, 'Europe/Berlin');
    assert.match(problems({ PARLEY_CONFIG_FILE: '/nonexistent/parley.env' })[0]!, /^PARLEY_CONFIG_FILE: cannot read/);
  });

  test('the README documents every variable Parley and each platform reads, in the words the code gives', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    for (const [name, meaning] of Object.entries(allVariables(PLATFORMS))) {
      assert.ok(readme.includes(`| \`${name}\` | ${meaning} |`), `${name} missing from README, or its text differs from: ${meaning}`);
    }
  });

  test("a platform's variables are read by its own folder: set, it is configured; its mistakes name its variables", () => {
    const c = loadConfig(
      { PARLEY_TELEGRAM_TOKEN: '1:abc', PARLEY_MATTERMOST_URL: 'https://chat.example.org', PARLEY_MATTERMOST_COMMAND_TOKEN: 'a, b', PARLEY_SLACK_BOT_TOKEN: 'xoxb-1', PARLEY_SLACK_SIGNING_SECRET: 's', PARLEY_DISCORD_TOKEN: 'd', PARLEY_DISCORD_APPLICATION_ID: '1100000000000000001', PARLEY_MATRIX_HOMESERVER_URL: 'https://matrix.example.org/', PARLEY_MATRIX_ACCESS_TOKEN: 'syt_x', PARLEY_IRC_SERVER: 'irc.libera.chat' },
      PLATFORMS,
    );
    assert.deepEqual(c.platforms.map((p) => p.profile.name), ['telegram', 'mattermost', 'slack', 'discord', 'matrix', 'irc']);
    assert.deepEqual(c.notConfigured, []);
    // Matrix: both variables or neither; inviter globs must be user id globs.
    assert.ok(problems({ PARLEY_MATRIX_ACCESS_TOKEN: 'syt_x' }).some((p) => p.startsWith('PARLEY_MATRIX_HOMESERVER_URL: required')));
    const globs = problems({ PARLEY_MATRIX_HOMESERVER_URL: 'https://m.example.org', PARLEY_MATRIX_ACCESS_TOKEN: 'syt_x', PARLEY_MATRIX_ALLOWED_INVITERS: '@*:example.org, example.org' });
    assert.ok(globs.some((p) => p.startsWith('PARLEY_MATRIX_ALLOWED_INVITERS: "example.org" is not a Matrix user id glob')), JSON.stringify(globs));
    // Slack: the wrong kind of token, or no way to receive, is named.
    const slack = problems({ PARLEY_SLACK_BOT_TOKEN: 'xoxp-user-token' });
    assert.ok(slack.some((p) => p.startsWith('PARLEY_SLACK_BOT_TOKEN: must be the Bot User OAuth Token')), JSON.stringify(slack));
    assert.ok(slack.some((p) => p.startsWith('PARLEY_SLACK_SIGNING_SECRET:')), JSON.stringify(slack));
    // Discord: interactions mode needs the public key; a malformed application id is named.
    const discord = problems({ PARLEY_DISCORD_TOKEN: 'd', PARLEY_DISCORD_APPLICATION_ID: 'my-app', PARLEY_DISCORD_MODE: 'interactions' });
    assert.ok(discord.some((p) => p.startsWith('PARLEY_DISCORD_APPLICATION_ID:')), JSON.stringify(discord));
    assert.ok(problems({ PARLEY_DISCORD_TOKEN: 'd', PARLEY_DISCORD_APPLICATION_ID: '1100000000000000001', PARLEY_DISCORD_MODE: 'interactions' }).some((p) => p.startsWith('PARLEY_DISCORD_PUBLIC_KEY:')));
    // Core and platform problems are reported together, each naming its variable.
    const found = problems({ PORT: 'abc', PARLEY_TELEGRAM_MODE: 'carrier-pigeon', PARLEY_MATTERMOST_URL: 'https://chat.example.org' });
    for (const name of ['PORT', 'PARLEY_TELEGRAM_MODE']) assert.ok(found.some((p) => p.startsWith(`${name}:`)), `${name} in ${JSON.stringify(found)}`);
    // A platform's settings are typed from its own schema, transforms included (here a boolean from "yes").
    let seen: unknown;
    const flagged = definePlatform({
      profile: { name: 'fake', label: 'Fake', commandPrefix: '!', moderators: 'nobody' },
      variables: { PARLEY_FAKE_LOUD: 'a flag' },
      schema: { PARLEY_FAKE_LOUD: optional(bool).default(false) },
      howToConfigure: '',
      settings: (vars) => ({ loud: vars.PARLEY_FAKE_LOUD }),
      create: (_deps, settings) => {
        seen = settings;
        return {} as never;
      },
    });
    loadConfig({ PARLEY_FAKE_LOUD: 'yes' }, [flagged]).platforms[0]!.create({} as never);
    assert.deepEqual(seen, { loud: true });
    // Without the platforms, their variables mean nothing and nothing is configured.
    assert.deepEqual(loadConfig({ PARLEY_TELEGRAM_TOKEN: '1:abc' }, []).platforms, []);
  });
});
