// `parley slack manifest`: the YAML parsed back and checked against Slack's manifest schema as Parley fills
// it in (docs.slack.dev/reference/app-manifest), and runPlatformCommand's reading of PARLEY_PUBLIC_URL.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { BOT_EVENTS, BOT_SCOPES, slackManifest, slackManifestCommand } from '../../bots/slack/manifest.js';
import { commandOf, SLACK_COMMAND_NAMES, SLASH_COMMAND_WORDS } from '../../bots/slack/slash-command.js';
import { COMMANDS_PATH, EVENTS_PATH } from '../../bots/slack/paths.js';
import { runPlatformCommand } from '../../cli/platform-commands.js';
import { CliError } from '../../cli/output.js';
import { ConfigError } from '../../lib/errors.js';
import { COMMAND_WORDS } from '../../lib/seams/invocation.js';
import { definePlatform } from '../../lib/seams/platform.js';

interface SlashCommand {
  command: string;
  description: string;
  usage_hint?: string;
  url?: string;
  should_escape: boolean;
}

interface ParsedManifest {
  display_information: { name: string; description?: string };
  features: { bot_user: { display_name: string; always_online: boolean }; slash_commands: SlashCommand[] };
  oauth_config: { scopes: { bot: string[] } };
  settings: {
    event_subscriptions: { request_url?: string; bot_events: string[] };
    org_deploy_enabled: boolean;
    socket_mode_enabled: boolean;
    token_rotation_enabled: boolean;
  };
}

function manifest(opts: Parameters<typeof slackManifest>[0]): ParsedManifest {
  return parse(slackManifest(opts)) as ParsedManifest;
}

const SCOPES = ['commands', 'chat:write', 'channels:history', 'groups:history', 'im:history', 'mpim:history', 'channels:read', 'groups:read', 'im:read', 'mpim:read', 'users:read'];
const EVENTS = ['member_joined_channel', 'channel_left', 'group_left', 'channel_archive', 'group_archive', 'app_uninstalled', 'tokens_revoked'];

describe('slackManifest', () => {
  test('over HTTP: every request URL is the public URL plus its path', () => {
    const m = manifest({ publicUrl: 'https://parley.example.org', socketMode: false });
    assert.equal(m.display_information.name, 'Parley');
    assert.deepEqual(m.features.bot_user, { display_name: 'parley', always_online: true });
    assert.deepEqual(
      m.features.slash_commands.map((c) => [c.command, c.url, c.should_escape]),
      [['/discourse', `https://parley.example.org${COMMANDS_PATH}`, false]],
    );
    assert.equal(m.settings.event_subscriptions.request_url, `https://parley.example.org${EVENTS_PATH}`);
    assert.equal(m.settings.socket_mode_enabled, false);
    assert.equal(m.settings.org_deploy_enabled, false);
    assert.equal(m.settings.token_rotation_enabled, false);
  });

  test('a path prefix is kept, and trailing slashes do not double', () => {
    for (const publicUrl of ['https://example.org/parley', 'https://example.org/parley/', 'https://example.org/parley//']) {
      const m = manifest({ publicUrl, socketMode: false });
      assert.deepEqual(
        m.features.slash_commands.map((c) => c.url),
        ['https://example.org/parley/hooks/slack/commands'],
        publicUrl,
      );
      assert.equal(m.settings.event_subscriptions.request_url, 'https://example.org/parley/hooks/slack/events', publicUrl);
    }
    assert.equal(manifest({ publicUrl: 'https://example.org/', socketMode: false }).settings.event_subscriptions.request_url, 'https://example.org/hooks/slack/events');
  });

  test('Socket Mode: no URL anywhere, socket_mode_enabled, and no public URL needed', () => {
    for (const publicUrl of [null, 'https://parley.example.org']) {
      const text = slackManifest({ publicUrl, socketMode: true });
      const m = parse(text) as ParsedManifest;
      assert.equal(m.settings.socket_mode_enabled, true);
      assert.ok(m.features.slash_commands.every((c) => !('url' in c)));
      assert.ok(!('request_url' in m.settings.event_subscriptions));
      assert.doesNotMatch(text, /https?:/);
      assert.deepEqual(m.settings.event_subscriptions.bot_events, EVENTS);
    }
  });

  test('every command word is a slash command, except /topic, which Slack keeps for itself: there it is /discourse topic', () => {
    const m = manifest({ publicUrl: null, socketMode: true });
    assert.deepEqual(m.features.slash_commands.map((c) => c.command), ['/discourse']);
    // /gitlab where GitLab is configured, on the same request URL.
    const withGitLab = manifest({ publicUrl: 'https://parley.example.org', socketMode: false, gitlab: true });
    assert.deepEqual(withGitLab.features.slash_commands.map((c) => [c.command, c.url]), SLASH_COMMAND_WORDS.map((w) => [`/${w}`, `https://parley.example.org${COMMANDS_PATH}`]));
    for (const word of COMMAND_WORDS) assert.ok((SLASH_COMMAND_WORDS as readonly string[]).includes(word) || word in SLACK_COMMAND_NAMES, `${word} has a way in`);
    assert.deepEqual(commandOf({ command: '/discourse', text: 'topic last:50 ignore:bob' }), { command: 'topic', args: 'last:50 ignore:bob' });
    assert.deepEqual(commandOf({ command: '/discourse', text: 'Topic' }), { command: 'topic', args: '' });
    assert.deepEqual(commandOf({ command: '/discourse', text: 'topics' }), { command: 'discourse', args: 'topics' });
    for (const c of withGitLab.features.slash_commands) {
      assert.ok(c.description.length > 0 && c.description.length <= 2000, c.command);
      assert.ok(c.usage_hint && c.usage_hint.length <= 1000, c.command);
      assert.equal(c.should_escape, false);
    }
    assert.match(m.features.slash_commands[0]!.usage_hint!, /watch/);
    assert.match(m.features.slash_commands[0]!.usage_hint!, /topic \[last:N\]/);
  });

  test('the bot scopes and bot events, and nothing more', () => {
    const m = manifest({ publicUrl: 'https://parley.example.org', socketMode: false });
    assert.deepEqual(m.oauth_config.scopes.bot, SCOPES);
    assert.deepEqual(m.settings.event_subscriptions.bot_events, EVENTS);
    assert.deepEqual([...BOT_SCOPES], SCOPES);
    assert.deepEqual([...BOT_EVENTS], EVENTS);
    assert.deepEqual(Object.keys(m).sort(), ['display_information', 'features', 'oauth_config', 'settings']);
  });

  test('--name sets the app name and the bot user name Slack allows', () => {
    const m = manifest({ publicUrl: null, socketMode: true, appName: 'Forum Bot (ops)' });
    assert.equal(m.display_information.name, 'Forum Bot (ops)');
    assert.equal(m.features.bot_user.display_name, 'forum-bot-ops');
    assert.throws(() => slackManifest({ publicUrl: null, socketMode: true, appName: 'x'.repeat(36) }), (err: unknown) => err instanceof ConfigError && /at most 35/.test(err.message));
    assert.throws(() => slackManifest({ publicUrl: null, socketMode: true, appName: '  ' }), ConfigError);
  });

  test('without a public URL and without Socket Mode: an error that says what to do', () => {
    assert.throws(
      () => slackManifest({ publicUrl: null, socketMode: false }),
      (err: unknown) => err instanceof ConfigError && /set PARLEY_PUBLIC_URL/.test(err.message) && /--socket-mode/.test(err.message),
    );
  });

  test('an http public URL is refused: Slack sends to https only', () => {
    assert.throws(() => slackManifest({ publicUrl: 'http://parley.example.org', socketMode: false }), (err: unknown) => err instanceof ConfigError && /https/.test(err.message) && /--socket-mode/.test(err.message));
  });
});

describe('the manifest command through runPlatformCommand', () => {
  // A stand-in for the Slack platform: the command needs only its variables' names, never its adapter.
  const fake = definePlatform({
    profile: { name: 'slack', label: 'Slack', commandPrefix: '/', moderators: 'workspace admins' },
    variables: {},
    schema: {},
    howToConfigure: 'not here',
    settings: () => null,
    commands: [slackManifestCommand],
    create: () => {
      throw new Error('never created');
    },
  });

  test('PARLEY_PUBLIC_URL is read and cleaned by the configuration', () => {
    const out = runPlatformCommand(fake, slackManifestCommand, {}, { PARLEY_PUBLIC_URL: 'https://example.org/parley/' });
    assert.match(out, /url: https:\/\/example\.org\/parley\/hooks\/slack\/commands\n/);
  });

  test('flags arrive as commander names them', () => {
    const out = parse(runPlatformCommand(fake, slackManifestCommand, { socketMode: true, name: 'Ops' }, {})) as ParsedManifest;
    assert.equal(out.settings.socket_mode_enabled, true);
    assert.equal(out.display_information.name, 'Ops');
  });

  test('a malformed PARLEY_PUBLIC_URL is the configuration error (exit 2); a missing one is the command\'s (exit 1)', () => {
    assert.throws(
      () => runPlatformCommand(fake, slackManifestCommand, {}, { PARLEY_PUBLIC_URL: 'parley.example.org' }),
      (err: unknown) => err instanceof CliError && err.exitCode === 2 && /Invalid configuration:\n {2}- PARLEY_PUBLIC_URL: /.test(err.message),
    );
    assert.throws(
      () => runPlatformCommand(fake, slackManifestCommand, {}, {}),
      (err: unknown) => err instanceof CliError && err.exitCode === 1 && /^PARLEY_PUBLIC_URL is not set/.test(err.message),
    );
  });
});
