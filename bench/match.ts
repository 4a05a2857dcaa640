// Matching benchmark (docs/quality.md#matching-bar): 100,000 rules over 10,000 channels; RuleIndex.match against
// matchLinear (a scan of every rule, as the Discourse chat-integration plugin matches), same events, same run.
// Run alone: node --import tsx bench/match.ts
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { postMatchInput, type MatchInput } from '../lib/events.js';
import { RuleIndex, matchLinear } from '../lib/matching.js';
import type { Filter, Rule, Scope } from '../lib/rules.js';
import type { Benchmark, BenchResult } from './types.js';
import { prng } from './prng.js';

const RULES = 100_000;
const CHANNELS = 10_000;
const TOP_CATEGORIES = 350;
const SUBCATEGORIES = 150;
const TAGS = 2_000;
const EVENTS = 4_000;
const SAMPLE_CHECKED = 200;
/** Share of rules scoped `all`: each of those channels receives nearly every post. */
const ALL_SHARE = 0.001;
/** Popularity skew of categories and tags: item i of n is drawn as floor(n * u^SKEW); 1 would be uniform. */
const SKEW = 1.3;
/** Measurement: rounds of CHUNK events, each timed on both matchers, until ROUNDS or the time budget. */
const CHUNK = 100;
const ROUNDS = 12;
const BUDGET_MS = 15_000;


interface Category {
  path: string;
  parentPath: string | null;
  restricted: boolean;
}

interface Dataset {
  rules: Rule[];
  events: MatchInput[];
}

function buildDataset(seed: number): Dataset {
  const rand = prng(seed);
  const int = (n: number): number => Math.floor(rand() * n);
  // A few categories and tags are popular, most are not (the same ones for rules and for events).
  const popular = (n: number): number => Math.floor(n * rand() ** SKEW);

  const categories: Category[] = [];
  for (let i = 0; i < TOP_CATEGORIES; i++) {
    categories.push({ path: `cat-${i}`, parentPath: null, restricted: rand() < 0.08 });
  }
  for (let i = 0; i < SUBCATEGORIES; i++) {
    // Children hang under the first 60 top-level categories; a restricted parent mostly has restricted children.
    const parent = categories[int(60)]!;
    categories.push({
      path: `${parent.path}/sub-${i}`,
      parentPath: parent.path,
      restricted: parent.restricted ? rand() < 0.8 : rand() < 0.05,
    });
  }
  // Shuffle popularity so that subcategories and restricted ones are not all in the tail.
  for (let i = categories.length - 1; i > 0; i--) {
    const j = int(i + 1);
    [categories[i], categories[j]] = [categories[j]!, categories[i]!];
  }
  const tags = Array.from({ length: TAGS }, (_, i) => `tag-${i}`);

  const pickFilter = (): Filter => {
    const r = rand();
    return r < 0.55 ? 'watch' : r < 0.8 ? 'follow' : r < 0.9 ? 'thread' : 'mute';
  };
  const pickScope = (): Scope => {
    const r = rand();
    if (r < ALL_SHARE) return { type: 'all' };
    if (r < 0.6) return { type: 'category', path: categories[popular(categories.length)]!.path };
    return { type: 'tag', name: tags[popular(tags.length)]! };
  };
  const rules: Rule[] = [];
  for (let id = 1; id <= RULES; id++) {
    rules.push({ id, channelId: 1 + int(CHANNELS), source: 'discourse', filter: pickFilter(), scope: pickScope() });
  }

  const events: MatchInput[] = [];
  for (let i = 0; i < EVENTS; i++) {
    const r = rand();
    const tagCount = int(5);
    const eventTags = Array.from({ length: tagCount }, () => tags[popular(tags.length)]!);
    const isFirstPost = rand() < 0.25;
    if (r < 0.02) {
      events.push(postMatchInput({ categoryPath: null, parentPath: null, restricted: false, privateMessage: true, tags: eventTags, isFirstPost }));
    } else if (r < 0.03) {
      // Category unknown: treated as restricted (see matchInput).
      events.push(postMatchInput({ categoryPath: null, parentPath: null, restricted: true, privateMessage: false, tags: eventTags, isFirstPost }));
    } else {
      const c = categories[popular(categories.length)]!;
      events.push(postMatchInput({ categoryPath: c.path, parentPath: c.parentPath, restricted: c.restricted, privateMessage: false, tags: eventTags, isFirstPost }));
    }
  }
  return { rules, events };
}

/** Milliseconds to run `fn` over `events` `times` times; the result count is kept so the work is not dropped. */
function time(events: readonly MatchInput[], fn: (e: MatchInput) => unknown[], times: number): number {
  let sink = 0;
  const start = performance.now();
  for (let t = 0; t < times; t++) for (const e of events) sink += fn(e).length;
  const elapsed = performance.now() - start;
  if (sink < 0) throw new Error('unreachable');
  return elapsed;
}

export const match: Benchmark = async (): Promise<BenchResult> => {
  const { rules, events } = buildDataset(20240601);
  const index = new RuleIndex(rules);
  assert.equal(index.size, RULES);

  // Same answers, checked once on a sample spread over the events.
  const step = Math.floor(events.length / SAMPLE_CHECKED);
  let delivered = 0;
  for (let i = 0; i < events.length; i += step) {
    const expected = matchLinear(rules, events[i]!);
    assert.deepEqual(index.match(events[i]!), expected, `RuleIndex and matchLinear disagree on event ${i}`);
    delivered += expected.length;
  }
  assert.ok(delivered > 0, 'the sample delivered nothing: the data set would measure nothing');

  // Warm up both (JIT).
  time(events, (e) => index.match(e), 1);
  time(events.slice(0, 30), (e) => matchLinear(rules, e), 1);

  // Both matchers on the very same events, interleaved round by round, so that a machine busy with
  // something else weighs on both alike. The index repeats each chunk to be timed over a similar span.
  const linear = (e: MatchInput) => matchLinear(rules, e);
  const indexed = (e: MatchInput) => index.match(e);
  let linearMs = 0;
  let linearEvents = 0;
  let indexMs = 0;
  let indexEvents = 0;
  const started = performance.now();
  for (let round = 0; round < ROUNDS && (round < 3 || performance.now() - started < BUDGET_MS); round++) {
    const chunk = events.slice(round * CHUNK, (round + 1) * CHUNK);
    const ms = time(chunk, linear, 1);
    linearMs += ms;
    linearEvents += chunk.length;
    // Enough repeats to take about a quarter of the linear time, so the clock's resolution does not matter.
    const perPass = time(chunk, indexed, 1);
    const repeats = Math.max(1, Math.ceil(ms / 4 / Math.max(perPass, 0.01)));
    indexMs += time(chunk, indexed, repeats);
    indexEvents += chunk.length * repeats;
  }
  const ours = (indexEvents / indexMs) * 1000;
  const baseline = (linearEvents / linearMs) * 1000;

  return { name: 'match', ours: Math.round(ours), baseline: Math.round(baseline), ratio: Math.round((ours / baseline) * 10) / 10, unit: 'events/s' };
};

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await match()));
}
