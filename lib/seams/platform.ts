// The platform seam (docs/architecture.md#adding-a-platform). A platform is one folder in bots/ plus one line
// in bots/registry.ts: its folder exports one AdapterFactory, made with definePlatform, that holds every fact
// about the platform (its variables, its settings, its channel settings, its label, its command prefix, who
// moderates there) and creates its adapter. Each capability is its own typed optional method: the core calls
// editNotification only where it exists, reads the message log only where fetchHistory does not, and so on.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Logger } from '../log.js';
import type { Notification } from '../notification.js';
import type { ChatMessage, TranscriptRange } from '../transcript/types.js';
import type { CommandInvocation, CommandReply, CommandWord, MembershipChange } from './invocation.js';
import type { ChannelRecord, PlatformName, Store } from './store.js';

/** How people see a platform, for messages, transcripts and the CLI. */
export interface PlatformProfile {
  /** The key in channel names (`telegram:-1001234`), queue names and the store. Lower case, no colon. */
  name: PlatformName;
  /** As people write it: `Telegram`. Shown in transcript headers. */
  label: string;
  /** How commands are typed: `/` where the platform has slash commands, `!` where clients keep `/` for themselves. */
  commandPrefix: '/' | '!';
  /** Who counts as a moderator of a channel there (docs/rules.md#who-may-change-rules). */
  moderators: string;
  /**
   * How a command word is typed where the platform keeps its name for itself, after the prefix. Slack's built-in
   * `/topic` sets the channel topic and no app may take it, so there `topic` is typed `/discourse topic`.
   */
  commandNames?: Partial<Record<CommandWord, string>>;
}

/** A platform's profile by name (bots/registry.ts); a platform no adapter knows gets plain defaults. */
export type PlatformProfiles = (platform: PlatformName) => PlatformProfile;

/** The lookup over these profiles. */
export function platformProfiles(profiles: readonly PlatformProfile[]): PlatformProfiles {
  const byName = new Map(profiles.map((p) => [p.name, p]));
  return (name) => byName.get(name) ?? { name, label: name, commandPrefix: '/', moderators: `${name} channel moderators` };
}

/** Limits a delivery worker keeps to; a 429 still wins with its own retry-after. */
export interface RateLimits {
  /** Messages per window to one channel; several windows may apply (Telegram groups: 1/s and 20/min). */
  perChannel: { max: number; durationMs: number }[];
  /** Messages per window to the whole platform. */
  perPlatform: { max: number; durationMs: number };
}

/** A user's standing in a channel, for the permission checks of commands/permissions.ts. */
export type MemberRole = { role: 'moderator' } | { role: 'member' } | { role: 'unknown'; why: string };

export interface SendOptions {
  /** The platform message reference of the topic's announcement, to reply in its thread. Ignored where there are no threads. */
  threadRoot: string | null;
  /** Stable per delivery; passed to the platform's duplicate guard where it has one. */
  idempotencyKey: string;
}

/**
 * Parley's log of the messages it sees, for platforms without a history API (lib/message-log.ts). The adapter
 * hands it every message of a chat in its own normalized form; the core keeps those of registered channels.
 */
export interface MessageRecorder {
  /**
   * Records a new or edited message if its chat is a registered channel. `toMessage` converts it (null: not part
   * of a conversation); it runs only for registered chats, so messages of other chats cost no conversion. Never throws.
   */
  record(externalId: string, toMessage: () => ChatMessage | null): Promise<void>;
  /** A command may just have registered (or removed) this chat: ask the store again next time. */
  forget(externalId: string): void;
}

export interface AdapterDeps {
  log: Logger;
  store: Store;
  /** The core's command entry point: the adapter hands it text and context and shows the reply. Never throws. */
  handleCommand(invocation: CommandInvocation): Promise<CommandReply>;
  /** The bot was added to a room or removed from it; returns what to say there, if anything. Never throws. */
  handleMembership(change: MembershipChange): Promise<CommandReply | null>;
  /** For platforms without fetchHistory: where the messages the bot sees go, for transcripts. */
  messageLog: MessageRecorder;
}

/**
 * One transport that brings updates in, as bolt-js separates its receivers: a long poll, a webhook route, a
 * socket. An adapter has one or more; the core starts and stops them through the adapter.
 */
export interface Receiver {
  /** Registers HTTP routes (webhooks, slash command endpoints) before the server listens. */
  registerRoutes?(app: FastifyInstance): void;
  /** Opens the streaming connection, if the transport has one. Bots role only; may follow stop(). */
  start?(): Promise<void>;
  /** Closes it; updates being handled finish first. */
  stop(): Promise<void>;
}

/**
 * What the core asks of a platform. `Ctx` is the adapter's own platformContext: what it put in an invocation and
 * needs again to answer it later (a message id to reply to, a response URL); the core only carries it along.
 */
export interface PlatformAdapter<Ctx = unknown> {
  readonly platform: PlatformName;
  readonly rateLimits: RateLimits;

  /**
   * start() opens a connection only one process may hold (Telegram's long poll: a second poller gets 409).
   * With several bots processes, Parley starts it only in the one holding the Redis lease (lib/lease.ts).
   */
  readonly uniqueConnection?: boolean;

  /** Registers HTTP routes (webhooks, slash command endpoints) before the server listens. */
  registerRoutes?(app: FastifyInstance): void;
  /** Opens the streaming connection (long poll, websocket), if the platform has one. Bots role only; may follow stop(). */
  start(): Promise<void>;
  /** Closes connections; in-flight commands finish first. */
  stop(): Promise<void>;
  /** Is the platform reachable with our credentials? For /readyz. */
  health(): Promise<{ ok: boolean; detail?: string }>;

  /**
   * Sends one notification. Throws PlatformRateLimitedError, PlatformTransientError or
   * PlatformPermanentError (lib/errors.ts) so the delivery job knows what to do.
   */
  sendNotification(channel: ChannelRecord, notification: Notification, opts: SendOptions): Promise<{ messageRef: string | null }>;

  /**
   * Replaces a sent notification with the post's edited version. Throws like sendNotification; a message that is
   * gone throws PlatformPermanentError('message_not_found'), which the core takes as done. Absent: no edits.
   */
  editNotification?(channel: ChannelRecord, messageRef: string, notification: Notification): Promise<void>;

  /** Deletes a sent notification (the post was deleted or hidden). Throws as editNotification does. Absent: no deletes. */
  deleteNotification?(channel: ChannelRecord, messageRef: string): Promise<void>;

  /** The issuing user's role in a channel, read from the platform. */
  memberRole(invocation: CommandInvocation<Ctx>): Promise<MemberRole>;

  /**
   * A later answer to a command (a transcript's link or failure), sent where the command was typed.
   * `invocation` is the one handed to handleCommand, platformContext included.
   */
  replyLater(invocation: CommandInvocation<Ctx>, reply: CommandReply): Promise<void>;

  /**
   * Shows a job's progress where the platform can edit messages: sends `text` as a reply to the command the
   * first time (`ref` null) and edits that message afterwards. Returns the message's reference. Absent: no progress.
   */
  progress?(invocation: CommandInvocation<Ctx>, text: string, ref: string | null): Promise<string | null>;

  /**
   * The channel's history for transcripts, in pages of forum-Markdown messages, oldest first, within the
   * platform's rate limits. Absent where the platform has no history API: the core's message log is read instead.
   */
  fetchHistory?(channel: ChannelRecord, range: TranscriptRange, opts: HistoryOptions): AsyncIterable<ChatMessage[]>;
}

/** How a history read that the platform slows down is going (Slack: 15 messages a minute for most apps). */
export interface HistoryProgress {
  /** Messages read so far. */
  read: number;
  /** How long the adapter now waits before its next request. */
  waitMs: number;
  /** Its estimate of the time left, when it can tell (a `last:N` range), else null. */
  remainingMs: number | null;
}

export interface HistoryOptions {
  /** Messages per page handed back. */
  pageSize: number;
  /**
   * The /topic command's own message, where the platform keeps commands in its history (Matrix): it is not one
   * of the last N of `last:N`, nor are the bot's own messages.
   */
  commandMessageId?: string | null;
  /** Called before each wait the platform imposes, so the user sees why it takes long. */
  onSlowdown?: (progress: HistoryProgress) => void;
}

/** Settings every platform may read besides its own variables. */
export interface SharedSettings {
  /** PARLEY_PUBLIC_URL: where the platform reaches Parley (webhooks), or null. */
  publicUrl: string | null;
  /** PARLEY_TRANSCRIPT_MAX_MESSAGES, for a platform whose command form bounds `last:` itself (Discord). */
  transcriptMaxMessages?: number;
  /** GitLab is configured (PARLEY_GITLAB_URL): a platform that registers its commands registers `/gitlab` too. */
  gitlab?: boolean;
}

/** A per-channel setting a platform keeps (Mattermost's incoming webhook URL), set with `parley channels add`. */
export interface ChannelOption {
  /** The key in the channel's settings. */
  key: string;
  /** The CLI flag, as commander takes it: `--webhook-url <url>`. */
  flag: string;
  description: string;
  /** Shown masked in listings (a URL whose path is a key). */
  secret?: boolean;
}

/**
 * A command of the platform's own in the CLI, as `parley <platform> <name>` (`parley slack manifest`). It reads
 * the platform's variables as set (it may run before they are all set: a manifest comes before the tokens)
 * and prints its result; it connects to nothing.
 */
export interface PlatformCommand {
  name: string;
  description: string;
  /** Commander flags (`--socket-mode`) with their help. */
  flags?: readonly { flag: string; description: string }[];
  run(input: { vars: Readonly<Record<string, unknown>>; shared: SharedSettings; flags: Readonly<Record<string, unknown>> }): string;
}

/** What a setup guide is written for: Parley's public base URL (PARLEY_PUBLIC_URL), null when it is not set. */
export interface SetupContext {
  publicUrl: string | null;
}

/** One step of setting a platform or source up, as the admin page shows it. */
export interface SetupStep {
  /** What to do, in a sentence or two; names of settings and variables in backquotes. */
  text: string;
  /** A page to open for this step: where the bot or app is created. */
  url?: string;
  /** A value to paste into the platform: one of Parley's own URLs (parleyUrl), ready to copy. */
  copy?: { label: string; value: string };
}

/**
 * How to set a platform or source up, written in its own folder (bots/<platform>/setup.ts, lib/<source>/setup.ts):
 * the admin page shows it as is, so a new platform brings its own section.
 */
export interface SetupGuide {
  steps: SetupStep[];
  /** Files to download: a PlatformCommand's output by its name (Slack's `manifest`), run with these flags. */
  downloads?: {
    label: string;
    command: string;
    /** The command's flags by commander's name for them (`--socket-mode` → socketMode). */
    flags?: Readonly<Record<string, string | boolean>>;
    /** The file name it is saved as (`parley-slack-manifest.yaml`); `.yaml` makes it YAML, else plain text. */
    file?: string;
  }[];
}

/** Parley's own URL at `path`, for a step's `copy`; without PARLEY_PUBLIC_URL, what to set instead of a broken URL. */
export function parleyUrl(ctx: SetupContext, path: string): string {
  return ctx.publicUrl ? ctx.publicUrl.replace(/\/+$/u, '') + path : `Set PARLEY_PUBLIC_URL first: this is then PARLEY_PUBLIC_URL${path}`;
}

/** A platform whose variables are set: what the composition root creates the adapter from. */
export interface ConfiguredPlatform {
  readonly profile: PlatformProfile;
  /** Resolves once the adapter's modules are loaded: platform SDKs load only where the platform runs (not in the CLI). */
  create(deps: AdapterDeps): Promise<PlatformAdapter>;
}

/** The registry's view of a platform: its facts, and a way to configure it from the parsed variables. */
export interface AdapterFactory {
  readonly profile: PlatformProfile;
  /** Every variable the platform reads → what it means (the README's configuration table lists each). */
  readonly variables: Readonly<Record<string, string>>;
  /** The zod schemas of those variables, with their defaults; composed into the one configuration schema. */
  readonly schema: z.ZodRawShape;
  /** Said in the log at start when the platform is not configured. */
  readonly howToConfigure: string;
  /** The channel settings this platform keeps, with their CLI flags. */
  readonly channelOptions: readonly ChannelOption[];
  /** The platform's own CLI commands (`parley slack manifest`). */
  readonly commands: readonly PlatformCommand[];
  /** How to set the platform up, step by step, for the admin page (bots/<platform>/setup.ts). */
  readonly setup?: (ctx: SetupContext) => SetupGuide;
  /**
   * Checks the channel settings this platform keeps; returns them cleaned, or the problems, each naming the
   * setting. Settings of the core (defaultCategory, timezone) are not its concern and pass through untouched.
   */
  checkChannelSettings(settings: Record<string, unknown>): { ok: true; settings: Record<string, unknown> } | { ok: false; problems: { key: string; message: string }[] };
  /**
   * Reads the platform's variables (as set, strings): null when the platform is not configured; problems name the
   * variable and what would be right.
   */
  configure(vars: Readonly<Record<string, unknown>>, shared: SharedSettings): { platform: ConfiguredPlatform | null; problems: string[] };
}

/** What a platform folder writes; definePlatform turns it into the registry's AdapterFactory. */
export interface PlatformDefinition<Shape extends z.ZodRawShape, S, C extends z.ZodRawShape> {
  profile: PlatformProfile;
  /** Each variable's meaning, for the README and the log. */
  variables: { readonly [K in keyof Shape]: string };
  schema: Shape;
  howToConfigure: string;
  /** The platform's typed settings from its variables: null when it is not configured; problems otherwise. */
  settings(vars: z.infer<z.ZodObject<Shape>>, shared: SharedSettings): S | null | { problems: string[] };
  /** Per-channel settings of this platform, with the CLI flag for each key. */
  channelSettings?: { schema: C; options: readonly ChannelOption[] };
  /** CLI commands of the platform's own. */
  commands?: readonly PlatformCommand[];
  /** How to set the platform up, for the admin page: where to create the bot, what to paste where. */
  setup?: (ctx: SetupContext) => SetupGuide;
  /** May load the adapter's module lazily (`await import('./adapter.js')`), so its SDK costs nothing elsewhere. */
  create(deps: AdapterDeps, settings: S): PlatformAdapter | Promise<PlatformAdapter>;
}

function isProblems(value: unknown): value is { problems: string[] } {
  return typeof value === 'object' && value !== null && Array.isArray((value as { problems?: unknown }).problems);
}

/** Builds a platform's registry entry; the settings stay typed from its variables to its adapter. */
export function definePlatform<Shape extends z.ZodRawShape, S, C extends z.ZodRawShape = Record<never, never>>(
  def: PlatformDefinition<Shape, S, C>,
): AdapterFactory {
  const varsSchema = z.object(def.schema);
  const channelSchema = def.channelSettings ? z.object(def.channelSettings.schema) : null;
  return {
    profile: def.profile,
    variables: def.variables,
    schema: def.schema,
    howToConfigure: def.howToConfigure,
    channelOptions: def.channelSettings?.options ?? [],
    commands: def.commands ?? [],
    ...(def.setup ? { setup: def.setup } : {}),
    checkChannelSettings(settings) {
      if (!channelSchema) return { ok: true, settings };
      const own = Object.fromEntries(Object.keys(channelSchema.shape).filter((k) => k in settings).map((k) => [k, settings[k]]));
      const parsed = channelSchema.safeParse(own);
      if (!parsed.success) return { ok: false, problems: parsed.error.issues.map((i) => ({ key: i.path.join('.'), message: i.message })) };
      return { ok: true, settings: { ...settings, ...(parsed.data as Record<string, unknown>) } };
    },
    configure(vars, shared) {
      // From the raw variables (schemas transform: a parsed value would not parse again); the composed schema
      // has reported their mistakes already, so this parse types them.
      const parsed = varsSchema.safeParse(vars);
      if (!parsed.success) return { platform: null, problems: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) };
      const settings = def.settings(parsed.data, shared);
      if (settings === null) return { platform: null, problems: [] };
      if (isProblems(settings)) return { platform: null, problems: settings.problems };
      return { platform: { profile: def.profile, create: async (deps) => def.create(deps, settings) }, problems: [] };
    },
  };
}

/** Built once per shape: channelSettingsOf runs on every delivery. */
const channelSchemas = new WeakMap<z.ZodRawShape, z.ZodType>();

/** Reads a platform's own keys from a channel's settings, typed by its schema (the CLI checked them when set). */
export function channelSettingsOf<C extends z.ZodRawShape>(schema: C, channel: Pick<ChannelRecord, 'settings'>): Partial<z.infer<z.ZodObject<C>>> {
  let partial = channelSchemas.get(schema);
  if (!partial) channelSchemas.set(schema, (partial = z.object(schema).partial()));
  const parsed = partial.safeParse(channel.settings);
  return parsed.success ? (parsed.data as Partial<z.infer<z.ZodObject<C>>>) : {};
}
