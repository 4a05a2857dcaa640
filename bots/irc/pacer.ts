// Every line Parley writes to the server goes through one pacer: a burst, then one line per interval, so that the
// server's flood control never kicks the bot (ngircd delays a flood, most other servers disconnect with "Excess
// Flood"). The delivery queue's limits keep notifications from piling up here; this guards the lines they and
// command answers become together. Lines leave in the order given.
import { setTimeout as sleep } from 'node:timers/promises';

export class LinePacer {
  private tokens: number;
  private last: number;
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly burst: number,
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /** How long the next line would wait if it were asked for now, in ms. */
  get delayMs(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : Math.ceil((1 - this.tokens) * this.intervalMs);
  }

  /** Resolves when `write` may send its line; calls it then. Lines are written in the order of the calls. */
  send(write: () => void, signal?: AbortSignal): Promise<void> {
    const turn = this.tail.then(async () => {
      for (let wait = this.delayMs; wait > 0; wait = this.delayMs) await sleep(wait, undefined, signal ? { signal } : {});
      this.tokens -= 1;
      write();
    });
    // One failed (aborted) line must not stop the ones after it.
    this.tail = turn.catch(() => undefined);
    return turn;
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + (now - this.last) / this.intervalMs);
    this.last = now;
  }
}
