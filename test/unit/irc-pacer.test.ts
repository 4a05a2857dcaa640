// The IRC line pacer (bots/irc/pacer.ts): a burst at once, then one line per interval, in the order given, and
// one failed or aborted line never holding up the ones after it. Its clock is injected: with a clock that only
// the test moves, whether a line may go is decided by the test, not by how fast the machine is. The pacer
// still sleeps with real timers, so intervals here are small (20 ms) and only lower bounds are asserted.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LinePacer } from '../../bots/irc/pacer.js';

/** A clock the test moves by hand. */
function manualClock(start = 1_000_000): { now: () => number; advance(ms: number): void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

/** Polls until `check` holds (the pacer wakes on a real timer), failing after `timeoutMs`. */
async function until(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Lets pending promise callbacks (the pacer's queue) run. */
const settle = () => new Promise((r) => setImmediate(r));

const INTERVAL = 20;

describe('LinePacer', () => {
  test('the burst goes at once; the next line waits for the clock', async () => {
    const clock = manualClock();
    const pacer = new LinePacer(3, INTERVAL, clock.now);
    const written: string[] = [];
    const sends = ['a', 'b', 'c', 'd', 'e'].map((line) => pacer.send(() => written.push(line)));
    await Promise.all(sends.slice(0, 3));
    assert.deepEqual(written, ['a', 'b', 'c']);
    // However long real time passes, the pacer's clock has not moved: d must not go.
    await new Promise((r) => setTimeout(r, INTERVAL * 3));
    assert.deepEqual(written, ['a', 'b', 'c']);
    assert.equal(pacer.delayMs, INTERVAL);

    clock.advance(INTERVAL / 2);
    assert.equal(pacer.delayMs, INTERVAL / 2);
    await new Promise((r) => setTimeout(r, INTERVAL * 2));
    assert.deepEqual(written, ['a', 'b', 'c'], 'half an interval is not enough');

    clock.advance(INTERVAL / 2);
    await sends[3];
    assert.deepEqual(written, ['a', 'b', 'c', 'd']);
    await new Promise((r) => setTimeout(r, INTERVAL * 2));
    assert.deepEqual(written, ['a', 'b', 'c', 'd'], 'one interval, one line');

    clock.advance(INTERVAL);
    await sends[4];
    assert.deepEqual(written, ['a', 'b', 'c', 'd', 'e']);
  });

  test('idle time refills the burst, but never beyond it', async () => {
    const clock = manualClock();
    const pacer = new LinePacer(2, INTERVAL, clock.now);
    const written: number[] = [];
    await Promise.all([1, 2].map((n) => pacer.send(() => written.push(n))));
    clock.advance(INTERVAL * 100);
    const later = [3, 4, 5].map((n) => pacer.send(() => written.push(n)));
    await Promise.all(later.slice(0, 2));
    await settle();
    assert.deepEqual(written, [1, 2, 3, 4], 'a long pause gives back the burst of 2, not 100 lines');
    clock.advance(INTERVAL);
    await later[2];
    assert.deepEqual(written, [1, 2, 3, 4, 5]);
  });

  test('with the real clock: lines keep their order and none leaves before its turn', async () => {
    const burst = 2;
    const count = 6;
    const now = () => Date.now();
    const start = now();
    const pacer = new LinePacer(burst, INTERVAL, now);
    const at: { line: number; t: number }[] = [];
    await Promise.all(Array.from({ length: count }, (_, line) => pacer.send(() => at.push({ line, t: now() - start }))));
    assert.deepEqual(at.map((a) => a.line), [0, 1, 2, 3, 4, 5]);
    // Line i (from 0) past the burst may go once (i - burst + 1) intervals have passed: a lower bound only.
    for (const { line, t } of at.slice(burst)) assert.ok(t >= (line - burst + 1) * INTERVAL, `line ${line} went after ${t} ms: ${JSON.stringify(at)}`);
  });

  test('an aborted wait rejects that line and does not block the ones after it', async () => {
    const clock = manualClock();
    const pacer = new LinePacer(1, INTERVAL, clock.now);
    const written: string[] = [];
    await pacer.send(() => written.push('first'));
    const controller = new AbortController();
    const aborted = pacer.send(() => written.push('aborted'), controller.signal);
    const after = pacer.send(() => written.push('after'));
    await settle();
    controller.abort();
    await assert.rejects(aborted, { name: 'AbortError' });
    // The aborted line took no turn: the next one still waits for its interval, then goes.
    await new Promise((r) => setTimeout(r, INTERVAL * 2));
    assert.deepEqual(written, ['first']);
    clock.advance(INTERVAL);
    await after;
    assert.deepEqual(written, ['first', 'after']);
  });

  test('a line whose write throws rejects alone; the next line is still written', async () => {
    const pacer = new LinePacer(4, INTERVAL, manualClock().now);
    const written: string[] = [];
    const failing = pacer.send(() => {
      throw new Error('not connected');
    });
    const next = pacer.send(() => written.push('next'));
    await assert.rejects(failing, /not connected/);
    await next;
    assert.deepEqual(written, ['next']);
  });

  test('lines from many callers leave in the order of their send() calls', async () => {
    const clock = manualClock();
    const pacer = new LinePacer(1, INTERVAL, clock.now);
    const written: number[] = [];
    const sends = Array.from({ length: 5 }, (_, n) => pacer.send(() => written.push(n)));
    // Move the clock an interval at a time and wait for each line: they may only go one by one, in order.
    for (let n = 1; n < 5; n++) {
      await until(() => written.length === n, `line ${n - 1}`);
      await settle();
      assert.equal(written.length, n, 'no line ahead of its interval');
      clock.advance(INTERVAL);
    }
    await Promise.all(sends);
    assert.deepEqual(written, [0, 1, 2, 3, 4]);
  });
});
