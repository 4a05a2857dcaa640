// The admin CLI as an admin runs it: `node bin/parley.js …` in a child process, on a SQLite file of its
// own per test (test/helpers/cli.ts). The CLI tests are split over several files so that they run side by side.
// This file: `parley identities`, `parley transcript` and a platform's own command (`parley slack manifest`).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { sandbox } from '../helpers/cli.js';

interface IdentityJson {
  user: string;
  platform: string;
  userId: string;
  source: string;
  username: string;
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
    // Platforms come from bots/registry.ts: an XMPP user cannot be linked before an XMPP adapter exists.
    const xmpp = await cli.parley(['identities', 'add', 'xmpp:bob@example.org', 'bob']);
    assert.equal(xmpp.code, 1);
    assert.match(xmpp.stderr, /"xmpp" is not a platform\. The platforms are: telegram, mattermost, slack, discord, matrix, irc\./);
    // Matrix user ids hold a colon of their own.
    assert.match(await cli.ok(['identities', 'add', 'matrix:@bob:example.org', 'bob']), /matrix:@bob:example\.org is now forum user bob\./);
    assert.match(await cli.ok(['identities', 'add', 'telegram:123456789', 'ada_lovelace']), /telegram:123456789 is now forum user ada_lovelace \(was ada\)\./);
    assert.match(await cli.ok(['identities', 'add', 'telegram:123456789', 'ada_lovelace']), /already forum user ada_lovelace: nothing to change/);

    // What /topic reads: the store's identity, set by the CLI.
    const stored = await cli.withStore((s) => s.identities.get('telegram', '123456789', 'discourse'));
    assert.equal(stored?.username, 'ada_lovelace');
    assert.equal(stored?.createdBy, 'cli');
    assert.equal((await cli.withStore((s) => s.identities.get('matrix', '@bob:example.org', 'discourse')))?.username, 'bob');

    const table = await cli.ok(['identities', 'list']);
    assert.match(table, /^CHAT USER\s+SOURCE\s+USERNAME\s+SET BY\s+SET AT/);
    assert.match(table, /telegram:123456789\s+discourse\s+ada_lovelace\s+cli\s+\d{4}-\d\d-\d\dT/);
    assert.match(table, /mattermost:u8x4kq\s+discourse\s+søren\.k\s+cli/);

    const listed = await cli.json<IdentityJson[]>(['identities', 'list', '--json']);
    assert.deepEqual(
      listed.map((i) => [i.user, i.platform, i.userId, i.username, i.createdBy]),
      [
        ['matrix:@bob:example.org', 'matrix', '@bob:example.org', 'bob', 'cli'],
        ['mattermost:u8x4kq', 'mattermost', 'u8x4kq', 'søren.k', 'cli'],
        ['telegram:123456789', 'telegram', '123456789', 'ada_lovelace', 'cli'],
      ],
    );
    assert.ok(listed.every((i) => !Number.isNaN(Date.parse(i.createdAt))));
    assert.deepEqual((await cli.json<IdentityJson[]>(['identities', 'list', '--platform', 'Telegram', '--json'])).map((i) => i.user), ['telegram:123456789']);
    assert.match(await cli.ok(['identities', 'list', '--platform', 'mattermost']), /mattermost:u8x4kq/);
    assert.match((await cli.parley(['identities', 'list', '--platform', 'xmpp'])).stderr, /"xmpp" is not a platform/);

    assert.match(await cli.ok(['identities', 'remove', 'telegram:123456789']), /Removed: telegram:123456789 is no longer forum user ada_lovelace\./);
    assert.equal(await cli.withStore((s) => s.identities.get('telegram', '123456789', 'discourse')), undefined);
    const again = await cli.parley(['identities', 'remove', 'telegram:123456789']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /telegram:123456789 is linked to no forum user\. See the links with: parley identities list/);
    assert.deepEqual((await cli.json<IdentityJson[]>(['identities', 'list', '--json'])).map((i) => i.user), ['matrix:@bob:example.org', 'mattermost:u8x4kq']);
  });

  test('links are per source: the same chat user is one forum user and one GitLab user', async (t) => {
    const cli = sandbox(t);
    await cli.ok(['identities', 'add', 'telegram:5', 'ada']);
    assert.match(await cli.ok(['identities', 'add', 'telegram:5', 'gitlab:@ada.l']), /telegram:5 is now GitLab user ada\.l\. Their \/topic … to:gitlab issues/);
    assert.equal((await cli.withStore((s) => s.identities.get('telegram', '5', 'gitlab')))?.username, 'ada.l');
    assert.equal((await cli.withStore((s) => s.identities.get('telegram', '5', 'discourse')))?.username, 'ada');
    assert.deepEqual((await cli.json<IdentityJson[]>(['identities', 'list', '--source', 'gitlab', '--json'])).map((i) => [i.user, i.source, i.username]), [['telegram:5', 'gitlab', 'ada.l']]);
    assert.match(await cli.ok(['identities', 'remove', 'telegram:5', '--source', 'gitlab']), /Removed: telegram:5 is no longer GitLab user ada\.l\./);
    assert.equal((await cli.withStore((s) => s.identities.get('telegram', '5', 'discourse')))?.username, 'ada', 'the forum link stays');
  });

  test('wrong input is refused with what would be right, and nothing is linked', async (t) => {
    const cli = sandbox(t);
    const noColon = await cli.parley(['identities', 'add', '123456789', 'ada']);
    assert.equal(noColon.code, 1);
    assert.match(noColon.stderr, /"123456789" is not a chat user: write PLATFORM:USER_ID, as in telegram:123456789/);

    const platform = await cli.parley(['identities', 'add', 'telegarm:1', 'ada']);
    assert.equal(platform.code, 1);
    assert.match(platform.stderr, /"telegarm" is not a platform\. The platforms are: telegram, mattermost, slack, discord, matrix/);

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
    assert.match(missing.stderr, /missing required argument 'username'/);

    const source = await cli.parley(['identities', 'add', 'telegram:1', 'gitlub:ada']);
    assert.equal(source.code, 1);
    assert.match(source.stderr, /"gitlub" is not a source: use discourse:USERNAME or gitlab:USERNAME, or a forum username alone/);
    const gitlabName = await cli.parley(['identities', 'add', 'telegram:1', 'gitlab:ada lovelace']);
    assert.equal(gitlabName.code, 1);
    assert.match(gitlabName.stderr, /is not a GitLab username: give the username from the user's GitLab profile/);

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

test('parley slack manifest prints the app manifest, says what is missing without a public URL, and --help lists slack', async (t) => {
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
