// Matching: which channels receive an event, and through which rule. Pure functions, no I/O.
//
// Semantics (docs/rules.md):
// - A rule hears only its own source: a `/gitlab` rule never matches a forum post, nor a `/discourse` rule an issue.
// - A rule matches when its scope covers the event: `all` covers everything of its source; a scope naming the
//   event's own place (its category, its project) covers it; broader ones (a parent category, a group above the
//   project, a tag or label it carries) cover it too. `follow` covers only what opens something (first posts,
//   opened issues and merge requests, releases, failed pipelines).
// - Restricted events (read-restricted categories, private or internal projects) are delivered only through a
//   rule naming exactly their place. Broader rules still count for `mute` there: a mute never leaks anything,
//   and a channel that muted a tag or everything would not expect it to come back through a restricted place.
// - Hidden events (private messages, confidential issues) match nothing.
// - Per channel the most restrictive matching rule wins (RESTRICTIVENESS), ties going to the oldest rule
//   (lowest id) so that the answer never depends on load order. A winning `mute` means nothing is sent.
// - Rules and events meet by scopeKey (lib/rules.ts): scope values are lower-case in rules (parseScope makes them
//   so) and in the keys an event's source builds, so paths, tags and labels compare case-insensitively.

import type { MatchInput } from './events.js';
import { RESTRICTIVENESS, scopeKey, scopeValue, type Filter, type Rule } from './rules.js';

export type DeliveredFilter = Exclude<Filter, 'mute'>;

/** One channel that should receive the event, with the rule that decided it (for `parley route`). */
export interface MatchedChannel {
  channelId: number;
  filter: DeliveredFilter;
  ruleId: number;
}

const keyOf = (rule: Rule): string => scopeKey(rule.source, rule.scope);

/** An event's keys split once into scope type and value, so that the scan compares each rule without building strings. */
interface ScopeRef {
  type: string;
  value: string;
}
function refs(keys: readonly string[]): ScopeRef[] {
  return keys.map((key) => {
    const afterSource = key.indexOf(':') + 1;
    const afterType = key.indexOf(':', afterSource) + 1;
    return { type: key.slice(afterSource, afterType - 1), value: key.slice(afterType) };
  });
}
function holds(list: readonly ScopeRef[], type: string, value: string): boolean {
  for (const ref of list) if (ref.type === type && ref.value === value) return true;
  return false;
}

/** True when `a` should win over `b` for the same channel. */
function beats(a: Rule, b: Rule): boolean {
  const d = RESTRICTIVENESS[a.filter] - RESTRICTIVENESS[b.filter];
  return d > 0 || (d === 0 && a.id < b.id);
}

/** The linear scan's bookkeeping: the winning rule per channel, in a Map, as candidates come in. */
class Resolver {
  private readonly best = new Map<number, Rule>();

  offer(rule: Rule): void {
    const current = this.best.get(rule.channelId);
    if (current === undefined || beats(rule, current)) this.best.set(rule.channelId, rule);
  }

  result(): MatchedChannel[] {
    // Sorting the ids natively (a typed array) is several times cheaper than sorting objects with a comparator.
    const ids = new Float64Array(this.best.size);
    let n = 0;
    for (const rule of this.best.values()) if (rule.filter !== 'mute') ids[n++] = rule.channelId;
    const sorted = ids.subarray(0, n).sort();
    const out: MatchedChannel[] = new Array<MatchedChannel>(n);
    for (let i = 0; i < n; i++) {
      const rule = this.best.get(sorted[i]!)!;
      out[i] = { channelId: rule.channelId, filter: rule.filter as DeliveredFilter, ruleId: rule.id };
    }
    return out;
  }
}

/**
 * The baseline: test every rule against the event, one by one, as the Discourse chat-integration plugin
 * does after loading its rules. Same answers as RuleIndex.match, always; it is the reference in tests.
 */
export function matchLinear(rules: readonly Rule[], input: MatchInput): MatchedChannel[] {
  if (input.hidden) return [];
  const named = refs(input.named);
  const covering = refs(input.covering);
  const resolver = new Resolver();
  for (const rule of rules) {
    if (rule.source !== input.source) continue;
    if (rule.filter === 'follow' && !input.opens) continue;
    const { type } = rule.scope;
    const value = scopeValue(rule.scope);
    if (holds(named, type, value)) {
      resolver.offer(rule);
      continue;
    }
    // Every other way in is a broad one, closed to restricted events except for mute.
    if (input.restricted && rule.filter !== 'mute') continue;
    if (type === 'all' || holds(covering, type, value)) resolver.offer(rule);
  }
  return resolver.result();
}

const MUTE = RESTRICTIVENESS.mute;
const FOLLOW = RESTRICTIVENESS.follow;
const FILTER_OF_RANK: Filter[] = [];
for (const [filter, rank] of Object.entries(RESTRICTIVENESS) as Array<[Filter, number]>) FILTER_OF_RANK[rank] = filter;

/**
 * The rules of one scope value, as parallel arrays of numbers: the match loop never dereferences a Rule
 * (scattered over the heap, each read a likely cache miss). Swap-remove keeps the arrays dense.
 */
class Bucket {
  readonly ids: number[] = [];
  readonly ranks: number[] = [];
  readonly channelIds: number[] = [];
  /** The channel's slot in RuleIndex (see there), rewritten when slots are renumbered. */
  readonly slots: number[] = [];
  private readonly position = new Map<number, number>();

  add(rule: Rule, slot: number): void {
    this.position.set(rule.id, this.ids.length);
    this.ids.push(rule.id);
    this.ranks.push(RESTRICTIVENESS[rule.filter]);
    this.channelIds.push(rule.channelId);
    this.slots.push(slot);
  }

  remove(ruleId: number): void {
    const i = this.position.get(ruleId);
    if (i === undefined) return;
    this.position.delete(ruleId);
    const last = this.ids.length - 1;
    if (i < last) {
      this.ids[i] = this.ids[last]!;
      this.ranks[i] = this.ranks[last]!;
      this.channelIds[i] = this.channelIds[last]!;
      this.slots[i] = this.slots[last]!;
      this.position.set(this.ids[i], i);
    }
    this.ids.pop();
    this.ranks.pop();
    this.channelIds.pop();
    this.slots.pop();
  }

  get size(): number {
    return this.ids.length;
  }
}

/**
 * Rules indexed by scope key, so that matching an event looks only at the rules that could cover it:
 * its source's `all` bucket, and the buckets of the keys the event is named and covered by.
 *
 * Each channel has a dense slot number, given in channel-id order, so that picking each channel's winner
 * uses flat typed arrays stamped per match (no Map per event), and sorting the result is a numeric sort of
 * slots. A channel added out of id order only marks the slots for renumbering before the next match.
 */
export class RuleIndex {
  private readonly byId = new Map<number, Rule>();
  /** The `all` rules of each source. */
  private readonly everything = new Map<string, Bucket>();
  private readonly byKey = new Map<string, Bucket>();

  private readonly slotOf = new Map<number, number>();
  private readonly rulesOfChannel = new Map<number, number>();
  private nextSlot = 0;
  private highestChannelId = -Infinity;
  private slotsOutOfOrder = false;

  // Per slot: its channel, the match it was last touched in, and the winning rule's id and rank then.
  // Ids live in plain arrays (small integers stored unboxed), so reading them back allocates nothing.
  private channelOfSlot: number[] = [];
  private stamp = new Uint32Array(0);
  private winnerId: number[] = [];
  private winnerRank = new Uint8Array(0);
  private bitmap = new Uint32Array(0);
  private epoch = 0;

  constructor(rules: Iterable<Rule> = []) {
    const list = [...rules];
    // Slots in channel-id order from the start, so that a bulk load never needs renumbering.
    for (const channelId of [...new Set(list.map((r) => r.channelId))].sort((a, b) => a - b)) this.slotFor(channelId);
    for (const rule of list) this.add(rule);
  }

  get size(): number {
    return this.byId.size;
  }

  /** Adds a rule; a rule with the same id replaces the old one. */
  add(rule: Rule): void {
    if (this.byId.has(rule.id)) this.remove(rule.id);
    this.byId.set(rule.id, rule);
    this.rulesOfChannel.set(rule.channelId, (this.rulesOfChannel.get(rule.channelId) ?? 0) + 1);
    this.bucketFor(rule, true).add(rule, this.slotFor(rule.channelId));
  }

  /** Returns false when there was no such rule. */
  remove(ruleId: number): boolean {
    const rule = this.byId.get(ruleId);
    if (rule === undefined) return false;
    this.byId.delete(ruleId);
    const bucket = this.bucketFor(rule, false);
    bucket.remove(ruleId);
    // Drop empty buckets and unused channels so that a long-running index does not keep all it ever saw.
    if (bucket.size === 0) {
      if (rule.scope.type === 'all') this.everything.delete(rule.source);
      else this.byKey.delete(keyOf(rule));
    }
    const left = this.rulesOfChannel.get(rule.channelId)! - 1;
    if (left > 0) {
      this.rulesOfChannel.set(rule.channelId, left);
    } else {
      this.rulesOfChannel.delete(rule.channelId);
      this.slotOf.delete(rule.channelId);
    }
    return true;
  }

  match(input: MatchInput): MatchedChannel[] {
    if (input.hidden) return [];
    if (this.slotsOutOfOrder) this.renumberSlots();
    this.epoch = (this.epoch + 1) >>> 0;
    if (this.epoch === 0) {
      this.stamp.fill(0);
      this.epoch = 1;
    }
    const touched: number[] = [];
    const opens = input.opens;
    for (const key of input.named) this.offer(this.byKey.get(key), false, opens, touched);
    // Broad buckets (all, parents, groups, tags, labels): for a restricted event they can only mute.
    const broadMuteOnly = input.restricted;
    this.offer(this.everything.get(input.source), broadMuteOnly, opens, touched);
    for (const key of input.covering) this.offer(this.byKey.get(key), broadMuteOnly, opens, touched);

    return this.winnersInChannelOrder(touched);
  }

  /**
   * The touched slots' winners in slot order, which is channel-id order. A bitmap of the touched slots,
   * walked word by word between the lowest and highest one, orders them in O(touched + range / 32)
   * without a comparison sort; the walk clears the bitmap for the next match.
   */
  private winnersInChannelOrder(touched: readonly number[]): MatchedChannel[] {
    const { bitmap, winnerRank } = this;
    let low = Number.MAX_SAFE_INTEGER;
    let high = -1;
    for (const slot of touched) {
      if (winnerRank[slot] === MUTE) continue;
      const word = slot >>> 5;
      bitmap[word]! |= 1 << (slot & 31);
      if (word < low) low = word;
      if (word > high) high = word;
    }
    const out: MatchedChannel[] = [];
    for (let word = low; word <= high; word++) {
      let bits = bitmap[word]!;
      if (bits === 0) continue;
      bitmap[word] = 0;
      while (bits !== 0) {
        const bit = 31 - Math.clz32(bits & -bits);
        bits &= bits - 1;
        out.push(this.delivery((word << 5) | bit));
      }
    }
    return out;
  }

  private delivery(slot: number): MatchedChannel {
    return {
      channelId: this.channelOfSlot[slot]!,
      filter: FILTER_OF_RANK[this.winnerRank[slot]!] as DeliveredFilter,
      ruleId: this.winnerId[slot]!,
    };
  }

  /** Feeds a bucket's eligible rules into the per-slot winners of the current match. */
  private offer(bucket: Bucket | undefined, muteOnly: boolean, opens: boolean, touched: number[]): void {
    if (bucket === undefined) return;
    const { ids, ranks, slots } = bucket;
    const { stamp, winnerId, winnerRank, epoch } = this;
    for (let i = 0; i < ids.length; i++) {
      const rank = ranks[i]!;
      if (muteOnly ? rank !== MUTE : rank === FOLLOW && !opens) continue;
      const slot = slots[i]!;
      const id = ids[i]!;
      if (stamp[slot] !== epoch) {
        stamp[slot] = epoch;
        winnerId[slot] = id;
        winnerRank[slot] = rank;
        touched.push(slot);
      } else if (rank > winnerRank[slot]! || (rank === winnerRank[slot] && id < winnerId[slot]!)) {
        winnerId[slot] = id;
        winnerRank[slot] = rank;
      }
    }
  }

  private slotFor(channelId: number): number {
    let slot = this.slotOf.get(channelId);
    if (slot !== undefined) return slot;
    slot = this.nextSlot++;
    this.slotOf.set(channelId, slot);
    if (channelId < this.highestChannelId) this.slotsOutOfOrder = true;
    else this.highestChannelId = channelId;
    if (slot >= this.stamp.length) this.growSlots(Math.max(64, slot * 2));
    this.channelOfSlot[slot] = channelId;
    return slot;
  }

  private growSlots(capacity: number): void {
    const grow = <T extends Uint32Array | Uint8Array>(old: T, fresh: T): T => {
      fresh.set(old);
      return fresh;
    };
    // Filled, not sparse: a holey array would fall back to slower element access.
    while (this.channelOfSlot.length < capacity) this.channelOfSlot.push(0);
    while (this.winnerId.length < capacity) this.winnerId.push(0);
    this.stamp = grow(this.stamp, new Uint32Array(capacity));
    this.winnerRank = grow(this.winnerRank, new Uint8Array(capacity));
    this.bitmap = grow(this.bitmap, new Uint32Array(Math.ceil(capacity / 32)));
  }

  /** Gives the live channels slots 0..n-1 in id order again, and rewrites the buckets to match. */
  private renumberSlots(): void {
    const ids = [...this.slotOf.keys()].sort((a, b) => a - b);
    this.slotOf.clear();
    this.nextSlot = 0;
    this.highestChannelId = -Infinity;
    // Fresh per-slot state: old stamps belong to old slot numbers.
    this.channelOfSlot = [];
    this.stamp = new Uint32Array(0);
    this.winnerId = [];
    this.winnerRank = new Uint8Array(0);
    this.bitmap = new Uint32Array(0);
    this.epoch = 0;
    for (const id of ids) this.slotFor(id);
    for (const bucket of [...this.everything.values(), ...this.byKey.values()]) {
      for (let i = 0; i < bucket.size; i++) bucket.slots[i] = this.slotOf.get(bucket.channelIds[i]!)!;
    }
    this.slotsOutOfOrder = false;
  }

  private bucketFor(rule: Rule, create: boolean): Bucket {
    const [map, key]: [Map<string, Bucket>, string] = rule.scope.type === 'all' ? [this.everything, rule.source] : [this.byKey, keyOf(rule)];
    let bucket = map.get(key);
    if (bucket === undefined) {
      bucket = new Bucket();
      if (create) map.set(key, bucket);
    }
    return bucket;
  }
}
