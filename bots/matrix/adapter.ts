// The Matrix adapter (docs/architecture.md#matrix): ./receiver-sync.ts brings events in, ./inbound.ts says what
// they mean, ./invitations.ts decides which rooms the bot is in, ./sender.ts says everything Parley says and
// ./history.ts reads rooms for transcripts. This file puts them together and answers for the platform as a whole:
// start, stop, health, and who moderates a room.
import { InFlight } from '../../lib/adapters/in-flight.js';
import type { Logger } from '../../lib/log.js';
import type { Notification } from '../../lib/notification.js';
import type { CommandInvocation, CommandReply } from '../../lib/seams/invocation.js';
import type { AdapterDeps, HistoryOptions, MemberRole, PlatformAdapter, RateLimits, SendOptions } from '../../lib/seams/platform.js';
import type { ChannelRecord } from '../../lib/seams/store.js';
import type { ChatMessage, TranscriptRange } from '../../lib/transcript/types.js';
import { MatrixApi } from './client.js';
import type { MatrixContext } from './context.js';
import { mapMatrixError } from './errors.js';
import { matrixHistory } from './history.js';
import { MatrixInbound } from './inbound.js';
import { MatrixInvitations } from './invitations.js';
import { SyncReceiver } from './receiver-sync.js';
import { MatrixSender } from './sender.js';
import type { MatrixSettings } from './settings.js';

/** Under /readyz's own 3 s limit. */
const HEALTH_TIMEOUT_MS = 2_500;

/**
 * A power level at or above the room's `state_default` (what changing the room's settings takes) makes a
 * moderator. Without a power-levels event every member may change state (the spec's defaults), and the creator
 * has 100.
 */
export function roleFromPowerLevels(levels: Record<string, unknown> | null, userId: string): MemberRole {
  if (!levels) return { role: 'moderator' };
  const users = (levels.users ?? {}) as Record<string, unknown>;
  const num = (v: unknown, fallback: number) => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && /^-?\d+$/u.test(v) ? Number(v) : fallback);
  const level = num(users[userId], num(levels.users_default, 0));
  return level >= num(levels.state_default, 50) ? { role: 'moderator' } : { role: 'member' };
}

export class MatrixAdapter implements PlatformAdapter<MatrixContext> {
  readonly platform = 'matrix' as const;
  // Synapse's default message limit is a burst of 10, then 0.2 a second per sender; servers often raise it for
  // bots. The queue keeps to a moderate pace, and an M_LIMIT_EXCEEDED waits as long as the server asks.
  readonly rateLimits: RateLimits = {
    perChannel: [{ max: 5, durationMs: 5000 }],
    perPlatform: { max: 10, durationMs: 1000 },
  };

  /** One sync per access token: a second one would answer every command again. */
  readonly uniqueConnection = true;
  private readonly api: MatrixApi;
  private readonly log: Logger;
  private readonly inFlight = new InFlight();
  private readonly sender: MatrixSender;
  private readonly receiver: SyncReceiver;
  private readonly inbound: MatrixInbound;

  constructor(deps: AdapterDeps, settings: MatrixSettings) {
    this.log = deps.log.child({ platform: 'matrix' });
    this.api = new MatrixApi(settings.homeserverUrl, settings.accessToken);
    this.sender = new MatrixSender(this.api, this.log);
    const invitations = new MatrixInvitations(deps, this.api, this.sender, settings, this.log);
    this.inbound = new MatrixInbound(deps, this.api, this.sender, invitations, this.log);
    const inbound = this.inbound;
    const inFlight = this.inFlight;
    this.receiver = new SyncReceiver({
      api: this.api,
      state: deps.store.platformState,
      log: this.log,
      handler: {
        handle: (response, initial) => inFlight.track(inbound.handle(response, initial)),
        tick: () => inFlight.track(inbound.tick()),
      },
    });
  }

  async start(): Promise<void> {
    await this.receiver.start();
  }

  async stop(): Promise<void> {
    await this.receiver.stop();
    await this.inFlight.drain();
  }

  async health(): Promise<{ ok: boolean; detail?: string }> {
    if (this.receiver.failure) return { ok: false, detail: `sync failing: ${this.receiver.failure}` };
    try {
      const me = await Promise.race([
        this.api.whoami(),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${HEALTH_TIMEOUT_MS} ms`)), HEALTH_TIMEOUT_MS).unref()),
      ]);
      return { ok: true, detail: `${me.user_id}${this.receiver.running ? '' : ' (not syncing in this process)'}` };
    } catch (err) {
      return { ok: false, detail: mapMatrixError(err).message };
    }
  }

  sendNotification(channel: ChannelRecord, notification: Notification, opts: SendOptions): Promise<{ messageRef: string | null }> {
    return this.sender.sendNotification(channel, notification, opts);
  }

  editNotification(channel: ChannelRecord, messageRef: string, notification: Notification): Promise<void> {
    return this.sender.editNotification(channel, messageRef, notification);
  }

  deleteNotification(channel: ChannelRecord, messageRef: string): Promise<void> {
    return this.sender.deleteNotification(channel, messageRef);
  }

  replyLater(invocation: CommandInvocation<MatrixContext>, reply: CommandReply): Promise<void> {
    return this.sender.replyLater(invocation, reply);
  }

  progress(invocation: CommandInvocation<MatrixContext>, text: string, ref: string | null): Promise<string | null> {
    return this.sender.progress(invocation, text, ref);
  }

  async memberRole(invocation: CommandInvocation<MatrixContext>): Promise<MemberRole> {
    try {
      return roleFromPowerLevels(await this.api.state(invocation.channel.externalId, 'm.room.power_levels'), invocation.user.id);
    } catch (err) {
      return { role: 'unknown', why: `could not read the room's power levels: ${mapMatrixError(err).message}` };
    }
  }

  async *fetchHistory(channel: ChannelRecord, range: TranscriptRange, opts: HistoryOptions): AsyncIterable<ChatMessage[]> {
    yield* matrixHistory(this.api, channel.externalId, range, { ...opts, botUserId: await this.api.userId() });
  }
}
