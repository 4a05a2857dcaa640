// The admin CLI as an admin runs it: `node bin/parley.js …` in a child process, on a SQLite file of its
// own per test (test/helpers/cli.ts). The CLI tests are split over several files so that they run side by side.
// This file: `parley route` with the real Discourse webhook bodies from ../shared/fixtures, and configuration errors.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
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
