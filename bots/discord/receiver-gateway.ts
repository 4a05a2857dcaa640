// Discord over the gateway: a discord.js client holds the websocket (identify, heartbeats, resume) with the
// Guilds, Guild Messages and Message Content intents. Interactions arrive as INTERACTION_CREATE and are answered
// through their callback; `!discourse` / `!topic` typed as messages are commands too (Message Content lets the
// bot read them); a guild or channel the bot loses is reported as a removal. One connection per token across
// `bots` processes: the adapter is a uniqueConnection, started only under the Redis lease.
import { Client, Events, GatewayDispatchEvents, GatewayIntentBits, Routes, type APIInteraction, type Message } from 'discord.js';
import { InFlight } from '../../lib/adapters/in-flight.js';
import type { Logger } from '../../lib/log.js';
import { parseTextCommand, type CommandInvocation, type MembershipChange } from '../../lib/seams/invocation.js';
import type { AdapterDeps, Receiver } from '../../lib/seams/platform.js';
import type { DiscordContext } from './context.js';
import type { InteractionHandler } from './interactions.js';
import { REQUEST_TIMEOUT_MS, discordCall } from './rest.js';
import type { DiscordSender } from './sender.js';

const STOP_TIMEOUT_MS = 10_000;

export interface GatewayReceiverOptions {
  token: string;
  apiUrl: string | null;
  deps: AdapterDeps;
  handler: InteractionHandler;
  sender: DiscordSender;
  log: Logger;
}

/** A text command as the core sees it, with the author's permissions in the channel as Discord's cache computes them. */
export function textInvocation(message: Message, word: string, args: string): CommandInvocation<DiscordContext> {
  const context: DiscordContext = { messageId: message.id, receivedAt: Date.now() };
  const permissions = message.inGuild() && message.member ? message.member.permissionsIn(message.channel).bitfield : null;
  if (permissions !== null) context.permissions = permissions.toString();
  const name = 'name' in message.channel && message.channel.name ? `#${message.channel.name}` : message.channelId;
  return {
    platform: 'discord',
    command: word.toLowerCase(),
    args: args.trim(),
    channel: { externalId: message.channelId, name, isPrivate: !message.inGuild() },
    user: { id: message.author.id, username: message.author.username, displayName: message.member?.displayName ?? message.author.globalName ?? message.author.username },
    commandMessageId: message.id,
    platformContext: context,
  };
}

export class GatewayReceiver implements Receiver {
  private client: Client | null = null;
  private readonly handling = new InFlight();

  constructor(private readonly opts: GatewayReceiverOptions) {}

  async start(): Promise<void> {
    const { token, apiUrl, log } = this.opts;
    const client = new Client({
      intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.MessageContent],
      // The client's own REST (gateway URL, its caches) keeps Discord's defaults but points where Parley's does.
      rest: { timeout: REQUEST_TIMEOUT_MS, ...(apiUrl ? { api: apiUrl } : {}) },
    });
    client.on(Events.Raw, (packet: { t?: string; d?: unknown }) => {
      if (packet.t === GatewayDispatchEvents.InteractionCreate) void this.handling.track(this.interaction(client, packet.d as APIInteraction));
      if (packet.t === GatewayDispatchEvents.GuildDelete) void this.handling.track(this.guildGone(packet.d as { id: string; unavailable?: boolean }));
      if (packet.t === GatewayDispatchEvents.ChannelDelete) {
        const id = (packet.d as { id: string }).id;
        void this.handling.track(this.removed(id, { code: 'channel_not_found', message: 'The Discord channel was deleted: remove it from Parley (parley channels remove discord:ID)' }));
      }
    });
    client.on(Events.MessageCreate, (message) => void this.handling.track(this.textCommand(message)));
    client.on(Events.Error, (err) => log.warn({ err: err.message }, 'discord: gateway error'));
    this.client = client;
    await client.login(token);
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = null;
    await client?.destroy();
    await this.handling.drain(STOP_TIMEOUT_MS);
    await this.opts.handler.stop();
  }

  /** Answers an interaction through its callback (the gateway has no HTTP response to answer in). */
  private async interaction(client: Client, interaction: APIInteraction): Promise<void> {
    const response = await this.opts.handler.respond(interaction);
    try {
      await discordCall(() => client.rest.post(Routes.interactionCallback(interaction.id, interaction.token), { body: response, auth: false }));
    } catch (err) {
      this.opts.log.warn({ err: (err as Error).message }, 'discord: could not answer an interaction');
    }
  }

  private async textCommand(message: Message): Promise<void> {
    if (message.author.bot) return;
    // `!discourse …` or `/discourse …` typed as a message (a client that sends the slash line as text).
    const parsed = parseTextCommand(message.content);
    if (!parsed) return;
    const invocation = textInvocation(message, parsed.command, parsed.args);
    const reply = await this.opts.deps.handleCommand(invocation);
    await this.opts.sender.replyLater(invocation, reply).catch((err: Error) => this.opts.log.warn({ err: err.message }, 'discord: could not answer a text command'));
  }

  /** The bot left a guild (or was removed): its channels in Parley are out of reach. */
  private async guildGone(guild: { id: string; unavailable?: boolean }): Promise<void> {
    // `unavailable: true` is an outage, not a removal.
    if (guild.unavailable) return;
    const client = this.client;
    if (!client) return;
    // The raw event comes before discord.js forgets the guild: its channels are still in the cache. Without it,
    // asking Discord tells (Missing Access) which stored channels are gone.
    const cached = client.guilds.cache.get(guild.id);
    const ids = cached ? new Set(cached.channels.cache.keys()) : null;
    for (const channel of await this.opts.deps.store.channels.list({ platform: 'discord' })) {
      const gone = ids ? ids.has(channel.externalId) : !(await client.rest.get(Routes.channel(channel.externalId)).then(() => true, () => false));
      if (gone) await this.removed(channel.externalId, { code: 'bot_removed', message: 'The bot was removed from the Discord server: invite it again with the install link (README)' });
    }
  }

  private async removed(channelId: string, reason: { code: string; message: string }): Promise<void> {
    const change: MembershipChange = { platform: 'discord', channel: { externalId: channelId, name: channelId, isPrivate: false }, by: null, change: 'removed', reason };
    await this.opts.deps.handleMembership(change);
  }
}
