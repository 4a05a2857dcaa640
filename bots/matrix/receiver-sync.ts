// Events in by /sync long polling: the one connection only one process may hold (a second one would answer
// every command again), so the core starts it only in the process holding the bots lease (uniqueConnection).
// The `next_batch` token is kept in the store after each batch is handled, so a restart resumes where the last
// run stopped: nothing read twice, nothing missed. Parley's first start reads only invitations, not the rooms'
// old messages. Failures are retried with backoff and jitter; a rate limit waits as long as the server asks.
import { setTimeout as sleep } from 'node:timers/promises';
import { PlatformPermanentError, PlatformRateLimitedError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import type { Receiver } from '../../lib/seams/platform.js';
import type { PlatformStateStore } from '../../lib/seams/store.js';
import type { MatrixApi, SyncResponse } from './client.js';
import { mapMatrixError } from './errors.js';

/** How long the homeserver may hold a sync that has nothing new. */
export const SYNC_TIMEOUT_MS = 30_000;
/** Backoff after a failed sync: doubling from the first to the last, with jitter. */
export const BACKOFF_MS = { first: 1000, max: 60_000 } as const;

// Only what Parley reads: room messages (commands), the bot's own membership (kicks, bans), encryption being
// turned on. No presence, account data, receipts or typing; members lazily loaded. Left rooms are included so
// that a kick shows up.
export const SYNC_FILTER = JSON.stringify({
  presence: { types: [] },
  account_data: { types: [] },
  room: {
    include_leave: true,
    account_data: { types: [] },
    ephemeral: { types: [] },
    state: { types: ['m.room.encryption', 'm.room.name'], lazy_load_members: true },
    timeline: { types: ['m.room.message', 'm.room.member', 'm.room.encryption'], limit: 100 },
  },
});

export interface SyncHandler {
  /** One sync's rooms. `initial`: the first sync Parley ever made with this account (old timelines are not news). */
  handle(response: SyncResponse, initial: boolean): Promise<void>;
  /** After each sync: work that is due whatever arrived (accepted, declined and expired invitations). */
  tick(): Promise<void>;
}

export interface SyncReceiverOptions {
  api: MatrixApi;
  state: PlatformStateStore;
  handler: SyncHandler;
  log: Logger;
}

export class SyncReceiver implements Receiver {
  /** Why syncing fails now (a revoked token, an unreachable server), for /readyz; null while it works. */
  failure: string | null = null;
  private userId: string | null = null;
  private loop: Promise<void> | null = null;
  private abort: AbortController | null = null;

  constructor(private readonly opts: SyncReceiverOptions) {}

  get running(): boolean {
    return this.loop !== null;
  }

  /** Resolves once the account is known and the first sync handled; a wrong token or URL rejects. May follow stop(). */
  async start(): Promise<void> {
    if (this.loop) return;
    const abort = (this.abort = new AbortController());
    try {
      this.userId ??= await this.opts.api.userId();
      await this.syncOnce(abort.signal, 0);
    } catch (err) {
      this.abort = null;
      throw mapMatrixError(err);
    }
    this.failure = null;
    this.opts.log.info({ userId: this.userId }, 'matrix sync started');
    this.loop = this.run(abort.signal);
  }

  async stop(): Promise<void> {
    this.abort?.abort();
    await this.loop;
    this.loop = null;
    this.abort = null;
  }

  private get tokenKey(): string {
    return `sync:${this.userId}`;
  }

  /** One sync, handled, its token kept; then the due work. */
  private async syncOnce(signal: AbortSignal, timeoutMs: number): Promise<void> {
    const since = (await this.opts.state.get('matrix', this.tokenKey)) ?? null;
    const response = await this.opts.api.sync({ filter: SYNC_FILTER, since, timeoutMs: since ? timeoutMs : 0 }, signal);
    await this.opts.handler.handle(response, since === null);
    // Only after handling: a crash mid-batch reads the batch again (commands are deduplicated by event id).
    await this.opts.state.set('matrix', this.tokenKey, response.next_batch);
    await this.opts.handler.tick();
  }

  private async run(signal: AbortSignal): Promise<void> {
    const backoff = BACKOFF_MS;
    let failures = 0;
    while (!signal.aborted) {
      try {
        await this.syncOnce(signal, SYNC_TIMEOUT_MS);
        if (failures > 0) this.opts.log.info({ failures }, 'matrix sync back');
        failures = 0;
        this.failure = null;
      } catch (err) {
        if (signal.aborted) break;
        const mapped = mapMatrixError(err);
        failures++;
        this.failure = mapped.message;
        const waitMs =
          mapped instanceof PlatformRateLimitedError
            ? mapped.retryAfterMs
            : Math.min(backoff.max, backoff.first * 2 ** Math.min(failures - 1, 16)) * (0.5 + Math.random() / 2);
        // A revoked token stays revoked until an admin acts: keep trying, slowly, and say so loudly.
        const level = mapped instanceof PlatformPermanentError ? 'error' : 'warn';
        this.opts.log[level]({ err: mapped.message, failures, waitMs: Math.round(waitMs) }, 'matrix sync failed; retrying');
        await sleep(waitMs, undefined, { signal }).catch(() => undefined);
      }
    }
  }
}
