// The admin CLI as an admin runs it: `node bin/parley.js …` in a child process, on a SQLite file of its
// own per test, with the real Discourse webhook bodies from ../shared/fixtures for `route`.
import { test, describe, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PLATFORMS } from '../../bots/registry.js';
import { openStore } from '../../lib/store/index.js';
import type { Store } from '../../lib/seams/store.js';
import { FIXTURES, freshEnv, POST_2025, POST_2_9, PRIVATE_MESSAGE, runParley, type CliRun } from '../helpers/cli.js';

const SPAWN_TIMEOUT_MS = 60_000;

type Run = CliRun;

/** One fresh install per test (its own SQLite file and data folder), so that tests can run side by side. */
function sandbox(t: TestContext) {
  const dir = mkdtempSync(path.join(tmpdir(), 'parley-cli-'));
  const dbFile = path.join(dir, 'parley.db');
  t.after(() => rmSync(dir, { recursive: true, force: true }));

  function parley(args: string[], extraEnv: Record<string, string> = {}): Promise<Run> {
    return runParley(args, freshEnv({ DATABASE_URL: dbFile, PARLEY_DATA_DIR: dir, ...extraEnv }), SPAWN_TIMEOUT_MS);
  }

  /** Runs and expects exit 0, showing stderr when not. */
  async function ok(args: string[]): Promise<string> {
    const run = await parley(args);
    assert.equal(run.code, 0, `parley ${args.join(' ')} exited ${run.code}\nstderr: ${run.stderr}\nstdout: ${run.stdout}`);
    return run.stdout;
  }

  async function json<T>(args: string[]): Promise<T> {
    return JSON.parse(await ok(args)) as T;
  }

  async function withStore<T>(fn: (store: Store) => Promise<T>): Promise<T> {
    const store = await openStore({ kind: 'sqlite', path: dbFile });
    try {
      return await fn(store);
    } finally {
      await store.close();
    }
  }

  return { parley, ok, json, withStore };
}

interface ChannelJson {
  channel: string;
  name: string;
  status: string;
  addedBy: string | null;
  settings: { webhookUrl?: string; timezone?: string; defaultCategory?: string };
}

interface RuleJson {
  channel: string;
  number: number;
  filter: string;
  scope: string;
}

describe('parley channels', { concurrency: 3 }, () => {
  test('add, list (table and JSON) and remove, with the webhook URL never shown in full', async (t) => {
    const cli = sandbox(t);
    await cli.ok(['channels', 'add', 'telegram:-1001234', '--name', 'Dev chat']);
    await cli.ok(['channels', 'add', 'mattermost:4xp9fdt7', '--webhook-url', 'https://chat.example.org/hooks/s3cr3tkey', '--timezone', 'Europe/Berlin']);

    const table = await cli.ok(['channels', 'list']);
    assert.match(table, /telegram:-1001234\s+Dev chat\s+active/);
    assert.match(table, /mattermost:4xp9fdt7/);
    assert.match(table, /https:\/\/chat\.example\.org\/…/);
    assert.ok(!table.includes('s3cr3tkey'), table);

    const listed = await cli.json<ChannelJson[]>(['channels', 'list', '--json']);
    assert.deepEqual(
      listed.map((c) => [c.channel, c.status, c.addedBy]),
      [
        ['telegram:-1001234', 'active', 'cli'],
        ['mattermost:4xp9fdt7', 'active', 'cli'],
      ],
    );
    assert.equal(listed[1]!.settings.webhookUrl, 'https://chat.example.org/…');
    assert.equal(listed[1]!.settings.timezone, 'Europe/Berlin');
    const mattermostOnly = await cli.ok(['channels', 'list', '--platform', 'mattermost', '--json']);
    assert.ok(!mattermostOnly.includes('s3cr3tkey'));
    assert.deepEqual((JSON.parse(mattermostOnly) as ChannelJson[]).map((c) => c.channel), ['mattermost:4xp9fdt7']);
    // Masked when shown, whole where the Mattermost adapter reads it.
    const stored = await cli.withStore((s) => s.channels.find('mattermost', '4xp9fdt7'));
    assert.equal(stored?.settings.webhookUrl, 'https://chat.example.org/hooks/s3cr3tkey');

    assert.match(await cli.ok(['channels', 'remove', 'telegram:-1001234']), /Removed telegram:-1001234/);
    assert.deepEqual((await cli.json<ChannelJson[]>(['channels', 'list', '--json'])).map((c) => c.channel), ['mattermost:4xp9fdt7']);
    const again = await cli.parley(['channels', 'remove', 'telegram:-1001234']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /no channel telegram:-1001234/);
  });

  test('adding an existing pending channel approves it and changes only the settings given', async (t) => {
    const cli = sandbox(t);
    await cli.withStore((s) =>
      s.channels.ensure({ platform: 'mattermost', externalId: 'town-square', name: 'Town Square', status: 'pending', addedBy: 'mattermost:u1', settings: { timezone: 'UTC' } }),
    );
    const out = await cli.ok(['channels', 'add', 'mattermost:town-square', '--webhook-url', 'http://mm.local:8065/hooks/abc']);
    assert.match(out, /activated/);
    const [channel] = await cli.json<ChannelJson[]>(['channels', 'list', '--json']);
    assert.equal(channel?.status, 'active');
    assert.equal(channel?.name, 'Town Square');
    assert.equal(channel?.addedBy, 'mattermost:u1');
    assert.deepEqual(channel?.settings, { timezone: 'UTC', webhookUrl: 'http://mm.local:8065/…' });
  });

  test('wrong input is refused with what would be right, and nothing is created', async (t) => {
    const cli = sandbox(t);
    const platform = await cli.parley(['channels', 'add', 'telegrm:-100']);
    assert.equal(platform.code, 1);
    assert.match(platform.stderr, /"telegrm" is not a platform\. The platforms are: telegram, mattermost, slack, discord\./);
    // Platforms come from bots/registry.ts: one without an adapter is no platform yet.
    const noAdapter = await cli.parley(['channels', 'add', 'irc:#parley']);
    assert.equal(noAdapter.code, 1);
    assert.match(noAdapter.stderr, /"irc" is not a platform\. The platforms are: telegram, mattermost, slack, discord\./);

    const scheme = await cli.parley(['channels', 'add', 'mattermost:abc', '--webhook-url', 'ftp://chat.example.org/hooks/key']);
    assert.equal(scheme.code, 1);
    assert.match(scheme.stderr, /--webhook-url must be an http:\/\/ or https:\/\/ URL/);

    const notMattermost = await cli.parley(['channels', 'add', 'telegram:-100', '--webhook-url', 'https://x.example/hooks/k']);
    assert.equal(notMattermost.code, 1);
    assert.match(notMattermost.stderr, /--webhook-url is a Mattermost setting .*; telegram channels have no such setting/);

    const zone = await cli.parley(['channels', 'add', 'telegram:-100', '--timezone', 'Europe/Atlantis']);
    assert.equal(zone.code, 1);
    assert.match(zone.stderr, /"Europe\/Atlantis" is not an IANA time zone/);

    const noId = await cli.parley(['channels', 'add', 'telegram:']);
    assert.equal(noId.code, 1);
    assert.match(noId.stderr, /telegram:ID/);

    assert.deepEqual(await cli.json<ChannelJson[]>(['channels', 'list', '--json']), []);
  });
});

describe('parley rules', { concurrency: 2 }, () => {
  test('add in the chat grammar, list numbered as /discourse status, remove by number', async (t) => {
    const cli = sandbox(t);
    const added = await cli.ok(['rules', 'add', 'telegram:-1001234', 'watch', 'c/meta', 't/release']);
    assert.match(added, /Added channel telegram:-1001234/);
    await cli.ok(['rules', 'add', 'telegram:-1001234', 'mute', 't/spam']);
    await cli.ok(['rules', 'add', 'mattermost:abc', 'follow', 'all']);

    const [channel] = await cli.json<ChannelJson[]>(['channels', 'list', '--platform', 'telegram', '--json']);
    assert.equal(channel?.status, 'active');
    assert.equal(channel?.addedBy, 'cli');

    // Most restrictive first, then oldest: the mute added last is rule 1.
    const rules = await cli.json<RuleJson[]>(['rules', 'list', 'telegram:-1001234', '--json']);
    assert.deepEqual(
      rules.map((r) => [r.number, `${r.filter} ${r.scope}`]),
      [
        [1, 'mute t/spam'],
        [2, 'watch c/meta'],
        [3, 'watch t/release'],
      ],
    );
    const table = await cli.ok(['rules', 'list']);
    assert.match(table, /telegram:-1001234\s+1\s+mute t\/spam/);
    assert.match(table, /mattermost:abc\s+1\s+follow all/);

    const removed = await cli.ok(['rules', 'remove', 'telegram:-1001234', '2']);
    assert.match(removed, /Removed from telegram:-1001234: watch c\/meta/);
    assert.deepEqual(
      (await cli.json<RuleJson[]>(['rules', 'list', 'telegram:-1001234', '--json'])).map((r) => [r.number, `${r.filter} ${r.scope}`]),
      [
        [1, 'mute t/spam'],
        [2, 'watch t/release'],
      ],
    );

    const outOfRange = await cli.parley(['rules', 'remove', 'telegram:-1001234', '5']);
    assert.equal(outOfRange.code, 1);
    assert.match(outOfRange.stderr, /no rule 5: its rules are numbered 1 to 2/);
  });

  test('bad rule text is refused with the parse error, and nothing is added', async (t) => {
    const cli = sandbox(t);
    const scope = await cli.parley(['rules', 'add', 'telegram:-1001234', 'watch', 'meta']);
    assert.equal(scope.code, 1);
    assert.match(scope.stderr, /"meta" is not a scope: use all, c\/CATEGORY, c\/PARENT\/CHILD or t\/TAG/);
    assert.match(scope.stderr, /Did you mean parley rules add telegram:-1001234 watch c\/meta\?/);

    const filter = await cli.parley(['rules', 'add', 'telegram:-1001234', 'wacth', 'c/meta']);
    assert.equal(filter.code, 1);
    assert.match(filter.stderr, /"wacth" is not a filter\. Did you mean watch\?/);

    assert.deepEqual(await cli.json<ChannelJson[]>(['channels', 'list', '--json']), []);
  });
});

describe('parley route', { concurrency: 3 }, () => {
  test('names each channel a real post_created would reach, with the filter and rule that decided it', async (t) => {
    const cli = sandbox(t);
    await cli.withStore(async (s) => {
      // The 2025.12 capture: post 12, first post of topic 10, in category 4, whose slug is empty in Discourse.
      await s.categories.upsert({ id: 4, slug: '4-category', name: '阿里云', parentId: null, color: '0088CC', restricted: false });
      await s.topics.upsert({ topicId: 10, title: '阿里云', tags: ['release'], categoryId: 4 });
    });
    await cli.ok(['rules', 'add', 'telegram:-1001234', 'watch', 'c/4-category']);
    await cli.ok(['rules', 'add', 'telegram:-1001234', 'follow', 'all']);
    await cli.ok(['rules', 'add', 'telegram:-3', 'follow', 't/release']);
    await cli.ok(['rules', 'add', 'telegram:-2', 'watch', 'c/other']);
    await cli.ok(['rules', 'add', 'mattermost:abc', 'watch', 'all']);
    await cli.ok(['rules', 'add', 'mattermost:abc', 'mute', 't/release']);

    const out = await cli.ok(['route', POST_2025, '--instance', 'https://forum.example.org']);
    assert.match(out, /Would go to 2 channels/);
    // watch (rule 1) beats follow (rule 2) on the same channel.
    assert.match(out, /telegram:-1001234\s+watch\s+via rule #1 "watch c\/4-category"/);
    assert.match(out, /telegram:-3\s+follow\s+via rule #1 "follow t\/release"/);
    assert.match(out, /Muted:\n\s+mattermost:abc\s+mute\s+via rule #1 "mute t\/release"/);
    assert.ok(!out.includes('telegram:-2'), out);
    assert.match(out, /https:\/\/forum\.example\.org\/t\/topic\/10\/1/);

    const report = await cli.json<{ outcome: string; event: string; channels: { channel: string; filter: string; rule: { number: number; text: string } }[] }>([
      'route',
      POST_2025,
      '--json',
    ]);
    assert.equal(report.event, 'post_created');
    assert.equal(report.outcome, 'delivered');
    assert.deepEqual(
      report.channels.map((c) => [c.channel, c.filter, c.rule.number, c.rule.text]),
      [
        ['telegram:-1001234', 'watch', 1, 'watch c/4-category'],
        ['telegram:-3', 'follow', 1, 'follow t/release'],
      ],
    );

    // Nothing was sent or queued: no delivery exists.
    const counts = await cli.withStore((s) => s.deliveries.countByStatus());
    assert.deepEqual(Object.values(counts).reduce((a, b) => a + b, 0), 0);
  });

  test('a private message is never delivered, whatever the rules', async (t) => {
    const cli = sandbox(t);
    await cli.ok(['rules', 'add', 'telegram:-1001234', 'watch', 'all']);
    const out = await cli.ok(['route', PRIVATE_MESSAGE]);
    assert.match(out, /Nothing would be sent: it is a private message, and private messages are never delivered to any channel/);
    assert.ok(!out.includes('Would go to'), out);
  });

  test('a post in a category Parley has not learned reaches no channel, and the answer says why', async (t) => {
    const cli = sandbox(t);
    await cli.ok(['rules', 'add', 'telegram:-1001234', 'watch', 'all']);
    const out = await cli.ok(['route', POST_2_9]);
    assert.match(out, /Nothing would be sent: Parley does not know category_id 1/);
    assert.match(out, /PARLEY_DISCOURSE_API_KEY/);
  });

  test('an edit is not announced, and a non-post body or event is refused', async (t) => {
    const cli = sandbox(t);
    await cli.ok(['rules', 'add', 'telegram:-1001234', 'watch', 'all']);
    assert.match(await cli.ok(['route', POST_2025, '--event', 'post_edited']), /Nothing would be sent: an edit is never announced on its own/);

    const topic = await cli.parley(['route', path.join(FIXTURES, 'discourse-2025.12', 'topic_created.body.json')]);
    assert.equal(topic.code, 1);
    assert.match(topic.stderr, /"topic" webhook; parley route follows post events only/);

    const event = await cli.parley(['route', POST_2025, '--event', 'post_liked']);
    assert.equal(event.code, 1);
    assert.match(event.stderr, /use one of post_created, post_edited, post_destroyed, post_recovered/);
  });
});

test('a configuration variable that does not validate exits 2 and names the variable', async (t) => {
    const cli = sandbox(t);
  const run = await cli.parley(['channels', 'list'], { PORT: 'abc' });
  assert.equal(run.code, 2);
  assert.match(run.stderr, /PORT: /);
  assert.equal(run.stdout, '');
});

interface IdentityJson {
  user: string;
  platform: string;
  userId: string;
  forumUsername: string;
  createdBy: string | null;
  createdAt: string;
}

describe('parley identities', { concurrency: 2 }, () => {
  test('add links a chat user to a forum user (replacing an earlier link), list shows them, remove unlinks', async (t) => {
    const cli = sandbox(t);
    const empty = await cli.ok(['identities', 'list']);
    assert.match(empty, /No identities yet\. No chat user can post transcripts until one is linked\. Link one with: parley identities add telegram:USER_ID forum_username/);

    assert.match(await cli.ok(['identities', 'add', 'telegram:123456789', '@ada']), /telegram:123456789 is now forum user ada\./);
    await cli.ok(['identities', 'add', 'mattermost:u8x4kq', 'søren.k']);
    // Platforms come from bots/registry.ts: a Matrix user cannot be linked before a Matrix adapter exists.
    const matrix = await cli.parley(['identities', 'add', 'matrix:@bob:example.org', 'bob']);
    assert.equal(matrix.code, 1);
    assert.match(matrix.stderr, /"matrix" is not a platform\. The platforms are: telegram, mattermost, slack, discord\./);
    assert.match(await cli.ok(['identities', 'add', 'telegram:123456789', 'ada_lovelace']), /telegram:123456789 is now forum user ada_lovelace \(was ada\)\./);
    assert.match(await cli.ok(['identities', 'add', 'telegram:123456789', 'ada_lovelace']), /already forum user ada_lovelace: nothing to change/);

    // What /topic reads: the store's identity, set by the CLI.
    const stored = await cli.withStore((s) => s.identities.get('telegram', '123456789'));
    assert.equal(stored?.forumUsername, 'ada_lovelace');
    assert.equal(stored?.createdBy, 'cli');
    assert.equal(await cli.withStore((s) => s.identities.get('matrix', '@bob:example.org')), undefined);

    const table = await cli.ok(['identities', 'list']);
    assert.match(table, /^CHAT USER\s+FORUM USER\s+SET BY\s+SET AT/);
    assert.match(table, /telegram:123456789\s+ada_lovelace\s+cli\s+\d{4}-\d\d-\d\dT/);
    assert.match(table, /mattermost:u8x4kq\s+søren\.k\s+cli/);

    const listed = await cli.json<IdentityJson[]>(['identities', 'list', '--json']);
    assert.deepEqual(
      listed.map((i) => [i.user, i.platform, i.userId, i.forumUsername, i.createdBy]),
      [
        ['mattermost:u8x4kq', 'mattermost', 'u8x4kq', 'søren.k', 'cli'],
        ['telegram:123456789', 'telegram', '123456789', 'ada_lovelace', 'cli'],
      ],
    );
    assert.ok(listed.every((i) => !Number.isNaN(Date.parse(i.createdAt))));
    assert.deepEqual((await cli.json<IdentityJson[]>(['identities', 'list', '--platform', 'Telegram', '--json'])).map((i) => i.user), ['telegram:123456789']);
    assert.match(await cli.ok(['identities', 'list', '--platform', 'mattermost']), /mattermost:u8x4kq/);
    assert.match((await cli.parley(['identities', 'list', '--platform', 'irc'])).stderr, /"irc" is not a platform/);

    assert.match(await cli.ok(['identities', 'remove', 'telegram:123456789']), /Removed: telegram:123456789 is no longer forum user ada_lovelace\./);
    assert.equal(await cli.withStore((s) => s.identities.get('telegram', '123456789')), undefined);
    const again = await cli.parley(['identities', 'remove', 'telegram:123456789']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /telegram:123456789 is linked to no forum user\. See the links with: parley identities list/);
    assert.deepEqual((await cli.json<IdentityJson[]>(['identities', 'list', '--json'])).map((i) => i.user), ['mattermost:u8x4kq']);
  });

  test('wrong input is refused with what would be right, and nothing is linked', async (t) => {
    const cli = sandbox(t);
    const noColon = await cli.parley(['identities', 'add', '123456789', 'ada']);
    assert.equal(noColon.code, 1);
    assert.match(noColon.stderr, /"123456789" is not a chat user: write PLATFORM:USER_ID, as in telegram:123456789/);

    const platform = await cli.parley(['identities', 'add', 'telegarm:1', 'ada']);
    assert.equal(platform.code, 1);
    assert.match(platform.stderr, /"telegarm" is not a platform\. The platforms are: telegram, mattermost, slack, discord/);

    const noId = await cli.parley(['identities', 'remove', 'telegram:']);
    assert.equal(noId.code, 1);
    assert.match(noId.stderr, /no valid chat user id after "telegram:": write telegram:USER_ID/);

    for (const bad of ['ada lovelace', '', 'ada/../admin', 'x'.repeat(61)]) {
      const run = await cli.parley(['identities', 'add', 'telegram:1', bad]);
      assert.equal(run.code, 1, bad);
      assert.match(run.stderr, /is not a forum username: give the username from the user's forum profile/);
    }

    const missing = await cli.parley(['identities', 'add', 'telegram:1']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /missing required argument 'forum_username'/);

    const badPlatform = await cli.parley(['identities', 'list', '--platform', 'icq']);
    assert.equal(badPlatform.code, 1);
    assert.match(badPlatform.stderr, /"icq" is not a platform/);

    assert.deepEqual(await cli.json<IdentityJson[]>(['identities', 'list', '--json']), []);
  });

  test('with PARLEY_IDENTITY_SAME_USERNAME=true an empty list says chat users are taken by username', async (t) => {
    const cli = sandbox(t);
    const run = await cli.parley(['identities', 'list'], { PARLEY_IDENTITY_SAME_USERNAME: 'true' });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /No identities yet\. Chat users are taken for the forum user of the same username \(PARLEY_IDENTITY_SAME_USERNAME=true\)/);
  });
});

describe('parley transcript', () => {
  test('archives a channel from the terminal as the given forum user, once, and says where', async (t) => {
    const { startFakeForum } = await import('../helpers/fake-forum.js');
    const forum = await startFakeForum({ users: [{ username: 'carol', admin: true }], categories: [{ id: 7, slug: 'staff', name: 'Staff' }] });
    t.after(() => forum.stop());
    const cli = sandbox(t);
    await cli.withStore(async (store) => {
      await store.channels.ensure({ platform: 'telegram', externalId: '-42', name: 'Ops', status: 'active', addedBy: 'cli' });
      const at = Date.now() - 3600_000;
      for (const [i, [who, text]] of ([['alice', 'old news'], ['alice', 'disk is full'], ['bob', 'on it']] as const).entries()) {
        await store.messageLog.append('telegram', '-42', { id: String(i + 1), author: { id: who, username: who, displayName: who, isBot: false }, sentAt: new Date(at + i * 1000), markdown: text, attachments: [] });
      }
    });
    const env = { PARLEY_DISCOURSE_URL: forum.url, PARLEY_DISCOURSE_API_KEY: forum.apiKey, PARLEY_DISCOURSE_ALLOW_UNSIGNED: 'true', PARLEY_TELEGRAM_TOKEN: '1:cli' };
    const run = await cli.parley(['transcript', 'telegram:-42', 'last:2', 'category:staff', 'title:"Disk incident"', '--as', 'carol'], env);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Transcript of 2 messages posted: http/);
    const posts = forum.requests.filter((r) => r.method === 'POST');
    assert.equal(posts.length, 1);
    assert.equal(posts[0]!.headers['api-username'], 'carol');
    const body = posts[0]!.body as { title: string; category: number; raw: string };
    assert.equal(body.title, 'Disk incident');
    assert.equal(body.category, 7);
    assert.match(body.raw, /disk is full[\s\S]*on it/);
    assert.doesNotMatch(body.raw, /old news/, 'last:2');

    const nobody = await cli.parley(['transcript', 'telegram:-42', 'last:2', '--as', 'mallory'], env);
    assert.equal(nobody.code, 1);
    assert.match(nobody.stderr, /no forum user "mallory"/);
  });
});

// Runs once bots/registry.ts lists Slack with its `manifest` command (bots/slack/index.ts).
const SLACK_MANIFEST = PLATFORMS.some((p) => p.profile.name === 'slack' && p.commands.some((c) => c.name === 'manifest'));

test('parley slack manifest prints the app manifest, says what is missing without a public URL, and --help lists slack', { skip: SLACK_MANIFEST ? false : 'slack not registered yet' }, async (t) => {
  const cli = sandbox(t);
  // Side by side: none of them opens the store.
  const [http, socket, missing, help] = await Promise.all([
    cli.parley(['slack', 'manifest'], { PARLEY_PUBLIC_URL: 'https://parley.example.org/' }),
    cli.parley(['slack', 'manifest', '--socket-mode', '--name', 'Forum']),
    cli.parley(['slack', 'manifest']),
    cli.parley(['--help']),
  ]);
  assert.equal(http.code, 0, http.stderr);
  assert.match(http.stdout, /^display_information:\n/);
  assert.match(http.stdout, /- command: \/discourse\n/);
  assert.match(http.stdout, /url: https:\/\/parley\.example\.org\/hooks\/slack\/commands\n/);
  assert.match(http.stdout, /request_url: https:\/\/parley\.example\.org\/hooks\/slack\/events\n/);

  assert.equal(socket.code, 0, socket.stderr);
  assert.match(socket.stdout, /name: Forum\n/);
  assert.match(socket.stdout, /socket_mode_enabled: true\n/);
  assert.doesNotMatch(socket.stdout, /url:/);

  assert.equal(missing.code, 1);
  assert.equal(missing.stdout, '');
  assert.match(missing.stderr, /PARLEY_PUBLIC_URL is not set.*set PARLEY_PUBLIC_URL.*or pass --socket-mode/);

  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /^\s+slack\b.*manifest/m);
});
