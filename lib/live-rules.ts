// The rule index of a running process, kept in step with the store: rules may be changed by chat commands
// in another process or by the CLI, so the store's rules version is read before each match.
import type { MatchInput } from './events.js';
import { RuleIndex, type MatchedChannel } from './matching.js';
import type { Store } from './seams/store.js';

export class LiveRules {
  private index = new RuleIndex();
  private version: number | null = null;
  /** Matches that start while the version is being read share that read (a burst of webhooks asks once). */
  private versionRead: Promise<number> | null = null;

  constructor(private readonly store: Store) {}

  async match(input: MatchInput): Promise<MatchedChannel[]> {
    const version = await (this.versionRead ??= this.store.rules.version().finally(() => (this.versionRead = null)));
    if (version !== this.version) {
      this.index = new RuleIndex(await this.store.rules.all());
      this.version = version;
    }
    return this.index.match(input);
  }
}
