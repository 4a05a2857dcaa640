// The platform seam. A platform is one folder in bots/ plus one line in bots/registry.ts.
// Each capability is its own typed method; the core never sniffs fields to guess what a platform can do.
import type { FastifyInstance } from 'fastify';
import type { Config } from '../lib/config.js';
import type { Logger } from '../lib/log.js';
import type { Notification } from '../lib/notification.js';
import type { ChannelRecord, PlatformName, Store } from '../lib/store/types.js';
import type { CommandInvocation, CommandReply } from '../commands/types.js';
import type { MembershipChange } from '../commands/membership.js';
import type { ChatMessage, TranscriptRange } from '../lib/transcript/types.js';

export interface Capabilities {
  /** Replies can be grouped under the message that announced a topic. */
  threads: boolean;
  /** A sent message can be edited later. */
  edits: boolean;
  /** A command's reply can be shown to the issuing user only. */
  ephemeralReplies: boolean;
  /** The platform has a history API (else transcripts read parley's own message log). */
  history: boolean;
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
  /** The platform message reference of the topic's announcement, to reply in its thread. */
  threadRoot: string | null;
  /** Stable per delivery; passed to the platform's duplicate guard where it has one. */
  idempotencyKey: string;
}

export interface AdapterDeps {
  config: Config;
  log: Logger;
  store: Store;
  /** The core's command entry point: the adapter hands it text and context and shows the reply. */
  handleCommand(invocation: CommandInvocation): Promise<CommandReply>;
  /** The bot was added to a room or removed from it; returns what to say there, if anything. */
  handleMembership(change: MembershipChange): Promise<CommandReply | null>;
}

export interface PlatformAdapter {
  readonly platform: PlatformName;
  readonly capabilities: Capabilities;
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
   * Replaces a sent notification with the post's edited version (capabilities.edits). Throws like
   * sendNotification; a message that is gone throws PlatformPermanentError('message_not_found'), which the core
   * takes as done.
   */
  editNotification?(channel: ChannelRecord, messageRef: string, notification: Notification): Promise<void>;

  /** Deletes a sent notification (the post was deleted or hidden). Throws as editNotification does. */
  deleteNotification?(channel: ChannelRecord, messageRef: string): Promise<void>;

  /** The issuing user's role in a channel, read from the platform. */
  memberRole(invocation: CommandInvocation): Promise<MemberRole>;

  /**
   * A later answer to a command (a transcript's link or failure), sent where the command was typed:
   * Telegram as a reply to the command message, Mattermost through the command's response_url (or the channel).
   * `invocation` is the one handed to handleCommand, platformContext included.
   */
  replyLater(invocation: CommandInvocation, reply: CommandReply): Promise<void>;

  /**
   * Shows a job's progress where the platform can edit messages: sends `text` as a reply to the command the
   * first time (`ref` null) and edits that message afterwards. Returns the message's reference.
   */
  progress?(invocation: CommandInvocation, text: string, ref: string | null): Promise<string | null>;

  /**
   * The channel's history for transcripts, in pages of forum-Markdown messages, oldest first, within the
   * platform's rate limits. Absent where the platform has no history API: Parley's message log is used instead.
   */
  fetchHistory?(channel: ChannelRecord, range: TranscriptRange, opts: { pageSize: number }): AsyncIterable<ChatMessage[]>;
}

/** One line in bots/registry.ts per platform. */
export interface AdapterFactory {
  platform: PlatformName;
  /** True when the configuration has what the adapter needs. */
  isConfigured(config: Config): boolean;
  /** Said in the log at start when the platform is not configured. */
  howToConfigure: string;
  create(deps: AdapterDeps): PlatformAdapter;
}
