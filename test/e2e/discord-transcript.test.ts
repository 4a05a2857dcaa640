// /topic end to end on Discord (interactions mode): the signed interaction, the history read with discord.js's
// REST client from a stateful fake of Discord's API (checked against Discord's OpenAPI document), a thread's
// replies read from the thread's own channel, one topic created in the fake forum (checked against Discourse's
// spec by Prism) as the user, the link back as a follow-up of the interaction.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { postInteraction, PUBLIC_KEY, relayAnswer } from '../helpers/discord-request.js';
import { CHANNEL_TYPE, PERMISSIONS, startFakeDiscord, type FakeDiscord, type FakeDiscordUser } from '../helpers/fake-discord.js';
import { startFakeForum, type FakeForum } from '../helpers/fake-forum.js';
import { eventually, startParley, type TestParley } from '../helpers/parley.js';
import { startPrism, type PrismServer } from '../helpers/prism.js';

const SPEC = new URL('../../../shared/specs/discourse-openapi.json', import.meta.url).pathname;

const DISCORD_EPOCH = 1420070400000n;
const GUILD = '3000000000000000001';
const MODS = '3000000000000000002';
const CHANNEL = '3000000000000000010';
const MOD: FakeDiscordUser = { id: '4000000000000000001', username: 'mod', global_name: 'Mo Derator' };
const ANN: FakeDiscordUser = { id: '4000000000000000002', username: 'ann', global_name: 'Ann' };
const BEN: FakeDiscordUser = { id: '4000000000000000003', username: 'ben', global_name: 'Ben' };

/** A snowflake made at `ms`. */
const idAt = (ms: number): string => ((BigInt(Math.floor(ms)) - DISCORD_EPOCH) << 22n).toString();
const userView = (u: FakeDiscordUser) => ({ id: u.id, username: u.username, global_name: u.global_name ?? null, discriminator: '0', avatar: null });

describe('Discord /topic end to end', () => {
  let prism: PrismServer;
  let forum: FakeForum;
  let fake: FakeDiscord;
  let parley: TestParley;

  before(async () => {
    prism = await startPrism(SPEC, { errors: true });
    forum = await startFakeForum({ validatorUrl: prism.url, users: [{ username: 'mod', admin: false, groups: ['staff'] }] });
    fake = await startFakeDiscord({
      guilds: [{ id: GUILD, name: 'Acme', roles: [{ id: MODS, name: 'Mods', permissions: PERMISSIONS.MANAGE_CHANNELS.toString() }], members: [{ user: MOD, roles: [MODS] }, { user: ANN }, { user: BEN }] }],
      channels: [{ id: CHANNEL, type: CHANNEL_TYPE.text, name: 'ops', guild_id: GUILD }],
    });
    parley = await startParley({
      env: {
        PARLEY_DISCOURSE_URL: forum.url,
        PARLEY_DISCOURSE_API_KEY: forum.apiKey,
        PARLEY_DISCORD_MODE: 'interactions',
        PARLEY_DISCORD_PUBLIC_KEY: PUBLIC_KEY,
        PARLEY_DISCORD_TOKEN: fake.token,
        PARLEY_DISCORD_APPLICATION_ID: fake.application.id,
        PARLEY_DISCORD_API_URL: fake.url,
        PARLEY_TRANSCRIPT_GROUPS: 'staff',
        PARLEY_IDENTITY_SAME_USERNAME: 'true',
      },
    });
  });
  after(async () => {
    await parley?.stop();
    await fake?.stop();
    await forum?.stop();
    await prism?.stop();
    assert.deepEqual(fake?.violations ?? [], [], 'every request Parley sent Discord is one the spec allows');
    assert.deepEqual(forum?.violations ?? [], [], "every request Parley sent the forum is one Discourse's spec allows");
  });

  const transcriptPosts = () => forum.requests.filter((r) => r.method === 'POST' && r.path === '/posts.json');

  test('last:N becomes one forum topic as the user: markup converted, names shown, thread replies under their parent', async () => {
    const now = Date.now();
    const at = (minutesAgo: number) => now - minutesAgo * 60_000;
    const say = (minutesAgo: number, author: FakeDiscordUser, content: string, extra: Record<string, unknown> = {}, channel = CHANNEL) =>
      fake.addMessage(channel, { id: idAt(at(minutesAgo)), timestamp: new Date(at(minutesAgo)).toISOString(), author, content, ...extra });
    say(8, ANN, 'Deploy failed on **node 3** and __api__');
    say(7, BEN, '', { type: 7 }); // USER_JOIN: Discord's own message
    const parentId = idAt(at(6));
    const parent = say(6, ANN, 'Logs: ```OOMKilled```', { thread: { id: parentId, name: 'Logs', type: CHANNEL_TYPE.publicThread } });
    fake.setChannel({ id: parent.id, type: CHANNEL_TYPE.publicThread, name: 'Logs', guild_id: GUILD, parent_id: CHANNEL });
    say(5.5, BEN, `Which pod, <@${ANN.id}>?`, { mentions: [userView(ANN)] }, parent.id);
    say(5, ANN, 'api-2 & api-3', {}, parent.id);
    say(4, BEN, `Rolling back, <@&${MODS}> see [status page](https://status.example.org)`, { mention_roles: [MODS] });
    say(3, ANN, '*Rollback done* @here');

    const interaction = fake.createInteraction({ channelId: CHANNEL, userId: MOD.id, data: { name: 'topic', options: [{ type: 4, name: 'last', value: 4 }] } });
    const first = await postInteraction(parley.url, interaction);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(await relayAnswer(fake.url, interaction, first.body), 204);
    const answer = first.body as { type: number; data?: { content?: string; flags?: number } };
    if (answer.type === 4) {
      assert.match(answer.data?.content ?? '', /Collecting the last 4 messages/);
      assert.equal((answer.data?.flags ?? 0) & 64, 64, 'for the user alone');
    } else {
      assert.equal(answer.type, 5, 'deferred');
    }

    const link = await eventually(
      () => fake.interactionResponses.find((r) => r.interactionId === interaction.id && r.kind !== 'callback' && /Transcript of/.test(String(r.body.content))),
      'the link',
      60_000,
    );
    assert.equal(link.kind, 'followup', 'the link is a follow-up, for everyone');
    assert.equal(((link.body.flags as number | undefined) ?? 0) & 64, 0);
    assert.match(String(link.body.content), /Transcript of 6 messages/, 'four channel messages and the two thread replies');
    assert.deepEqual(link.body.allowed_mentions, { parse: [] });
    assert.ok(fake.messages(CHANNEL).some((m) => /Transcript of/.test(m.content)), 'the channel shows it');

    const posts = transcriptPosts();
    assert.equal(posts.length, 1);
    assert.equal(posts[0]!.headers['api-username'], 'mod', 'posted as the user who asked');
    const raw = (posts[0]!.body as { raw: string }).raw;
    assert.doesNotMatch(raw, /joined/i, "Discord's own messages are not the conversation");
    assert.match(raw, /Deploy failed on \*\*node 3\*\* and \[u\]api\[\/u\]/, 'bold kept, underline as BBCode');
    assert.match(raw, /> ↳ \*\*Ben\*\* · .*\n> Which pod, @\u200BAnn\?/u, 'the reply quoted under its parent, the mention as the name');
    assert.match(raw, /> api-2 &(amp;)? api-3/);
    assert.match(raw, /\[status page\]\(https:\/\/status\.example\.org\)/);
    assert.match(raw, /Rolling back, @\u200BMods see/u, "the role mention shows the role's name");
    assert.match(raw, /_Rollback done_|\*Rollback done\*/);
    assert.doesNotMatch(raw, /@here\b/, 'no pings in the forum');
    const order = ['Deploy failed', 'Logs:', 'Which pod', 'api-2', 'Rolling back', 'Rollback done'].map((t) => raw.indexOf(t));
    assert.deepEqual([...order].sort((a, b) => a - b), order, raw);
    assert.ok(fake.calls('GET /channels/{channel_id}/messages').some((r) => r.path === `/channels/${parent.id}/messages`), 'the thread was read');
  });
});
