// The rule index of a running process, kept in step with the store: rules may be changed by chat commands
// in another process or by the CLI, so the store's rules version is read before each match.
import type { MatchInput } from './events.js';
import { RuleIndex, type MatchedChannel } from './matching.js';
import type { ChannelRecord, Store } from './seams/store.js';

/** Channel records kept at most: past this, the cache starts again (it refills from the store as events match). */
const MAX_CHANNELS_KEPT = 100_000;
/** Misses asked for at once from this many are read with one query for every channel, not one query each. */
const READ_ALL_FROM = 50;

interface Miss {
  resolve(record: ChannelRecord | undefined): void;
  reject(err: unknown): void;
}

export class LiveRules {
  private index = new RuleIndex();
  private version: number | null = null;
  /** Matches that start while the version is being read share that read (a burst of webhooks asks once). */
  private versionRead: Promise<number> | null = null;
  /** Matched channels' records, read once per rules version. */
  private channels = new Map<number, ChannelRecord>();
  /** Channels asked for and not kept, gathered until the current microtask ends, then read together. */
  private misses: Map<number, Miss[]> | null = null;

  constructor(private readonly store: Store) {}

  async match(input: MatchInput): Promise<MatchedChannel[]> {
    const version = await (this.versionRead ??= this.store.rules.version().finally(() => (this.versionRead = null)));
    if (version !== this.version) {
      this.index = new RuleIndex(await this.store.rules.all());
      this.channels = new Map();
      this.version = version;
    }
    return this.index.match(input);
  }

  /**
   * A matched channel's record, from the store the first time after each change of the rules. Its id and platform
   * never change, and adding or removing a channel changes the rules version; its status, name and settings may
   * be older than the store's, so what depends on them reads the store (jobs/deliver.ts does). The channels of a
   * fan-out, asked for together, are read together.
   */
  channel(id: number): Promise<ChannelRecord | undefined> {
    const kept = this.channels.get(id);
    if (kept) return Promise.resolve(kept);
    return new Promise((resolve, reject) => {
      if (!this.misses) {
        this.misses = new Map();
        queueMicrotask(() => void this.readMisses());
      }
      const waiting = this.misses.get(id);
      if (waiting) waiting.push({ resolve, reject });
      else this.misses.set(id, [{ resolve, reject }]);
    });
  }

  private async readMisses(): Promise<void> {
    const misses = this.misses!;
    this.misses = null;
    const channels = this.channels;
    try {
      const read =
        misses.size >= READ_ALL_FROM
          ? await this.store.channels.list()
          : await Promise.all([...misses.keys()].map((id) => this.store.channels.get(id)));
      const records = new Map<number, ChannelRecord>();
      for (const record of read) if (record) records.set(record.id, record);
      // Not into a cache emptied meanwhile by a change of the rules (the records are as fresh, but of another version).
      if (channels === this.channels) {
        if (channels.size + records.size > MAX_CHANNELS_KEPT) channels.clear();
        for (const [id, record] of records) channels.set(id, record);
      }
      for (const [id, waiting] of misses) for (const w of waiting) w.resolve(records.get(id));
    } catch (err) {
      for (const waiting of misses.values()) for (const w of waiting) w.reject(err);
    }
  }
}
