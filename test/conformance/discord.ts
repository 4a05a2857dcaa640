// Discord's double for the conformance suite: the stateful fake of test/helpers/fake-discord.ts (channels,
// messages, threads started from messages; every request checked against Discord's OpenAPI spec), the adapter
// configured from the registry entry's own variables in interactions mode, and Discord's way in: interactions
// POSTed to the adapter's route on Parley's own Fastify server, signed with the application's Ed25519 key.
// Failures are answered as Discord answers them: 429 with retry_after, 500, 10003 Unknown Channel, 50001 Missing
// Access. Discord tells a bot nothing when it is given a channel, hence no membership path (see withoutMembership).
import type { AddressInfo } from 'node:net';
import { createHttpServer } from '../../lib/http/server.js';
import { silentLogger } from '../../lib/log.js';
import { CHANNEL_TYPE, PERMISSIONS, startFakeDiscord, type FakeDiscordFault, type FakeDiscordMessage } from '../helpers/fake-discord.js';
import { postInteraction, PUBLIC_KEY } from '../helpers/discord-request.js';
import { type ConformanceHarness, type Failure, type Rig, type Shown } from './harness.js';

const GUILD = '1100000000000000001';
const CHANNEL = '1100000000000000002';
const ALICE = { id: '1100000000000000003', username: 'alice', global_name: 'Alice' };
const MODERATOR_ROLE = '1100000000000000004';

/** The requests that send, edit or delete. */
const SENDING = /^(POST \/channels\/\d+\/messages|PATCH \/channels\/\d+\/messages\/\d+|DELETE \/channels\/\d+\/messages\/\d+)$/u;

function realAnswer(failure: Failure, retryAfterSeconds: number): FakeDiscordFault {
  switch (failure) {
    case 'rate-limit':
      // A shared-resource limit (scope `shared`): Discord's answer carries Retry-After but leaves the bot's own
      // bucket alone, so the REST client does not hold the next checks' requests back. The bot's own bucket
      // (X-RateLimit-Remaining 0) is exercised end to end (test/e2e/discord.test.ts).
      return {
        route: SENDING,
        status: 429,
        headers: { 'retry-after': String(retryAfterSeconds), 'x-ratelimit-scope': 'shared' },
        body: { message: 'The resource is being rate limited.', retry_after: retryAfterSeconds, global: false },
      };
    case 'server-error':
      return { route: SENDING, status: 500, body: { message: '500: Internal Server Error', code: 0 } };
    case 'channel-gone':
      return { route: SENDING, status: 404, body: { message: 'Unknown Channel', code: 10003 } };
    case 'bot-removed':
      return { route: SENDING, status: 403, body: { message: 'Missing Access', code: 50001 } };
  }
}

/** Discord markdown as a person sees it, for the parts the checks read: backslash escapes undone. */
const unescape = (text: string) => text.replace(/\\(.)/gu, '$1');

/** Every text of a message a person reads: content, and each embed's author, title, description and fields. */
function textsOf(message: FakeDiscordMessage): string[] {
  const out = [message.content];
  for (const e of message.embeds as { author?: { name?: string }; title?: string; description?: string; fields?: { name: string; value: string }[] }[]) {
    out.push(e.author?.name ?? '', e.title ?? '', e.description ?? '', ...(e.fields ?? []).map((f) => `${f.name}: ${f.value}`));
  }
  return out.filter(Boolean);
}

/** A snowflake for a time (Discord's epoch is 2015-01-01), so history reads by time find the message. */
let sequence = 0;
const snowflakeAt = (at: Date) => ((BigInt(at.getTime() - 1420070400000) << 22n) | BigInt(++sequence % 4096)).toString();

export const discordHarness: ConformanceHarness = {
  platform: 'discord',
  async setup({ factory, store, deps }): Promise<Rig> {
    const fake = await startFakeDiscord({
      guilds: [{ id: GUILD, name: 'Acme', roles: [{ id: MODERATOR_ROLE, name: 'mods', permissions: PERMISSIONS.MANAGE_CHANNELS.toString() }], members: [{ user: ALICE, roles: [MODERATOR_ROLE] }] }],
      channels: [{ id: CHANNEL, type: CHANNEL_TYPE.text, name: 'conformance', guild_id: GUILD }],
    });
    const { platform, problems } = factory.configure(
      { PARLEY_DISCORD_TOKEN: fake.token, PARLEY_DISCORD_APPLICATION_ID: fake.application.id, PARLEY_DISCORD_PUBLIC_KEY: PUBLIC_KEY, PARLEY_DISCORD_MODE: 'interactions', PARLEY_DISCORD_API_URL: fake.url },
      { publicUrl: null },
    );
    if (!platform) throw new Error(`discord did not configure against the fake: ${problems.join('; ')}`);
    const adapter = await platform.create(deps);
    const { channel } = await store.channels.ensure({ platform: 'discord', externalId: CHANNEL, name: '#conformance', status: 'active', addedBy: 'cli' });

    const app = createHttpServer({ log: silentLogger, checks: {} });
    adapter.registerRoutes?.(app);
    await app.listen({ port: 0, host: '127.0.0.1' });
    await adapter.start();
    const parleyUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const where = (ref: string) => {
      const [first, second] = ref.split('/');
      return second ? { channelId: first!, messageId: second } : { channelId: CHANNEL, messageId: first! };
    };
    const find = (ref: string) => {
      const at = where(ref);
      return fake.messages(at.channelId).find((m) => m.id === at.messageId);
    };

    return {
      adapter,
      channel,
      user: { id: ALICE.id, username: ALICE.username, displayName: ALICE.global_name },
      secrets: [fake.token],

      async shown(ref): Promise<Shown | undefined> {
        const message = find(ref);
        if (!message) return undefined;
        const links = (message.embeds as { url?: string }[]).flatMap((e) => (e.url ? [e.url] : []));
        return { text: textsOf(message).map(unescape).join('\n'), links };
      },
      async mentionable(ref) {
        // Discord pings from content only, and not at all with allowed_mentions.parse empty; the embeds are checked too.
        const message = find(ref);
        return message ? textsOf(message).join('\n') : '';
      },
      async replyTarget(ref) {
        const at = where(ref);
        // A message in the thread started from another message: the thread has that message's id.
        return at.channelId !== CHANNEL && at.channelId !== at.messageId ? at.channelId : null;
      },
      async vanish(ref) {
        const at = where(ref);
        if (!fake.removeMessage(at.channelId, at.messageId)) throw new Error(`no message ${ref} to delete`);
      },
      failNext(failure, opts = {}) {
        fake.queue.push(realAnswer(failure, opts.retryAfterSeconds ?? 5));
      },

      async typeCommand(text) {
        // `/discourse status`: Discord sends the subcommand as an option of type 1.
        const match = /^\/(\S+)\s*(\S*)/u.exec(text);
        if (!match) throw new Error(`"${text}" is not a slash command`);
        const interaction = fake.createInteraction({ channelId: CHANNEL, userId: ALICE.id, data: { name: match[1]!, options: match[2] ? [{ type: 1, name: match[2] }] : [] } });
        const answer = await postInteraction(parleyUrl, interaction);
        if (answer.status !== 200) throw new Error(`the interaction was answered ${answer.status}: ${JSON.stringify(answer.body)}`);
        return unescape(String((answer.body as { data?: { content?: string } }).data?.content ?? ''));
      },

      async postHistory(messages) {
        for (const m of messages) fake.addMessage(CHANNEL, { id: snowflakeAt(m.at), content: m.text, author: ALICE, timestamp: m.at.toISOString() });
      },

      withoutMembership:
        'Discord tells a bot nothing when it is given a channel (a channel registers with its first command); losing a server or a channel comes over the gateway as GUILD_DELETE / CHANNEL_DELETE (test/integration/discord-gateway.test.ts)',

      async teardown() {
        await adapter.stop();
        await app.close();
        await fake.stop();
        if (fake.violations.length > 0) throw new Error(`requests Discord's spec does not allow: ${JSON.stringify(fake.violations)}`);
      },
    };
  },
};
