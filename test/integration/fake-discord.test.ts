// The fake Discord itself (test/helpers/fake-discord.ts, fake-discord-gateway.ts), driven by Discord's own
// clients from discord.js 14 (@discordjs/rest's REST, and a discord.js Client over the fake gateway): what other
// tests rely on it for.
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Client, DiscordAPIError, Events, GatewayIntentBits, RateLimitError, REST, Routes, type Message } from 'discord.js';
import { APPLICATION_COMMANDS } from '../../bots/discord/commands.js';
import { CHANNEL_TYPE, rateLimitFault, startFakeDiscord, type FakeDiscord, type FakeDiscordOptions } from '../helpers/fake-discord.js';
import { INTENTS } from '../helpers/fake-discord-gateway.js';
import { rejection } from '../helpers/rejection.js';

const GUILD = '3000000000000000001';
const TEXT = '3000000000000000010';
const FORUM = '3000000000000000011';
const HIDDEN = '3000000000000000012';
const ALICE = { id: '4000000000000000001', username: 'alice' };

const fakes: FakeDiscord[] = [];
const clients: Client[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.destroy();
  for (const fake of fakes.splice(0)) await fake.stop();
});

async function fakeDiscord(extra: Partial<FakeDiscordOptions> = {}): Promise<FakeDiscord> {
  const fake = await startFakeDiscord({
    guilds: [{ id: GUILD, name: 'Acme', owner_id: ALICE.id, members: [{ user: ALICE }], roles: [{ id: '3000000000000000100', name: 'Mods', permissions: String(1n << 5n) }] }],
    channels: [
      { id: TEXT, type: CHANNEL_TYPE.text, name: 'general', guild_id: GUILD },
      { id: FORUM, type: CHANNEL_TYPE.forum, name: 'ideas', guild_id: GUILD },
      { id: HIDDEN, type: CHANNEL_TYPE.text, name: 'secret', guild_id: GUILD, access: false },
    ],
    ...extra,
  });
  fakes.push(fake);
  return fake;
}

const restFor = (fake: FakeDiscord): REST => new REST({ api: fake.url, version: '10', rejectOnRateLimit: () => true, retries: 0 }).setToken(fake.token);

describe('REST', () => {
  test('post, edit, delete, history and threads keep state; requests are recorded and fit the spec', async () => {
    const fake = await fakeDiscord();
    const rest = restFor(fake);
    const me = (await rest.get(Routes.user('@me'))) as { id: string; bot: boolean };
    assert.deepEqual([me.id, me.bot], [fake.bot.id, true]);

    const first = (await rest.post(Routes.channelMessages(TEXT), { body: { content: 'hello', allowed_mentions: { parse: [] } } })) as { id: string; content: string; author: { id: string } };
    assert.deepEqual([first.content, first.author.id], ['hello', fake.bot.id]);
    const second = (await rest.post(Routes.channelMessages(TEXT), { body: { content: 'second', message_reference: { message_id: first.id } } })) as { id: string };
    const edited = (await rest.patch(Routes.channelMessage(TEXT, first.id), { body: { content: 'hello again' } })) as { edited_timestamp: string | null };
    assert.ok(edited.edited_timestamp);
    const page = (await rest.get(Routes.channelMessages(TEXT), { query: new URLSearchParams({ limit: '10' }) })) as { id: string; content: string }[];
    assert.deepEqual(page.map((m) => m.content), ['second', 'hello again']);
    const before = (await rest.get(Routes.channelMessages(TEXT), { query: new URLSearchParams({ before: second.id }) })) as { id: string }[];
    assert.deepEqual(before.map((m) => m.id), [first.id]);

    const thread = (await rest.post(Routes.threads(TEXT, first.id), { body: { name: 'Discussion', auto_archive_duration: 1440 } })) as { id: string; type: number; parent_id: string };
    assert.deepEqual([thread.id, thread.type, thread.parent_id], [first.id, CHANNEL_TYPE.publicThread, TEXT]);
    await rest.post(Routes.channelMessages(thread.id), { body: { content: 'in the thread' } });
    assert.deepEqual(fake.messages(thread.id).map((m) => m.content), ['in the thread']);
    const again = await rejection(rest.post(Routes.threads(TEXT, first.id), { body: { name: 'Again' } }));
    assert.equal((again as DiscordAPIError).code, 160004);

    const post = (await rest.post(Routes.threads(FORUM), { body: { name: 'A forum post', message: { content: 'starter' } } })) as { id: string; message: { id: string; content: string } };
    assert.deepEqual([post.message.id, post.message.content], [post.id, 'starter']);
    const notText = await rejection(rest.post(Routes.channelMessages(FORUM), { body: { content: 'x' } }));
    assert.equal((notText as DiscordAPIError).code, 50008);

    await rest.delete(Routes.channelMessage(TEXT, second.id));
    assert.deepEqual(fake.messages(TEXT).map((m) => m.content), ['hello again']);
    assert.equal(fake.calls('POST /channels/{channel_id}/messages').length, 4);
    assert.equal(fake.calls('POST /channels/{channel_id}/messages')[0]?.headers.authorization, `Bot ${fake.token}`);
    assert.deepEqual(fake.violations, []);
  });

  test("Discord's errors as Discord sends them: unknown channel, missing access, unknown message, empty and too long", async () => {
    const fake = await fakeDiscord();
    const rest = restFor(fake);
    // Each call's rejection is taken at once: they run together.
    const cases: [Promise<Error>, number, number][] = [
      [rejection(rest.post(Routes.channelMessages('3999999999999999999'), { body: { content: 'x' } })), 404, 10003],
      [rejection(rest.post(Routes.channelMessages(HIDDEN), { body: { content: 'x' } })), 403, 50001],
      [rejection(rest.patch(Routes.channelMessage(TEXT, '3999999999999999999'), { body: { content: 'x' } })), 404, 10008],
      [rejection(rest.delete(Routes.channelMessage(TEXT, '3999999999999999999'))), 404, 10008],
      [rejection(rest.post(Routes.channelMessages(TEXT), { body: { content: '' } })), 400, 50006],
      [rejection(rest.post(Routes.channelMessages(TEXT), { body: { content: 'x'.repeat(2001) } })), 400, 50035],
      [rejection(rest.get(Routes.guildMember(GUILD, '4999999999999999999'))), 404, 10007],
    ];
    for (const [call, status, code] of cases) {
      const err = await call;
      assert.ok(err instanceof DiscordAPIError, String(err));
      assert.deepEqual([err.status, err.code], [status, code], err.message);
    }
    const member = (await rest.get(Routes.guildMember(GUILD, ALICE.id))) as { user: { id: string }; roles: string[] };
    assert.equal(member.user.id, ALICE.id);
    const unauthorized = await rejection(new REST({ api: fake.url, version: '10', retries: 0 }).setToken('wrong').get(Routes.user('@me')));
    assert.equal((unauthorized as DiscordAPIError).status, 401);
    // The spec allows 4000 characters of content; the fake keeps Discord's 2000 for bots, so no violation.
    assert.deepEqual(fake.violations, []);
  });

  test('a nonce with enforce_nonce returns the first message again; without it, a new one', async () => {
    const fake = await fakeDiscord();
    const rest = restFor(fake);
    const a = (await rest.post(Routes.channelMessages(TEXT), { body: { content: 'once', nonce: 'delivery-42', enforce_nonce: true } })) as { id: string; nonce: string };
    const b = (await rest.post(Routes.channelMessages(TEXT), { body: { content: 'once', nonce: 'delivery-42', enforce_nonce: true } })) as { id: string };
    assert.equal(b.id, a.id);
    assert.equal(a.nonce, 'delivery-42');
    await rest.post(Routes.channelMessages(TEXT), { body: { content: 'twice', nonce: 'delivery-42' } });
    assert.equal(fake.messages(TEXT).length, 2);
    assert.deepEqual(fake.violations, []);
  });

  test('a queued 429 surfaces as RateLimitError with its Retry-After; a global one (X-RateLimit-Global) too', async () => {
    const fake = await fakeDiscord();
    const rest = restFor(fake);
    fake.queue.push(rateLimitFault({ route: 'POST /channels/{channel_id}/messages', retryAfter: 2.5 }));
    const limited = await rejection(rest.post(Routes.channelMessages(TEXT), { body: { content: 'x' } }));
    assert.ok(limited instanceof RateLimitError, String(limited));
    // Retry-After is whole seconds (3); the client adds its offset (50 ms by default).
    assert.ok(limited.retryAfter >= 3000 && limited.retryAfter < 3500, String(limited.retryAfter));
    assert.equal(limited.global, false);
    assert.equal(fake.messages(TEXT).length, 0);

    const other = restFor(fake);
    fake.queue.push(rateLimitFault({ retryAfter: 0.2, global: true }));
    const global = await rejection(other.get(Routes.user('@me')));
    assert.ok(global instanceof RateLimitError, String(global));
    assert.ok(global.retryAfter >= 1000, JSON.stringify(global));
    assert.equal(fake.queue.length, 0);
    assert.deepEqual(fake.violations, []);
  });

  test('application commands: PUT keeps them with ids, GET returns them; a bad name is 50035', async () => {
    const fake = await fakeDiscord();
    const rest = restFor(fake);
    const put = (await rest.put(Routes.applicationCommands(fake.application.id), { body: APPLICATION_COMMANDS })) as { id: string; name: string }[];
    assert.deepEqual(put.map((c) => c.name), ['discourse', 'topic']);
    const again = (await rest.put(Routes.applicationCommands(fake.application.id), { body: APPLICATION_COMMANDS })) as { id: string }[];
    assert.deepEqual(again.map((c) => c.id), put.map((c) => c.id));
    const got = (await rest.get(Routes.applicationCommands(fake.application.id))) as unknown[];
    assert.equal(got.length, 2);
    assert.deepEqual(fake.violations, []);
    const bad = await rejection(rest.put(Routes.applicationCommands(fake.application.id), { body: [{ name: 'Discourse', description: 'x' }] }));
    assert.equal((bad as DiscordAPIError).code, 50035);
  });

  test('the spec check names unknown paths, unknown query parameters and bodies that break the schema', async () => {
    const fake = await fakeDiscord();
    const rest = restFor(fake);
    await rest.get(Routes.channelMessages(TEXT), { query: new URLSearchParams({ limit: '5', newest: 'yes' }) });
    await rejection(rest.post(Routes.channelMessages(TEXT), { body: { contnet: 'typo' } }));
    await rejection(rest.post(Routes.channelMessages('undefined'), { body: { content: 'x' } }));
    await rejection(rest.get('/no/such/route'));
    assert.deepEqual(
      fake.violations.map((v) => [v.route, v.kind]),
      [
        ['GET /channels/{channel_id}/messages', 'unknown_query'],
        ['POST /channels/{channel_id}/messages', 'bad_body'],
        ['POST /channels/{channel_id}/messages', 'bad_path_parameter'],
        ['GET /no/such/route', 'unknown_path'],
      ],
    );
  });

  test('interactions: a callback within 3 s, edits of the original, follow-ups; a second callback is 40060', async () => {
    const fake = await fakeDiscord();
    const rest = restFor(fake);
    const interaction = fake.createInteraction({ channelId: TEXT, userId: ALICE.id, data: { name: 'discourse', options: [{ type: 1, name: 'status' }] } });
    const id = interaction.id as string;
    const token = interaction.token as string;
    await rest.post(Routes.interactionCallback(id, token), { body: { type: 5, data: { flags: 64 } }, auth: false });
    const twice = await rejection(rest.post(Routes.interactionCallback(id, token), { body: { type: 4, data: { content: 'x' } }, auth: false }));
    assert.equal((twice as DiscordAPIError).code, 40060);
    await rest.patch(Routes.webhookMessage(fake.application.id, token), { body: { content: 'No rules yet.' }, auth: false });
    await rest.post(Routes.webhook(fake.application.id, token), { body: { content: 'And one more thing' }, auth: false });
    assert.deepEqual(
      fake.interactionResponses.map((r) => [r.kind, r.type]),
      [
        ['callback', 5],
        ['edit_original', undefined],
        ['followup', undefined],
      ],
    );
    // The deferred reply was ephemeral: only the follow-up shows in the channel.
    assert.deepEqual(fake.messages(TEXT).map((m) => m.content), ['And one more thing']);

    const late = await startFakeDiscord({ interactionDeadlineMs: 0, channels: [{ id: TEXT, type: 0, name: 'general' }] });
    fakes.push(late);
    const old = late.createInteraction({ channelId: TEXT, userId: ALICE.id, data: { name: 'topic' } });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const expired = await rejection(restFor(late).post(Routes.interactionCallback(old.id as string, old.token as string), { body: { type: 4, data: { content: 'x' } }, auth: false }));
    assert.equal((expired as DiscordAPIError).code, 10062);
    assert.deepEqual([...fake.violations, ...late.violations], []);
  });
});

describe('gateway', () => {
  const clientFor = (fake: FakeDiscord, intents = [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.MessageContent]): Client => {
    const client = new Client({ intents, rest: { api: fake.url, retries: 0 } });
    clients.push(client);
    return client;
  };

  test('a discord.js Client logs in: READY, GUILD_CREATE, then MESSAGE_CREATE and INTERACTION_CREATE reach it; its reply reaches the REST fake', async () => {
    const fake = await fakeDiscord({ gateway: true });
    const client = clientFor(fake);
    const ready = once(client, Events.ClientReady);
    await client.login(fake.token);
    await ready;
    assert.equal(client.user?.id, fake.bot.id);
    assert.equal(client.application?.id, fake.application.id);
    assert.equal(client.guilds.cache.get(GUILD)?.channels.cache.get(TEXT)?.name, 'general');
    const identify = fake.gateway!.identifies[0]!;
    assert.equal(identify.intents, INTENTS.GUILDS | INTENTS.GUILD_MESSAGES | INTENTS.MESSAGE_CONTENT);
    assert.deepEqual(fake.gateway!.connectQueries[0], { v: '10', encoding: 'json' });
    assert.equal(fake.calls('GET /gateway/bot').length, 1);

    const messageSeen = once(client, Events.MessageCreate) as Promise<[Message]>;
    const stored = fake.addMessage(TEXT, { content: 'hello bot', author: ALICE });
    fake.gateway!.dispatch('MESSAGE_CREATE', { ...stored, guild_id: GUILD, member: { roles: [], joined_at: '2024-01-01T00:00:00.000000+00:00', deaf: false, mute: false, flags: 0 } });
    const [message] = await messageSeen;
    assert.deepEqual([message.content, message.author.username, message.channelId], ['hello bot', 'alice', TEXT]);

    client.on(Events.InteractionCreate, (interaction) => {
      if (interaction.isChatInputCommand()) void (interaction).reply({ content: `got /${interaction.commandName} ${interaction.options.getSubcommand()}`, flags: 64 });
    });
    const payload = fake.createInteraction({ channelId: TEXT, userId: ALICE.id, data: { name: 'discourse', options: [{ type: 1, name: 'status', options: [] }] } });
    fake.gateway!.dispatch('INTERACTION_CREATE', payload);
    const deadline = Date.now() + 5000;
    while (fake.interactionResponses.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    const [callback] = fake.interactionResponses;
    assert.equal(callback?.type, 4);
    const data = callback?.body.data as { content?: string; flags?: number };
    assert.deepEqual([data.content, data.flags], ['got /discourse status', 64]);
    assert.ok(callback.afterMs < 3000);
    assert.deepEqual(fake.violations, []);
  });

  test('without MESSAGE_CONTENT a guild message arrives with empty content; a closed connection resumes (RESUME, not a new IDENTIFY) and still gets events', async () => {
    const fake = await fakeDiscord({ gateway: true });
    const client = clientFor(fake, [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages]);
    const ready = once(client, Events.ClientReady);
    await client.login(fake.token);
    await ready;

    const seen = once(client, Events.MessageCreate) as Promise<[Message]>;
    fake.gateway!.dispatch('MESSAGE_CREATE', { ...fake.addMessage(TEXT, { content: 'secret words', author: ALICE }), guild_id: GUILD });
    assert.equal((await seen)[0].content, '');

    const resumed = new Promise<void>((resolve) => client.ws.on('RESUMED' as never, () => resolve()));
    fake.gateway!.closeAll(4000, 'Unknown error');
    await resumed;
    assert.equal(fake.gateway!.resumes.length, 1);
    assert.equal(fake.gateway!.identifies.length, 1);
    const deleted = once(client, Events.ChannelDelete);
    fake.gateway!.dispatch('CHANNEL_DELETE', { id: FORUM, type: CHANNEL_TYPE.forum, guild_id: GUILD, name: 'ideas' });
    await deleted;
    assert.equal(client.channels.cache.has(FORUM), false);
    assert.deepEqual(fake.violations, []);
  });
});
