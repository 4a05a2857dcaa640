import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { IANAZone } from 'luxon';
import { isTopicFailure, type ClockTime, type ParseFailure, type TopicRangeSpec } from '../../commands/topic/grammar.js';
import { resolveRange, wallClockToInstant, type ResolvedRange } from '../../commands/topic/time-range.js';

/** Wednesday 12 June 2024, 10:00 UTC: 12:00 in Berlin, 03:00 in Los Angeles, 15:30 in Kolkata. */
const JUNE = new Date('2024-06-12T10:00:00Z');
/** Sunday 31 March 2024, 10:00 UTC: Berlin put its clocks forward at 02:00 CET this morning (01:00 UTC). */
const BERLIN_SPRING = new Date('2024-03-31T10:00:00Z');
/** Sunday 27 October 2024, 10:00 UTC: Berlin put its clocks back at 03:00 CEST this morning (01:00 UTC). */
const BERLIN_AUTUMN = new Date('2024-10-27T10:00:00Z');
/** Sunday 10 March 2024, 20:00 UTC (13:00 PDT): Los Angeles put its clocks forward at 02:00 PST. */
const LA_SPRING = new Date('2024-03-10T20:00:00Z');

const from = (start: ClockTime, end: ClockTime): TopicRangeSpec => ({ kind: 'from', start, end });
const since = (text: string): TopicRangeSpec => ({ kind: 'since', text });
const t = (h: number, m = 0): ClockTime => ({ h, m });

function between(range: TopicRangeSpec, now: Date, zone: string): { from: string; to: string } {
  const r = resolveRange(range, { now, zone });
  if (isTopicFailure(r)) throw new Error(`expected a range, got ${r.id}: ${r.message}`);
  if (r.kind !== 'between') throw new Error(`expected a time range, got ${JSON.stringify(r)}`);
  return { from: r.from.toISOString(), to: r.to.toISOString() };
}

function refused(range: TopicRangeSpec, now: Date, zone: string): ParseFailure {
  const r = resolveRange(range, { now, zone });
  if (!isTopicFailure(r)) throw new Error(`expected a failure, got ${JSON.stringify(r)}`);
  return r;
}

describe('resolveRange: last: and the default', () => {
  test('pass through untouched, needing no clock or zone', () => {
    assert.deepEqual(resolveRange({ kind: 'last', count: 50 }, { now: JUNE, zone: 'Europe/Berlin' }), { kind: 'last', count: 50 });
    assert.deepEqual(resolveRange({ kind: 'default' }, { now: JUNE, zone: 'Not/AZone' }), { kind: 'default' });
  });
});

describe('resolveRange: from:HH:MM-HH:MM', () => {
  test('is today in the given zone, the end minute included', () => {
    assert.deepEqual(between(from(t(9), t(10, 30)), JUNE, 'Europe/Berlin'), { from: '2024-06-12T07:00:00.000Z', to: '2024-06-12T08:30:59.999Z' });
    assert.deepEqual(between(from(t(1), t(2)), JUNE, 'America/Los_Angeles'), { from: '2024-06-12T08:00:00.000Z', to: '2024-06-12T09:00:59.999Z' });
    assert.deepEqual(between(from(t(14), t(15)), JUNE, 'Asia/Kolkata'), { from: '2024-06-12T08:30:00.000Z', to: '2024-06-12T09:30:59.999Z' });
    assert.deepEqual(between(from(t(8, 15), t(9, 45)), JUNE, 'UTC'), { from: '2024-06-12T08:15:00.000Z', to: '2024-06-12T09:45:59.999Z' });
  });

  test("\"today\" is the zone's date, not UTC's", () => {
    // 03:00 in Los Angeles on 12 June is still 11 June nowhere; but 23:30 UTC on 11 June is already 12 June in Kolkata.
    const lateUtc = new Date('2024-06-11T23:30:00Z'); // 05:00 IST on 12 June
    assert.deepEqual(between(from(t(4), t(4, 30)), lateUtc, 'Asia/Kolkata'), { from: '2024-06-11T22:30:00.000Z', to: '2024-06-11T23:00:59.999Z' });
  });

  test('an end before the start crosses midnight: the start is yesterday', () => {
    assert.deepEqual(between(from(t(23, 30), t(0, 15)), JUNE, 'Europe/Berlin'), { from: '2024-06-11T21:30:00.000Z', to: '2024-06-11T22:15:59.999Z' });
    assert.deepEqual(between(from(t(22), t(2)), JUNE, 'America/Los_Angeles'), { from: '2024-06-12T05:00:00.000Z', to: '2024-06-12T09:00:59.999Z' });
  });

  test('a range that has begun ends now at the latest', () => {
    assert.deepEqual(between(from(t(11), t(16, 10)), JUNE, 'Europe/Berlin'), { from: '2024-06-12T09:00:00.000Z', to: JUNE.toISOString() });
    // 00:10 in Berlin, asking for last night's 23:30 to 00:15.
    const justAfterMidnight = new Date('2024-06-11T22:10:00Z');
    assert.deepEqual(between(from(t(23, 30), t(0, 15)), justAfterMidnight, 'Europe/Berlin'), {
      from: '2024-06-11T21:30:00.000Z',
      to: justAfterMidnight.toISOString(),
    });
    // Starting this very minute is not the future.
    assert.deepEqual(between(from(t(15, 30), t(16)), JUNE, 'Asia/Kolkata'), { from: JUNE.toISOString(), to: JUNE.toISOString() });
  });

  test('a range that has not begun is refused, with the time now and ranges that would work', () => {
    const f = refused(from(t(15, 35), t(16, 10)), JUNE, 'Europe/Berlin');
    assert.equal(f.id, 'topic.range_in_future');
    assert.match(f.message, /^from:15:35-16:10 has not begun yet: it is 12:00 now in Europe\/Berlin/);
    assert.match(f.message, /as in from:11:00-12:00, or for an earlier day use since:, as in since:"yesterday 15:35"\.$/);
    assert.match(refused(from(t(15, 31), t(16)), JUNE, 'Asia/Kolkata').message, /it is 15:30 now in Asia\/Kolkata/);
    // The same wall-clock range is in the past in Berlin and the future in Los Angeles.
    assert.equal(refused(from(t(9), t(10)), JUNE, 'America/Los_Angeles').id, 'topic.range_in_future');
  });

  test('crossing midnight on a DST change day: yesterday in winter time, today in summer time', () => {
    assert.deepEqual(between(from(t(23), t(1)), BERLIN_SPRING, 'Europe/Berlin'), { from: '2024-03-30T22:00:00.000Z', to: '2024-03-31T00:00:59.999Z' });
  });

  test('clocks put forward: the range holds the real time between, and a time that never happened is the change', () => {
    // Berlin 01:30 CET to 03:30 CEST is one real hour.
    assert.deepEqual(between(from(t(1, 30), t(3, 30)), BERLIN_SPRING, 'Europe/Berlin'), { from: '2024-03-31T00:30:00.000Z', to: '2024-03-31T01:30:59.999Z' });
    assert.deepEqual(between(from(t(2, 30), t(4)), BERLIN_SPRING, 'Europe/Berlin'), { from: '2024-03-31T01:00:00.000Z', to: '2024-03-31T02:00:59.999Z' });
    // Los Angeles 01:00 PST to 04:00 PDT is two real hours.
    assert.deepEqual(between(from(t(1), t(4)), LA_SPRING, 'America/Los_Angeles'), { from: '2024-03-10T09:00:00.000Z', to: '2024-03-10T11:00:59.999Z' });
  });

  test('a range entirely inside the skipped hour is refused as never having happened', () => {
    const f = refused(from(t(2, 15), t(2, 45)), BERLIN_SPRING, 'Europe/Berlin');
    assert.equal(f.id, 'topic.from_skipped');
    assert.match(f.message, /from:02:15-02:45 never happened today in Europe\/Berlin: the clocks skipped those minutes/);
  });

  test('clocks put back: a time that happened twice starts at its first and ends at its second occurrence', () => {
    assert.deepEqual(between(from(t(2, 15), t(2, 45)), BERLIN_AUTUMN, 'Europe/Berlin'), { from: '2024-10-27T00:15:00.000Z', to: '2024-10-27T01:45:59.999Z' });
  });

  test('an unknown zone is refused, pointing to last:', () => {
    const f = refused(from(t(9), t(10)), JUNE, 'Mars/Olympus');
    assert.equal(f.id, 'topic.bad_zone');
    assert.match(f.message, /"Mars\/Olympus" is not a known time zone.*PARLEY_TIMEZONE; meanwhile last:N works/);
  });
});

describe('resolveRange: since:', () => {
  test('since:"yesterday 3pm" is 15:00 of the previous day in the zone, until now', () => {
    assert.deepEqual(between(since('yesterday 3pm'), JUNE, 'Europe/Berlin'), { from: '2024-06-11T13:00:00.000Z', to: JUNE.toISOString() });
    assert.deepEqual(between(since('yesterday 3pm'), JUNE, 'America/Los_Angeles'), { from: '2024-06-11T22:00:00.000Z', to: JUNE.toISOString() });
    assert.deepEqual(between(since('yesterday 3pm'), JUNE, 'Asia/Kolkata'), { from: '2024-06-11T09:30:00.000Z', to: JUNE.toISOString() });
    assert.deepEqual(between(since('yesterday at 15:00'), JUNE, 'UTC').from, '2024-06-11T15:00:00.000Z');
  });

  test('on the day after a DST change, yesterday 3pm is read with yesterday\'s offset, not today\'s', () => {
    // 30 March was still CET (+01:00): 15:00 there is 14:00 UTC, although Berlin is at +02:00 now.
    assert.equal(between(since('yesterday 3pm'), BERLIN_SPRING, 'Europe/Berlin').from, '2024-03-30T14:00:00.000Z');
    assert.equal(between(since('yesterday 3pm'), BERLIN_AUTUMN, 'Europe/Berlin').from, '2024-10-26T13:00:00.000Z');
  });

  test('compact spans chrono-node does not read: exact for hours and minutes, same clock time for days', () => {
    const cases: [string, string][] = [
      ['2h', '2024-06-12T08:00:00.000Z'],
      ['90m', '2024-06-12T08:30:00.000Z'],
      ['45min', '2024-06-12T09:15:00.000Z'],
      ['1h30m', '2024-06-12T08:30:00.000Z'],
      ['1h 30m', '2024-06-12T08:30:00.000Z'],
      ['2 hours ago', '2024-06-12T08:00:00.000Z'],
      ['1d', '2024-06-11T10:00:00.000Z'],
      ['1w', '2024-06-05T10:00:00.000Z'],
      ['2H', '2024-06-12T08:00:00.000Z'],
    ];
    for (const [text, expected] of cases) assert.equal(between(since(text), JUNE, 'Europe/Berlin').from, expected, text);
    // 1d on the spring-forward day: 12:00 yesterday (CET), 23 real hours ago.
    assert.equal(between(since('1d'), BERLIN_SPRING, 'Europe/Berlin').from, '2024-03-30T11:00:00.000Z');
    assert.equal(between(since('3h'), BERLIN_SPRING, 'Europe/Berlin').from, '2024-03-31T07:00:00.000Z');
  });

  test('other natural language through chrono-node, in the zone', () => {
    assert.equal(between(since('an hour ago'), JUNE, 'Asia/Kolkata').from, '2024-06-12T09:00:00.000Z');
    assert.equal(between(since('monday 9:00'), JUNE, 'Europe/Berlin').from, '2024-06-10T07:00:00.000Z');
    assert.equal(between(since('9:30'), JUNE, 'UTC').from, '2024-06-12T09:30:00.000Z');
    assert.equal(between(since('since yesterday 3pm'), JUNE, 'Europe/Berlin').from, '2024-06-11T13:00:00.000Z');
    // A zone named in the text wins over the channel's.
    assert.equal(between(since('yesterday 3pm PST'), JUNE, 'Asia/Kolkata').from, '2024-06-11T23:00:00.000Z');
    // "midnight" is the one that has passed, not chrono-node's coming one.
    assert.equal(between(since('midnight'), JUNE, 'Europe/Berlin').from, '2024-06-11T22:00:00.000Z');
  });

  test('a time in the future is refused, saying when it is and what to write instead', () => {
    const later = refused(since('15:30'), JUNE, 'Europe/Berlin');
    assert.equal(later.id, 'topic.since_future');
    assert.match(later.message, /^since:15:30 means Wed 12 Jun 15:30 \(Europe\/Berlin\), which is not in the past: it is Wed 12 Jun 12:00 now\./);
    assert.match(later.message, /as in since:"yesterday 15:30"\.$/);

    assert.match(refused(since('friday'), JUNE, 'Europe/Berlin').message, /means Fri 14 Jun .* as in since:"last friday"\.$/);
    assert.match(refused(since('tomorrow'), JUNE, 'Europe/Berlin').message, /means Thu 13 Jun 12:00 .* as in since:2h or since:"yesterday 3pm"\.$/);
    assert.equal(refused(since('0m'), JUNE, 'UTC').id, 'topic.since_future');
  });

  test('text that is not a time is refused with examples and the zone', () => {
    const f = refused(since('banana'), JUNE, 'Asia/Kolkata');
    assert.equal(f.id, 'topic.since_unreadable');
    assert.match(f.message, /^Parley cannot read since:banana as a time\. .*since:2h, since:90m, since:"yesterday 3pm".*\(read in Asia\/Kolkata\)/);
    assert.equal(refused(since('99999999999999999'), JUNE, 'UTC').id, 'topic.since_unreadable');
  });

  test('text chrono-node reads only in part is refused, naming both parts', () => {
    const f = refused(since('yesterday banana'), JUNE, 'Europe/Berlin');
    assert.equal(f.id, 'topic.since_partial');
    assert.match(f.message, /^In since:"yesterday banana" Parley understood "yesterday" but not "banana"\./);
  });

  test('a span is refused: since: runs until now, from: takes spans', () => {
    const f = refused(since('3pm to 4pm'), new Date('2024-06-12T20:00:00Z'), 'Europe/Berlin');
    assert.equal(f.id, 'topic.since_range');
    assert.match(f.message, /since: takes one time and runs until now.*use from:, as in from:15:35-16:10/);
  });

  test('an unknown zone is refused', () => {
    assert.equal(refused(since('2h'), JUNE, 'Europe/Atlantis').id, 'topic.bad_zone');
  });
});

describe('wallClockToInstant', () => {
  const berlin = IANAZone.create('Europe/Berlin');
  test('an ordinary time has one instant; a doubled one two; a skipped one is the change', () => {
    const noon = { year: 2024, month: 6, day: 12, hour: 12, minute: 0 };
    assert.equal(wallClockToInstant(berlin, noon, 'earliest'), Date.parse('2024-06-12T10:00:00Z'));
    assert.equal(wallClockToInstant(berlin, noon, 'latest'), Date.parse('2024-06-12T10:00:00Z'));
    const doubled = { year: 2024, month: 10, day: 27, hour: 2, minute: 30 };
    assert.equal(wallClockToInstant(berlin, doubled, 'earliest'), Date.parse('2024-10-27T00:30:00Z'));
    assert.equal(wallClockToInstant(berlin, doubled, 'latest'), Date.parse('2024-10-27T01:30:00Z'));
    const skipped = { year: 2024, month: 3, day: 31, hour: 2, minute: 30 };
    assert.equal(wallClockToInstant(berlin, skipped, 'earliest'), Date.parse('2024-03-31T01:00:00Z'));
    // Lord Howe Island moves its clocks by half an hour.
    const lordHowe = IANAZone.create('Australia/Lord_Howe');
    assert.equal(wallClockToInstant(lordHowe, { year: 2024, month: 10, day: 6, hour: 2, minute: 10 }, 'earliest'), Date.parse('2024-10-05T15:30:00Z'));
  });
});

describe('resolveRange: random input', () => {
  const zones = ['Europe/Berlin', 'America/Los_Angeles', 'Asia/Kolkata', 'UTC', 'Australia/Lord_Howe', 'Pacific/Apia', 'America/St_Johns'];
  const nows = fc.date({ min: new Date('1990-01-01T00:00:00Z'), max: new Date('2060-01-01T00:00:00Z'), noInvalidDate: true });

  function wellFormed(r: ResolvedRange | ParseFailure, now: Date): void {
    if (isTopicFailure(r)) {
      assert.ok(r.id.startsWith('topic.'));
      assert.ok(r.message.trim().length > 0);
      return;
    }
    assert.equal(r.kind, 'between');
    if (r.kind !== 'between') return;
    assert.ok(!Number.isNaN(r.from.getTime()) && !Number.isNaN(r.to.getTime()));
    assert.ok(r.from.getTime() <= r.to.getTime(), `${r.from.toISOString()} after ${r.to.toISOString()}`);
    assert.ok(r.to.getTime() <= now.getTime());
  }

  test('any from: range in any zone at any time: a range in the past, or a failure; never a throw', () => {
    const clockTime = fc.record({ h: fc.integer({ min: 0, max: 23 }), m: fc.integer({ min: 0, max: 59 }) });
    fc.assert(
      fc.property(clockTime, clockTime, nows, fc.constantFrom(...zones), (start, end, now, zone) => {
        fc.pre(start.h !== end.h || start.m !== end.m);
        wellFormed(resolveRange({ kind: 'from', start, end }, { now, zone }), now);
      }),
      { numRuns: 2000 },
    );
  });

  test('any since: text: a range in the past, or a failure; never a throw', () => {
    const words = fc.constantFrom('yesterday', 'today', 'tomorrow', '3pm', '15:30', 'at', 'monday', 'last', 'week', 'ago', '2h', '90m', 'midnight', 'noon', 'PST', 'to', '-', '1d', '12', 'March', '31');
    const text = fc.oneof(
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }),
      fc.array(fc.oneof(words, fc.string({ maxLength: 5 })), { minLength: 1, maxLength: 5 }).map((ws) => ws.join(' ')),
    );
    fc.assert(
      fc.property(text, nows, fc.constantFrom(...zones), (t, now, zone) => {
        wellFormed(resolveRange({ kind: 'since', text: t }, { now, zone }), now);
      }),
      { numRuns: 1500 },
    );
  });
});
