// The admin CLI as an admin runs it: `node bin/parley.js …` in a child process, on a SQLite file of its
// own per test (test/helpers/cli.ts). The CLI tests are split over several files so that they run side by side.
// This file: `parley channels` and `parley rules`.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { sandbox } from '../helpers/cli.js';

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

  test('accept makes a pending channel active; decline removes one; neither touches a channel that is not pending', async (t) => {
    const cli = sandbox(t);
    await cli.withStore(async (s) => {
      await s.channels.ensure({ platform: 'matrix', externalId: '!a:example.org', name: 'Room A', status: 'pending', addedBy: 'matrix:@eve:example.org' });
      await s.channels.ensure({ platform: 'matrix', externalId: '!b:example.org', name: 'Room B', status: 'pending', addedBy: 'matrix:@eve:example.org' });
      await s.channels.ensure({ platform: 'matrix', externalId: '!c:example.org', name: 'Room C', status: 'active', addedBy: 'cli' });
    });
    assert.match(await cli.ok(['channels', 'accept', 'matrix:!a:example.org']), /Accepted matrix:!a:example\.org .*active/);
    assert.match(await cli.ok(['channels', 'decline', 'matrix:!b:example.org']), /Declined matrix:!b:example\.org/);
    const active = await cli.parley(['channels', 'decline', 'matrix:!c:example.org']);
    assert.equal(active.code, 1);
    assert.match(active.stderr, /not pending \(it is active\).*parley channels remove matrix:!c:example\.org/);
    const missing = await cli.parley(['channels', 'accept', 'matrix:!zz:example.org']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no channel matrix:!zz:example\.org/);
    const channels = await cli.json<ChannelJson[]>(['channels', 'list', '--json']);
    assert.deepEqual(channels.map((c) => [c.name, c.status]), [['Room A', 'active'], ['Room C', 'active']]);
  });

  test('wrong input is refused with what would be right, and nothing is created', async (t) => {
    const cli = sandbox(t);
    const platform = await cli.parley(['channels', 'add', 'telegrm:-100']);
    assert.equal(platform.code, 1);
    assert.match(platform.stderr, /"telegrm" is not a platform\. The platforms are: telegram, mattermost, slack, discord, matrix, irc\./);
    // Platforms come from bots/registry.ts: one without an adapter is no platform yet.
    const noAdapter = await cli.parley(['channels', 'add', 'xmpp:parley@muc.example.org']);
    assert.equal(noAdapter.code, 1);
    assert.match(noAdapter.stderr, /"xmpp" is not a platform\. The platforms are: telegram, mattermost, slack, discord, matrix, irc\./);

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
    assert.match(table, /telegram:-1001234\s+discourse\s+1\s+mute t\/spam/);
    assert.match(table, /mattermost:abc\s+discourse\s+1\s+follow all/);

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

describe('parley channels add --transcript-target', { concurrency: 2 }, () => {
  test('sets the GitLab project /topic files issues in when it names no to:, shows it, and forum or empty removes it', async (t) => {
    const cli = sandbox(t);
    const added = await cli.parley(['channels', 'add', 'telegram:-1001234', '--transcript-target', 'gitlab:Group/Sub/Project']);
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /Added telegram:-1001234 .*Settings: transcripts to gitlab:Group\/Sub\/Project\./);
    // GitLab is not configured in this install: said, not refused (the admin may configure it next).
    assert.match(added.stderr, /warning: GitLab is not configured \(PARLEY_GITLAB_URL, PARLEY_GITLAB_TOKEN, PARLEY_GITLAB_WEBHOOK_SECRET\)/);
    const [channel] = await cli.json<(ChannelJson & { settings: { transcriptTarget?: string } })[]>(['channels', 'list', '--json']);
    assert.equal(channel?.settings.transcriptTarget, 'gitlab:Group/Sub/Project');
    assert.match(await cli.ok(['channels', 'list']), /transcripts to gitlab:Group\/Sub\/Project/);

    // Written as /gitlab scopes are (p/…), it is stored as a plain path.
    assert.match(await cli.ok(['channels', 'add', 'telegram:-1001234', '--transcript-target', 'gitlab:p/ops/incidents']), /set transcriptTarget.*transcripts to gitlab:ops\/incidents/);
    assert.match(await cli.ok(['channels', 'add', 'telegram:-1001234', '--transcript-target', 'forum']), /removed transcriptTarget/);
    assert.equal((await cli.withStore((s) => s.channels.find('telegram', '-1001234')))?.settings.transcriptTarget, undefined);
    await cli.ok(['channels', 'add', 'telegram:-1001234', '--transcript-target', 'gitlab:a/b']);
    assert.match(await cli.ok(['channels', 'add', 'telegram:-1001234', '--transcript-target', '']), /removed transcriptTarget/);
  });

  test('a target that is not one is refused with the right form, and nothing is created', async (t) => {
    const cli = sandbox(t);
    for (const bad of ['github:group/project', 'gitlab:project-without-group', 'gitlab:group/my project', 'group/project']) {
      const run = await cli.parley(['channels', 'add', 'telegram:-100', '--transcript-target', bad]);
      assert.equal(run.code, 1, bad);
      assert.match(run.stderr, /--transcript-target: ".*" is not a transcript target\. Give gitlab:GROUP\/PROJECT \(subgroups as in GitLab: gitlab:group\/sub\/project\), or forum \(the default\)\./);
    }
    assert.deepEqual(await cli.json<ChannelJson[]>(['channels', 'list', '--json']), []);
  });
});
