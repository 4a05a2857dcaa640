// A /topic range as typed → the instants it covers, read in the issuing user's (or channel's, or
// instance's) IANA zone. Pure: the clock is a parameter; never throws (but for a broken install, below).
//
// - from:HH:MM-HH:MM is today in that zone; an end before the start crosses midnight (the start is
//   yesterday's). A range that has not begun is refused; one that has begun ends now at the latest.
//   The end minute is included (`to` is its last millisecond): a message shown at 16:10 is in from:…-16:10.
//   `to` never passes `now`.
// - since: is a compact span we read ourselves (2h, 90m, 1h30m, 1d, 45min, "2 hours ago"), else natural
//   language through chrono-node. chrono-node ignores IANA names, so it gets the zone's offset at `now`;
//   a wall-clock result (yesterday 3pm) is then re-read in the zone itself, which also corrects the offset
//   when a DST change lies between then and now.
// - Around DST changes: a wall time that happens twice (clocks turned back) is its first occurrence for a
//   start and its second for an end, so the range takes in both; one that never happens (clocks turned
//   forward) is the instant of the change.
// - chrono-node (half a megabyte of locales) is required at the first natural-language since:, not imported:
//   resolving stays synchronous, and a process that never reads one does not hold it (lib/lazy-module.ts).
import type * as Chrono from 'chrono-node';
import { DateTime, IANAZone, type DurationLikeObject } from 'luxon';
import { requireLazily } from '../../lib/lazy-module.js';
import type { ResolvedRange } from '../../lib/transcript/types.js';
import { failure } from '../messages.js';
import { COMPACT_DURATION, formatClock, formatOption, type ClockTime, type ParseFailure, type TopicRangeSpec } from './grammar.js';

export type { ResolvedRange };

export interface ResolveContext {
  now: Date;
  /** IANA zone name (Europe/Berlin). */
  zone: string;
}

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second?: number;
  millisecond?: number;
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/**
 * The instant a wall clock in `zone` shows `w`. Shown twice (clocks turned back): the earliest or latest
 * of the two. Never shown (clocks turned forward): the instant of the change.
 */
export function wallClockToInstant(zone: IANAZone, w: WallClock, pick: 'earliest' | 'latest'): number {
  const local = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second ?? 0, w.millisecond ?? 0);
  if (!Number.isFinite(local)) return NaN; // out of Date's range: the zone cannot be asked (Intl would throw)
  // Every offset the zone has around that day; each one that maps back to itself is a real reading.
  const offsets = [...new Set([local - DAY, local, local + DAY].map((t) => zone.offset(t)))];
  const candidates = offsets.map((o) => local - o * MINUTE).filter((t) => zone.offset(t) === (local - t) / MINUTE);
  if (candidates.length > 0) return pick === 'earliest' ? Math.min(...candidates) : Math.max(...candidates);

  // In a gap: read with the larger offset the time lies before the change, with the smaller after it.
  let before = local - Math.max(...offsets) * MINUTE;
  let after = local - Math.min(...offsets) * MINUTE;
  const offsetBefore = zone.offset(before);
  if (zone.offset(after) === offsetBefore) return after; // not a gap after all (cannot happen with sane data)
  while (after - before > MINUTE) {
    const mid = before + Math.floor((after - before) / 2 / MINUTE) * MINUTE;
    if (zone.offset(mid) === offsetBefore) before = mid;
    else after = mid;
  }
  return after;
}

function describe(instant: Date | number, zone: string): string {
  const dt = typeof instant === 'number' ? DateTime.fromMillis(instant, { zone }) : DateTime.fromJSDate(instant, { zone });
  return dt.setLocale('en-GB').toFormat('ccc d LLL HH:mm');
}

function clock(instant: Date | number, zone: string): string {
  const dt = typeof instant === 'number' ? DateTime.fromMillis(instant, { zone }) : DateTime.fromJSDate(instant, { zone });
  return dt.toFormat('HH:mm');
}

const minutesOf = (t: ClockTime) => t.h * 60 + t.m;

function resolveFrom(start: ClockTime, end: ClockTime, ctx: ResolveContext, zone: IANAZone): ResolvedRange | ParseFailure {
  const now = ctx.now.getTime();
  const today = DateTime.fromMillis(now, { zone: ctx.zone });
  const crossesMidnight = minutesOf(end) < minutesOf(start);
  const startDay = crossesMidnight ? today.minus({ days: 1 }) : today;
  const day = (d: DateTime) => ({ year: d.year, month: d.month, day: d.day });
  const from = wallClockToInstant(zone, { ...day(startDay), hour: start.h, minute: start.m }, 'earliest');
  // The end minute is included: the range ends just before the clock shows the next one.
  const endOfEnd = wallClockToInstant(zone, { ...day(today), hour: end.h, minute: end.m + 1 }, 'latest') - 1;
  const value = `${formatClock(start)}-${formatClock(end)}`;
  if (from > now) {
    return failure('topic.range_in_future', {
      value,
      now: clock(now, ctx.zone),
      zone: ctx.zone,
      example: `${clock(now - 60 * MINUTE, ctx.zone)}-${clock(now, ctx.zone)}`,
      earlier: formatOption('since', `yesterday ${formatClock(start)}`),
    });
  }
  // Only a range inside the hour skipped by a DST change ends before it starts.
  if (endOfEnd < from) return failure('topic.from_skipped', { value, zone: ctx.zone });
  return { kind: 'between', from: new Date(from), to: new Date(Math.min(endOfEnd, now)) };
}

const UNITS: Record<string, keyof DurationLikeObject> = {
  s: 'seconds', sec: 'seconds', secs: 'seconds', second: 'seconds', seconds: 'seconds',
  m: 'minutes', min: 'minutes', mins: 'minutes', minute: 'minutes', minutes: 'minutes',
  h: 'hours', hr: 'hours', hrs: 'hours', hour: 'hours', hours: 'hours',
  d: 'days', day: 'days', days: 'days',
  w: 'weeks', wk: 'weeks', wks: 'weeks', week: 'weeks', weeks: 'weeks',
  mo: 'months', mos: 'months', month: 'months', months: 'months',
};

/** `1h30m` → { hours: 1, minutes: 30 }, or null when the text is not a compact span. */
function compactDuration(text: string): DurationLikeObject | null {
  const m = COMPACT_DURATION.exec(text);
  if (!m) return null;
  const duration: Partial<Record<keyof DurationLikeObject, number>> = {};
  for (const [, amount, unit] of m[1]!.matchAll(/(\d+)\s*([a-z]+)/giu)) {
    const key = UNITS[unit!.toLowerCase()];
    if (key === undefined) return null;
    duration[key] = (duration[key] ?? 0) + Number(amount);
  }
  return duration;
}

/** Words around a time that say nothing more (since:"since yesterday", since:"at 3pm"). */
const FILLER = /\b(?:since|from|at|on|the|around|about|approx|approximately|ca)\b|[\s.,;:!?'"()-]+/giu;

interface SinceInstant {
  instant: number;
  /** A better way to write it when it lands in the future, or null. */
  suggestion: string | null;
}

function readNaturalLanguage(text: string, ctx: ResolveContext, zone: IANAZone): SinceInstant | ParseFailure {
  const typed = formatOption('since', text);
  // Outside the try below: a chrono-node that cannot be loaded is a broken install, not text we could not read.
  const chrono = requireLazily<typeof Chrono>('chrono-node', 'Reading a natural-language time (since:)');
  let results: Chrono.ParsedResult[];
  try {
    // chrono.parse rather than parseDate: the same reading, with the components we need to re-read in the zone.
    results = chrono.parse(text, { instant: ctx.now, timezone: zone.offset(ctx.now.getTime()) });
  } catch {
    results = [];
  }
  const result = results[0];
  if (result === undefined) return failure('topic.since_unreadable', { typed, zone: ctx.zone });
  const rest = (text.slice(0, result.index) + ' ' + text.slice(result.index + result.text.length)).replace(FILLER, ' ').trim();
  if (rest !== '') return failure('topic.since_partial', { typed, understood: result.text, rest, zone: ctx.zone });
  if (result.end) return failure('topic.since_range', { typed, understood: result.text });

  const c = result.start;
  let instant: number;
  if (c.isCertain('timezoneOffset')) {
    // The text named a zone (3pm PST), or chrono counted back from the instant itself (an hour ago).
    instant = c.date().getTime();
  } else {
    const wall = {
      year: c.get('year') ?? NaN,
      month: c.get('month') ?? NaN,
      day: c.get('day') ?? NaN,
      hour: c.get('hour') ?? 0,
      minute: c.get('minute') ?? 0,
      second: c.get('second') ?? 0,
      millisecond: c.get('millisecond') ?? 0,
    };
    instant = wallClockToInstant(zone, wall, 'earliest');
    // chrono reads a bare "midnight" as the coming one; since: means the one that has passed.
    if (result.tags().has('casualReference/midnight') && !c.isCertain('day') && instant > ctx.now.getTime()) {
      const previous = DateTime.fromObject({ year: wall.year, month: wall.month, day: wall.day }, { zone: 'utc' }).minus({ days: 1 });
      instant = wallClockToInstant(zone, { ...wall, year: previous.year, month: previous.month, day: previous.day }, 'earliest');
    }
  }
  if (!Number.isFinite(instant)) return failure('topic.since_unreadable', { typed, zone: ctx.zone });

  const dayNamed = c.isCertain('day') || c.isCertain('weekday');
  const suggestion = c.isCertain('weekday') && !c.isCertain('day')
    ? formatOption('since', `last ${result.text}`)
    : !dayNamed && c.isCertain('hour')
      ? formatOption('since', `yesterday ${result.text}`)
      : null;
  return { instant, suggestion };
}

function resolveSince(text: string, ctx: ResolveContext, zone: IANAZone): ResolvedRange | ParseFailure {
  const typed = formatOption('since', text);
  const now = ctx.now.getTime();
  const duration = compactDuration(text);
  let since: SinceInstant;
  if (duration) {
    // Hours and smaller are exact spans; days and longer keep the wall-clock time (1d: this time yesterday).
    const dt = DateTime.fromMillis(now, { zone: ctx.zone }).minus(duration);
    if (!dt.isValid) return failure('topic.since_unreadable', { typed, zone: ctx.zone });
    since = { instant: dt.toMillis(), suggestion: null };
  } else {
    const read = readNaturalLanguage(text, ctx, zone);
    if ('id' in read) return read;
    since = read;
  }
  if (since.instant >= now) {
    return failure('topic.since_future', {
      typed,
      when: describe(since.instant, ctx.zone),
      now: describe(now, ctx.zone),
      zone: ctx.zone,
      suggestion: since.suggestion,
    });
  }
  return { kind: 'between', from: new Date(since.instant), to: new Date(now) };
}

/** Resolves a parsed range at `now` in `zone`. `last:` and the default need no clock and pass through. */
export function resolveRange(range: TopicRangeSpec, ctx: ResolveContext): ResolvedRange | ParseFailure {
  if (range.kind === 'last' || range.kind === 'default') return range;
  if (!IANAZone.isValidZone(ctx.zone)) return failure('topic.bad_zone', { zone: ctx.zone });
  const zone = IANAZone.create(ctx.zone);
  return range.kind === 'from' ? resolveFrom(range.start, range.end, ctx, zone) : resolveSince(range.text, ctx, zone);
}
