// The REST client against Mattermost's own OpenAPI spec (v4, 2023-06), served by Prism with --errors:
// a request that breaks the spec gets a 422, or the operation's own declared 4xx (400 for these, 401
// without a token), which the client throws; so every call below resolving means none broke the spec.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { MattermostClient } from '../../bots/mattermost/client.js';
import { buildAttachmentPayload } from '../../bots/mattermost/format.js';
import { pendingPostId } from '../../bots/mattermost/adapter.js';
import { startPrism, type PrismServer } from '../helpers/prism.js';

const SPEC = new URL('../../../shared/specs/mattermost-openapi-v4-2023-06.yaml', import.meta.url);

let prism: PrismServer;
let client: MattermostClient;

before(async () => {
  prism = await startPrism(SPEC, { errors: true });
  client = new MattermostClient({ baseUrl: prism.url, token: 'contract-test-token', timeoutMs: 15_000 });
});

after(async () => {
  await prism?.stop();
});

/** Runs a call; a rejection fails the test with Prism's own words about the request. */
async function conforms<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (err) {
    assert.fail(`the request broke the Mattermost spec: ${(err as Error).message}\n${prism.output().slice(-3000)}`);
  }
}

describe('Mattermost REST client against the v4 spec', () => {
  test('Prism does reject requests that break the spec (so the checks below mean something)', async () => {
    const post = (headers: Record<string, string>, body: unknown) =>
      fetch(`${prism.url}/api/v4/posts`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const noChannel = await post({ authorization: 'Bearer x' }, { message: 'no channel_id' });
    assert.ok([400, 422].includes(noChannel.status), `got ${noChannel.status}`);
    const noToken = await post({}, { channel_id: 'c', message: 'm' });
    assert.equal(noToken.status, 401);
    await assert.rejects(client.createPost({ channel_id: undefined as unknown as string, message: 'm' }));
  });

  test('create post: a threaded notification with attachments and pending_post_id', async () => {
    const payload = buildAttachmentPayload({
      kind: 'reply',
      title: 'Welcome',
      url: 'https://forum.example.org/t/welcome/1/2',
      author: 'sam',
      category: { name: 'Meta', path: 'meta', color: '0088CC' },
      tags: ['intro'],
      excerpt: 'Thanks!',
      topicId: 1,
      postId: 2,
    });
    const post = await conforms(
      client.createPost({
        channel_id: '4xp9fdt77pncbef59f4k1qe83o',
        message: '',
        root_id: 'rootpost00000000000000000a',
        props: { attachments: payload.attachments },
        pending_post_id: pendingPostId('deliver:post-2:1'),
      }),
    );
    assert.equal(typeof post.id, 'string');
  });

  test('get user, and users/me for health', async () => {
    const user = await conforms(client.getUser('4xp9fdt77pncbef59f4k1qe83o'));
    assert.equal(typeof user.roles, 'string');
    await conforms(client.getMe());
  });

  test('get channel member', async () => {
    const member = await conforms(client.getChannelMember('4xp9fdt77pncbef59f4k1qe83o', 'k1x4aqdjy3813c84m771eoc9xo'));
    assert.equal(typeof member.roles, 'string');
  });

  test('get team member', async () => {
    const member = await conforms(client.getTeamMember('carya1qs77bemjup96ff538snh', 'k1x4aqdjy3813c84m771eoc9xo'));
    assert.equal(typeof member.roles, 'string');
  });
});
