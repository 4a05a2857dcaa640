// Updates by long polling (getUpdates): the default, and the one connection only one process may hold (a second
// poller gets 409), so the core starts it only in the process holding the bots lease.
import type { Bot, Transformer } from 'grammy';
import type { Logger } from '../../lib/log.js';
import type { Receiver } from '../../lib/seams/platform.js';
import { initBot, type GrammySignal } from './api.js';
import { mapTelegramError } from './errors.js';
import { ALLOWED_UPDATES } from './inbound.js';

/** How long Telegram holds a getUpdates that has nothing to return. */
export const LONG_POLL_SECONDS = 30;
/** An empty long poll answered sooner than this waits out the rest (see pollFloor). */
export const MIN_EMPTY_POLL_MS = 300;

/**
 * A floor between empty long polls. Real Telegram holds an empty getUpdates for `timeout` seconds, so the
 * floor never delays it; telegram-test-api (and a broken proxy) answers at once, and grammY's loop would
 * spin at full CPU. Only long polls are held back (grammY's closing `getUpdates` on stop has no timeout).
 */
export function pollFloor(minMs: number): Transformer {
  return async (prev, method, payload, signal) => {
    const started = Date.now();
    const res = await prev(method, payload, signal);
    if (method !== 'getUpdates') return res;
    const askedSeconds = (payload as { timeout?: number } | undefined)?.timeout ?? 0;
    const empty = res.ok && Array.isArray(res.result) && res.result.length === 0;
    const wait = minMs - (Date.now() - started);
    if (askedSeconds > 0 && empty && wait > 0) await sleep(wait, signal);
    return res;
  };
}

/** node:timers/promises refuses grammY's polyfilled signal, hence this small sleep. */
function sleep(ms: number, signal: GrammySignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new Error('aborted'));
    const onAbort = () => {
      clearTimeout(timer);
      reject(new Error('aborted'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort);
  });
}

export class PollingReceiver implements Receiver {
  readonly mode = 'polling' as const;
  /** Why the loop ended by itself (401: token revoked, 409: another poller), for /readyz; null otherwise. */
  failure: string | null = null;
  private loop: Promise<void> | null = null;

  /** The bot's client timeout must outlast a long poll (LONG_POLL_SECONDS). */
  constructor(
    private readonly bot: Bot,
    private readonly log: Logger,
    minEmptyPollMs = MIN_EMPTY_POLL_MS,
  ) {
    bot.api.config.use(pollFloor(minEmptyPollMs));
  }

  /** Is this process the one polling? Not in a standby bots process, nor in a workers process that only sends. */
  get running(): boolean {
    return this.bot.isRunning();
  }

  /** Resolves once the first poll is under way; a wrong token or API root rejects. May follow stop(). */
  async start(): Promise<void> {
    this.failure = null;
    await initBot(this.bot);
    await new Promise<void>((resolve, reject) => {
      let started = false;
      this.loop = this.bot
        .start({
          drop_pending_updates: false,
          allowed_updates: [...ALLOWED_UPDATES],
          timeout: LONG_POLL_SECONDS,
          onStart: (me) => {
            started = true;
            this.log.info({ bot: me.username }, 'telegram long polling started');
            resolve();
          },
        })
        .catch((err: unknown) => {
          const mapped = mapTelegramError(err);
          if (!started) return reject(mapped);
          // 401 (token revoked) and 409 (another poller) end grammY's loop; /readyz says so.
          this.failure = mapped.message;
          this.log.error({ err: mapped }, 'telegram long polling stopped');
        });
    });
  }

  /** The loop ends after the batch it is handling. */
  async stop(): Promise<void> {
    if (this.bot.isRunning()) {
      await this.bot.stop().catch((err: unknown) => this.log.warn({ err: mapTelegramError(err) }, 'telegram: confirming the last update failed'));
    }
    await this.loop;
    this.loop = null;
  }
}
