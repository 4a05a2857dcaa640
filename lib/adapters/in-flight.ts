// Work an adapter has started and stop() must let finish: updates being handled, late command answers.
// Every adapter needs it, so it is one small object here rather than a Set in each.

export class InFlight {
  private readonly work = new Set<Promise<unknown>>();

  /** Keeps `work` in sight until it settles; returns it unchanged. */
  track<T>(work: Promise<T>): Promise<T> {
    this.work.add(work);
    const forget = () => this.work.delete(work);
    work.then(forget, forget);
    return work;
  }

  get size(): number {
    return this.work.size;
  }

  /** Resolves when everything tracked now has settled, or after `timeoutMs` (never rejects). */
  async drain(timeoutMs?: number): Promise<void> {
    if (this.work.size === 0) return;
    const settled = Promise.allSettled([...this.work]).then(() => undefined);
    if (timeoutMs === undefined) return settled;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([settled, timeout]);
    clearTimeout(timer);
  }
}
