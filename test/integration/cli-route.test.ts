// The admin CLI as an admin runs it: `node bin/parley.js …` in a child process, on a SQLite file of its
// own per test (test/helpers/cli.ts). The CLI tests are split over several files so that they run side by side.
// This file: `parley route` with the real Discourse and GitLab webhook bodies from ../shared/fixtures, and configuration errors.
import { test, describe, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FIXTURES, POST_2025, POST_2_9, PRIVATE_MESSAGE, sandbox } from '../helpers/cli.js';

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

describe('parley route --source gitlab', { concurrency: 2 }, () => {
  // GitLab's published bodies; variants it publishes no example of are derived here and written to a temp file.
  const GITLAB = fileURLToPath(new URL('../../../shared/fixtures/gitlab-webhooks/', import.meta.url));
  const ISSUE = path.join(GITLAB, 'issue.open.body.json');

  function derivedFile(t: TestContext, name: string, change: (body: Record<string, unknown>) => void): string {
    const dir = mkdtempSync(path.join(tmpdir(), 'parley-route-gitlab-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const body = JSON.parse(readFileSync(path.join(GITLAB, name), 'utf8')) as Record<string, unknown>;
    change(body);
    const file = path.join(dir, name);
    writeFileSync(file, JSON.stringify(body));
    return file;
  }

  test('names each channel an issue webhook would reach, with the rule that decided it, and the mutes', async (t) => {
    const cli = sandbox(t);
    await cli.ok(['rules', 'add', 'telegram:-1', 'gitlab', 'watch', 'p/gitlabhq/gitlab-test']);
    await cli.ok(['rules', 'add', 'telegram:-2', 'gitlab', 'follow', 'l/API']);
    await cli.ok(['rules', 'add', 'telegram:-3', 'gitlab', 'watch', 'g/other']);
    await cli.ok(['rules', 'add', 'telegram:-4', 'watch', 'all']); // a Discourse rule: never a GitLab event
    await cli.ok(['rules', 'add', 'mattermost:abc', 'gitlab', 'watch', 'all']);
    await cli.ok(['rules', 'add', 'mattermost:abc', 'gitlab', 'mute', 'g/gitlabhq']);

    const out = await cli.ok(['route', ISSUE, '--source', 'gitlab']);
    assert.match(out, /^issue opened in p\/gitlabhq\/gitlab-test \(public\) by root, labels: API/m);
    assert.match(out, /"#23 New API: create\/update\/delete file" {2}http:\/\/example\.com\/diaspora\/issues\/23/);
    assert.match(out, /Would go to 2 channels/);
    assert.match(out, /telegram:-1\s+watch\s+via rule #1 "watch p\/gitlabhq\/gitlab-test"/);
    assert.match(out, /telegram:-2\s+follow\s+via rule #1 "follow l\/api"/);
    assert.match(out, /Muted:\n\s+mattermost:abc\s+mute\s+via rule #1 "mute g\/gitlabhq"/);
    assert.ok(!/telegram:-[34]/.test(out), out);

    const report = await cli.json<{ source: string; outcome: string; object: { kind: string; restricted: boolean }; channels: { channel: string; filter: string; rule: { number: number } }[] }>([
      'route',
      ISSUE,
      '--source',
      'gitlab',
      '--event',
      'issue hook',
      '--json',
    ]);
    assert.deepEqual([report.source, report.outcome, report.object.kind, report.object.restricted], ['gitlab', 'delivered', 'issue', false]);
    assert.deepEqual(report.channels.map((c) => [c.channel, c.filter, c.rule.number]), [['telegram:-1', 'watch', 1], ['telegram:-2', 'follow', 1]]);
    const counts = await cli.withStore((s) => s.deliveries.countByStatus());
    assert.equal(Object.values(counts).reduce((a, b) => a + b, 0), 0, 'nothing was queued');
  });

  test("a private project's issue (issue.open with visibility_level 0) only through a rule naming the project; a comment threads", async (t) => {
    const cli = sandbox(t);
    await cli.ok(['rules', 'add', 'telegram:-1', 'gitlab', 'watch', 'all', 'g/gitlabhq']);
    const privateIssue = derivedFile(t, 'issue.open.body.json', (b) => void ((b.project as Record<string, unknown>).visibility_level = 0));
    const out = await cli.ok(['route', privateIssue, '--source', 'gitlab']);
    assert.match(out, /\(private, restricted\)/);
    assert.match(out, /Nothing would be sent: p\/gitlabhq\/gitlab-test is private in GitLab, so only a rule naming p\/gitlabhq\/gitlab-test delivers it, and no channel has one\./);

    // note.issue is in gitlab-org/gitlab-test, internal in the published body.
    await cli.ok(['rules', 'add', 'telegram:-2', 'gitlab', 'thread', 'p/gitlab-org/gitlab-test']);
    const note = await cli.ok(['route', path.join(GITLAB, 'note.issue.body.json'), '--source', 'gitlab', '--event', 'Note Hook']);
    assert.match(note, /note create in p\/gitlab-org\/gitlab-test \(internal, restricted\)/);
    assert.match(note, /Would go to 1 channel:\n\s+telegram:-2\s+thread\s+via rule #1 "thread p\/gitlab-org\/gitlab-test"/);
  });

  test('confidential issues, ignored kinds and edits say why nothing is sent; a GitLab body without --source is pointed to it', async (t) => {
    const cli = sandbox(t);
    await cli.ok(['rules', 'add', 'telegram:-1', 'gitlab', 'watch', 'all']);
    const confidential = await cli.ok(['route', path.join(GITLAB, 'third-party-captures', 'zulip.confidential_issue.close.2018.body.json'), '--source', 'gitlab']);
    assert.match(confidential, /Nothing would be sent: a confidential issue is never announced, to any channel, whatever the rules/);
    const push = await cli.ok(['route', path.join(GITLAB, 'push.body.json'), '--source', 'gitlab']);
    assert.match(push, /Nothing would be sent: object_kind "push" is not an event Parley delivers\. GitLab still gets a 2xx answer/);
    const retitled = derivedFile(t, 'issue.open.body.json', (b) => {
      (b.object_attributes as Record<string, unknown>).action = 'update';
      b.changes = { title: { previous: 'Old', current: 'New API: create/update/delete file' } };
    });
    assert.match(await cli.ok(['route', retitled, '--source', 'gitlab']), /Nothing would be sent: an edit is never announced on its own/);

    const unsaid = await cli.parley(['route', ISSUE]);
    assert.equal(unsaid.code, 1);
    assert.match(unsaid.stderr, /looks like a GitLab webhook body: add --source gitlab/);
    const wrongEvent = await cli.parley(['route', ISSUE, '--source', 'gitlab', '--event', 'Issue Hooks']);
    assert.equal(wrongEvent.code, 1);
    assert.match(wrongEvent.stderr, /not an X-Gitlab-Event Parley knows/);
  });
});
