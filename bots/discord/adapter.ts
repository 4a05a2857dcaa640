// The Discord adapter: a receiver (the gateway through discord.js, or interactions posted to Parley's own server),
// one interaction handler for both (interactions.ts), a sender for everything Parley says (sender.ts), history for
// transcripts (history.ts). What is left here answers for the platform as a whole: start (commands registered
// when their definition changed), health, roles, limits.
import { PermissionsBitField, Routes, type APIUser, type RESTGetAPIApplicationCommandsResult } from 'discord.js';
import type { Logger } from '../../lib/log.js';
import type { AdapterDeps, MemberRole, PlatformAdapter, RateLimits, Receiver } from '../../lib/seams/platform.js';
import { ChannelTypes } from './channel-types.js';
import { applicationCommands, commandsHash, type ApplicationCommandSettings } from './commands.js';
import type { DiscordContext } from './context.js';
import { mapDiscordError } from './errors.js';
import { discordHistory } from './history.js';
import { InteractionHandler } from './interactions.js';
import { GatewayReceiver } from './receiver-gateway.js';
import { InteractionsReceiver } from './receiver-interactions.js';
import { createRest, discordCall } from './rest.js';
import { DiscordSender } from './sender.js';
import type { DiscordSettings } from './settings.js';

export interface DiscordAdapterOptions {
  /** When a slow command is deferred (default 2.5 s; Discord waits 3 s). */
  commandDeadlineMs?: number;
  /** History: waits are made with this (tests pass a quick one). */
  sleep?: (ms: number) => Promise<void>;
}

// Discord: 5 messages per 5 s per channel (the route's bucket), 50 requests a second per bot globally.
const RATE_LIMITS: RateLimits = {
  perChannel: [{ max: 5, durationMs: 5000 }],
  perPlatform: { max: 50, durationMs: 1000 },
};

const MODERATOR = [PermissionsBitField.Flags.Administrator, PermissionsBitField.Flags.ManageGuild, PermissionsBitField.Flags.ManageChannels];

/** Manage Channels, Manage Server or Administrator make a moderator of the channel (docs/rules.md#moderators-per-platform). */
export function isModerator(permissions: string): boolean {
  const bits = new PermissionsBitField(BigInt(permissions));
  return MODERATOR.some((flag) => bits.has(flag));
}

/**
 * The fields of a command definition Parley sets, in one canonical form, so that its definition and what Discord
 * answers for it hash alike (Discord adds ids, versions and defaults of its own).
 */
function definitionOnly(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(definitionOnly);
  if (!value || typeof value !== 'object') return value;
  const keep = ['name', 'description', 'type', 'options', 'required', 'autocomplete', 'min_value', 'max_value', 'min_length', 'max_length', 'choices', 'value', 'contexts', 'integration_types'];
  const out: Record<string, unknown> = {};
  for (const key of keep) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined && v !== null && !(key === 'required' && v === false)) out[key] = definitionOnly(v);
  }
  return out;
}

/** Registers Parley's commands, only when Discord's differ from them (a bulk overwrite is rate limited). */
export async function registerCommands(rest: ReturnType<typeof createRest>, applicationId: string, settings: ApplicationCommandSettings, log: Logger): Promise<'registered' | 'unchanged'> {
  const commands = applicationCommands(settings);
  const current = await discordCall<RESTGetAPIApplicationCommandsResult>(() => rest.get(Routes.applicationCommands(applicationId)));
  // By code unit, not localeCompare: command names are ASCII, and a collator loads ICU's data (2 MB of an idle process).
  const hash = (list: readonly { name: string }[]) => commandsHash(definitionOnly([...list].sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0))) as typeof commands);
  const ours = hash(commands);
  if (hash(current) === ours) return 'unchanged';
  await discordCall(() => rest.put(Routes.applicationCommands(applicationId), { body: commands }));
  log.info({ hash: ours.slice(0, 12) }, 'discord: application commands registered');
  return 'registered';
}

export function createDiscordAdapter(deps: AdapterDeps, settings: DiscordSettings, opts: DiscordAdapterOptions = {}): PlatformAdapter<DiscordContext> {
  const log = deps.log.child({ platform: 'discord' });
  const rest = createRest(settings.token, settings.apiUrl);
  const types = new ChannelTypes(rest, deps.store.platformState, log);
  const sender = new DiscordSender(rest, settings.applicationId, log, types, (channelId, thread) => deps.store.deliveries.threadRoot(channelId, thread));
  const handler = new InteractionHandler({
    deps,
    sender,
    types,
    log,
    ...(opts.commandDeadlineMs !== undefined ? { deadlineMs: opts.commandDeadlineMs } : {}),
    // Autocomplete: the forum's categories as Parley caches them, and the tags its rules name.
    async vocabulary() {
      const [categories, rules] = await Promise.all([deps.store.categories.list(), deps.store.rules.all()]);
      const tags = [...new Set(rules.flatMap((r) => (r.scope.type === 'tag' ? [r.scope.name] : [])))];
      return { categories, tags };
    },
  });
  const interactions = settings.mode === 'interactions' ? new InteractionsReceiver({ publicKey: settings.publicKey, handler, store: deps.store, log }) : null;
  const receiver: Receiver = interactions ?? new GatewayReceiver({ token: settings.token, apiUrl: settings.apiUrl, deps, handler, sender, log });

  return {
    platform: 'discord',
    rateLimits: RATE_LIMITS,
    // One gateway connection per token (a second identify competes for the same session); interactions need none.
    uniqueConnection: settings.mode === 'gateway',

    ...(interactions ? { registerRoutes: (app) => interactions.registerRoutes(app) } : {}),
    async start() {
      await registerCommands(rest, settings.applicationId, { maxMessages: settings.maxMessages, gitlab: settings.gitlab }, log).catch((err: Error) => log.warn({ err: err.message }, 'discord: could not register the application commands'));
      await receiver.start?.();
    },
    stop: () => receiver.stop(),

    async health() {
      try {
        const me = (await rest.get(Routes.user('@me'))) as APIUser;
        return { ok: true, detail: `@${me.username} (${settings.mode})` };
      } catch (err) {
        return { ok: false, detail: mapDiscordError(err).message };
      }
    },

    sendNotification: (channel, notification, send) => sender.sendNotification(channel, notification, send),
    editNotification: (channel, ref, notification) => sender.editNotification(channel, ref, notification),
    deleteNotification: (channel, ref) => sender.deleteNotification(channel, ref),
    replyLater: (invocation, reply) => sender.replyLater(invocation, reply),
    progress: (invocation, text, ref) => sender.progress(invocation, text, ref),

    async *fetchHistory(channel, range, history) {
      // The channel's guild, for the names of mentioned roles (one look-up; without it they show as unknown).
      const guildId = await rest.get(Routes.channel(channel.externalId)).then(
        (c) => (c as { guild_id?: string }).guild_id ?? null,
        () => null,
      );
      yield* discordHistory(rest, channel.externalId, range, { ...history, guildId, ...(opts.sleep ? { sleep: opts.sleep } : {}) });
    },

    async memberRole(invocation): Promise<MemberRole> {
      if (invocation.channel.isPrivate) return { role: 'moderator' };
      const permissions = invocation.platformContext?.permissions;
      if (permissions === undefined) return { role: 'unknown', why: 'Discord did not say what you may do in this channel; use the /discourse slash command' };
      return isModerator(permissions) ? { role: 'moderator' } : { role: 'member' };
    },
  };
}
