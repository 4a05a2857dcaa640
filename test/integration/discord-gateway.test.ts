// The Discord adapter in gateway mode (bots/discord/receiver-gateway.ts) against the fake Discord's gateway and
// REST API (test/helpers/fake-discord.ts, fake-discord-gateway.ts), through the real discord.js client: it
// identifies with Guilds, Guild Messages and Message Content; an INTERACTION_CREATE is answered through the
// interaction callback; `!discourse status` typed by a moderator reaches the core with the author's permissions
// and is answered in the channel, replying to it; GUILD_DELETE (a removal, not an outage) reports the guild's
// channels removed, which the core's membership handling marks `error`. The adapter is made through the registry
// entry's configure() and create(), with a real SQLite store and recording deps.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { discord } from '../../bots/discord/index.js';
import { handleMembership } from '../../commands/membership.js';
import type { CommandDeps } from '../../commands/context.js';
import { silentLogger } from '../../lib/log.js';
import { ChannelMessageLog } from '../../lib/message-log.js';
import type { CommandInvocation, CommandReply, MembershipChange } from '../../lib/seams/invocation.js';
import type { AdapterDeps, PlatformAdapter } from '../../lib/seams/platform.js';
import type { Store } from '../../lib/seams/store.js';
import { openStore } from '../../lib/store/index.js';
import { CHANNEL_TYPE, PERMISSIONS, startFakeDiscord, type FakeDiscord } from '../helpers/fake-discord.js';
import { INTENTS } from '../helpers/fake-discord-gateway.js';

const GUILD = '3000000000000000001';
const OTHER_GUILD = '3000000000000000002';
const MODS = '3000000000000000003';
const TEXT = '3000000000000000010';
const SECOND = '3000000000000000011';
const ELSEWHERE = '3000000000000000020';
const MOD = { id: '4000000000000000001', username: 'ada', global_name: 'Ada Admin' };
const MEMBER = { id: '4000000000000000002', username: 'mel' };
/** Longer than the adapter waits (2.5 s) before it defers an answer. */
const SLOW_MS = 2_700;
const REPLY: CommandReply = { text: 'No rules here yet: add one with /discourse watch c/meta_team', visibility: 'channel' };

/** Polls until `check` gives a value. */
async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('Discord adapter over the gateway', () => {
  let fake: FakeDiscord;
  let store: Store;
  let adapter: PlatformAdapter;
  const invocations: CommandInvocation[] = [];
  const memberships: MembershipChange[] = [];

  before(async () => {
    fake = await startFakeDiscord({
      gateway: { heartbeatInterval: 5_000 },
      guilds: [
        { id: GUILD, name: 'Acme', roles: [{ id: MODS, name: 'Mods', permissions: PERMISSIONS.MANAGE_CHANNELS.toString() }], members: [{ user: MOD, roles: [MODS] }, { user: MEMBER }] },
        { id: OTHER_GUILD, name: 'Elsewhere', members: [{ user: MEMBER }] },
      ],
      channels: [
        { id: TEXT, type: CHANNEL_TYPE.text, name: 'general', guild_id: GUILD },
        { id: SECOND, type: CHANNEL_TYPE.text, name: 'news', guild_id: GUILD },
        { id: ELSEWHERE, type: CHANNEL_TYPE.text, name: 'lobby', guild_id: OTHER_GUILD },
      ],
    });
    store = await openStore({ kind: 'sqlite', path: ':memory:' });
    for (const [externalId, name] of [[TEXT, '#general'], [SECOND, '#news'], [ELSEWHERE, '#lobby']] as const) {
      await store.channels.ensure({ platform: 'discord', externalId, name, status: 'active', addedBy: 'cli' });
    }
    // The core's own membership handling needs only the store and a log for a removal.
    const membershipDeps = { store, log: silentLogger } as unknown as CommandDeps;
    const deps: AdapterDeps = {
      log: silentLogger,
      store,
      messageLog: new ChannelMessageLog('discord', store, silentLogger),
      handleCommand: async (invocation) => {
        invocations.push(invocation);
        // `slow …`: an answer after Discord's 3 s, so the interaction is deferred; `… private`: for the user alone.
        if (invocation.args.includes('slow')) {
          await new Promise((resolve) => setTimeout(resolve, SLOW_MS));
          return invocation.args.includes('private') ? { text: 'Only you see this', visibility: 'ephemeral' } : { text: 'Everyone sees this: a rule was added', visibility: 'channel' };
        }
        return REPLY;
      },
      handleMembership: async (change) => {
        memberships.push(change);
        return handleMembership(change, membershipDeps);
      },
    };
    const { platform, problems } = discord.configure(
      { PARLEY_DISCORD_TOKEN: fake.token, PARLEY_DISCORD_APPLICATION_ID: fake.application.id, PARLEY_DISCORD_API_URL: fake.url },
      { publicUrl: null },
    );
    assert.ok(platform, problems.join('; '));
    adapter = await platform.create(deps);
    assert.equal(adapter.uniqueConnection, true, 'one gateway connection per token');
    await adapter.start();
    await fake.gateway!.ready();
  });

  after(async () => {
    await adapter?.stop();
    await fake?.stop();
    await store?.close();
    assert.deepEqual(fake?.violations ?? [], [], "every request and gateway payload kept to Discord's spec");
  });

  test('it identifies once with Guilds, Guild Messages and Message Content, and registers the commands', () => {
    assert.equal(fake.gateway!.identifies.length, 1);
    assert.equal(fake.gateway!.identifies[0]!.intents, INTENTS.GUILDS | INTENTS.GUILD_MESSAGES | INTENTS.MESSAGE_CONTENT);
    assert.equal(fake.gateway!.identifies[0]!.token, fake.token);
    assert.deepEqual(fake.commands().map((c) => c.name).sort(), ['discourse', 'topic']);
  });

  test('an INTERACTION_CREATE over the gateway is answered through the interaction callback', async () => {
    const before = invocations.length;
    const interaction = fake.createInteraction({ channelId: TEXT, userId: MOD.id, data: { name: 'discourse', options: [{ type: 1, name: 'status' }] } });
    assert.equal(fake.gateway!.dispatch('INTERACTION_CREATE', interaction), 1);
    const callback = await eventually(() => fake.interactionResponses.find((r) => r.interactionId === interaction.id && r.kind === 'callback'), 'the callback');
    assert.equal(callback.type, 4);
    const data = callback.body.data as { content?: string; allowed_mentions?: unknown; flags?: number };
    assert.match(data.content ?? '', /No rules here yet/);
    assert.deepEqual(data.allowed_mentions, { parse: [] });
    assert.ok(callback.afterMs < 3000, 'within Discord\'s 3 s');
    const invocation = invocations[before]!;
    assert.deepEqual([invocation.command, invocation.args, invocation.channel.externalId, invocation.user.id], ['discourse', 'status', TEXT, MOD.id]);
    assert.deepEqual(await adapter.memberRole(invocation), { role: 'moderator' });
  });

  test('a slow answer is deferred for the user alone; an answer for everyone then shows in the channel, a private one replaces the deferral', async () => {
    const slash = (args: string) => fake.createInteraction({ channelId: TEXT, userId: MOD.id, data: { name: 'discourse', options: [{ type: 1, name: 'watch', options: [{ type: 3, name: 'scope', value: args }] }] } });
    const publicOne = slash('slow');
    const privateOne = slash('slow private');
    fake.gateway!.dispatch('INTERACTION_CREATE', publicOne);
    fake.gateway!.dispatch('INTERACTION_CREATE', privateOne);
    for (const interaction of [publicOne, privateOne]) {
      const callback = await eventually(() => fake.interactionResponses.find((r) => r.interactionId === interaction.id && r.kind === 'callback'), 'the deferral');
      assert.equal(callback.type, 5, 'deferred');
      assert.equal((callback.body.data as { flags?: number } | undefined)?.flags, 64, 'the deferral shows to the user alone');
    }
    const shown = await eventually(() => fake.messages(TEXT).find((m) => m.content.includes('Everyone sees this')), 'the answer for everyone in the channel');
    assert.equal(shown.flags & 64, 0, 'not ephemeral');
    await eventually(() => fake.interactionResponses.find((r) => r.interactionId === publicOne.id && r.kind === 'delete_original'), 'the deferral deleted');
    await eventually(() => fake.interactionResponses.find((r) => r.interactionId === privateOne.id && r.kind === 'edit_original' && String(r.body.content).includes('Only you see this')), 'the private answer');
    assert.ok(!fake.messages(TEXT).some((m) => m.content.includes('Only you see this')), 'the private answer is not in the channel');
  });

  test('`!discourse status` typed by a moderator reaches the core with their permissions and is answered in the channel', async () => {
    const before = invocations.length;
    const typed = fake.addMessage(TEXT, { content: '!discourse status', author: MOD });
    const member = { roles: [MODS], joined_at: '2024-01-01T00:00:00.000000+00:00', deaf: false, mute: false, flags: 0, nick: null };
    fake.gateway!.dispatch('MESSAGE_CREATE', { ...typed, guild_id: GUILD, member });
    const answer = await eventually(() => fake.messages(TEXT).find((m) => m.author.id === fake.bot.id && m.message_reference !== undefined), 'the reply in the channel');
    assert.equal((answer.message_reference as { message_id?: string }).message_id, typed.id, 'replying to the command');
    assert.match(answer.content, /No rules here yet: add one with \/discourse watch c\/meta\\_team/);
    const invocation = invocations[before]!;
    assert.deepEqual([invocation.command, invocation.args, invocation.channel.externalId, invocation.commandMessageId], ['discourse', 'status', TEXT, typed.id]);
    assert.deepEqual(await adapter.memberRole(invocation), { role: 'moderator' }, 'Manage Channels from the role');

    // A member without the permission: the core hears it as a member.
    const plain = fake.addMessage(TEXT, { content: '!discourse watch c/x', author: MEMBER });
    fake.gateway!.dispatch('MESSAGE_CREATE', { ...plain, guild_id: GUILD, member: { ...member, roles: [] } });
    const second = await eventually(() => invocations.find((i) => i.commandMessageId === plain.id), 'the member\'s command');
    assert.deepEqual(await adapter.memberRole(second), { role: 'member' });
    // Not a command, and the bot's own messages: nothing reaches the core.
    const chatter = fake.addMessage(TEXT, { content: 'discourse is nice', author: MEMBER });
    fake.gateway!.dispatch('MESSAGE_CREATE', { ...chatter, guild_id: GUILD, member: { ...member, roles: [] } });
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(invocations.filter((i) => i.commandMessageId === chatter.id).length, 0);
  });

  test("GUILD_DELETE marks that guild's channels error; an outage (unavailable) changes nothing", async () => {
    fake.gateway!.dispatch('GUILD_DELETE', { id: OTHER_GUILD, unavailable: true });
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(memberships.length, 0, 'an outage is no removal');

    fake.gateway!.dispatch('GUILD_DELETE', { id: GUILD });
    await eventually(async () => {
      const statuses = await Promise.all([TEXT, SECOND].map((id) => store.channels.find('discord', id)));
      return statuses.every((c) => c?.status === 'error') ? true : undefined;
    }, "the guild's channels in error");
    const text = await store.channels.find('discord', TEXT);
    assert.match(text?.lastError?.message ?? '', /invite it again/);
    assert.equal((await store.channels.find('discord', ELSEWHERE))?.status, 'active', "another guild's channel stays");
    assert.deepEqual(memberships.map((m) => [m.change, m.channel.externalId, m.reason?.code]).sort(), [
      ['removed', TEXT, 'bot_removed'],
      ['removed', SECOND, 'bot_removed'],
    ]);
  });

  test('CHANNEL_DELETE marks that channel error with what to do', async () => {
    fake.removeChannel(ELSEWHERE);
    fake.gateway!.dispatch('CHANNEL_DELETE', { id: ELSEWHERE, type: CHANNEL_TYPE.text, guild_id: OTHER_GUILD, name: 'lobby', position: 0, permission_overwrites: [], nsfw: false, parent_id: null });
    const gone = await eventually(async () => {
      const c = await store.channels.find('discord', ELSEWHERE);
      return c?.status === 'error' ? c : undefined;
    }, 'the deleted channel in error');
    assert.equal(gone.lastError?.code, 'channel_not_found');
    assert.match(gone.lastError?.message ?? '', /remove it from Parley/);
  });

  test('health names the bot and the mode', async () => {
    assert.deepEqual(await adapter.health?.(), { ok: true, detail: `@${fake.bot.username} (gateway)` });
  });

  test('stopped and started again (the lease lost and won back): it identifies anew and answers again', async () => {
    await adapter.stop();
    const identified = fake.gateway!.identifies.length;
    await adapter.start();
    await eventually(() => (fake.gateway!.identifies.length === identified + 1 ? true : undefined), 'a new IDENTIFY');
    assert.equal(fake.calls('PUT /applications/{application_id}/commands').length, 1, 'the commands are unchanged: no second PUT');
    const interaction = fake.createInteraction({ channelId: TEXT, userId: MOD.id, data: { name: 'discourse', options: [{ type: 1, name: 'help' }] } });
    await eventually(() => (fake.gateway!.dispatch('INTERACTION_CREATE', interaction) > 0 ? true : undefined), 'a session to dispatch to');
    const callback = await eventually(() => fake.interactionResponses.find((r) => r.interactionId === interaction.id), 'the callback');
    assert.equal(callback.type, 4);
  });
});
