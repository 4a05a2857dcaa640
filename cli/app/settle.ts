// What bin/parley.js changed for `parley start` while Parley loaded, undone or finished once every role runs
// (docs/architecture.md#roles-and-processes). Called by startApp; a no-op where bin/parley.js did not start the
// process (tests, embedders), since it is bin/parley.js that leaves the marks read here.
import { setFlagsFromString } from 'node:v8';
import type { Logger } from '../../lib/log.js';

/** Set by bin/parley.js: V8's heap kept small while Parley loads (see there why). */
const SMALL_HEAP = Symbol.for('parley.smallHeapWhileLoading');
/** Set by bin/parley.js: Sparkplug and TurboFan are off while Parley loads (see there why). */
const INTERPRETER = Symbol.for('parley.interpreterWhileLoading');
/** Set by bin/parley.js for `parley start`: collect the loading's garbage once every role runs. */
const COLLECT = Symbol.for('parley.collectAfterLoading');

/** Takes a mark bin/parley.js left: true once, when it was there. */
function took(mark: symbol): boolean {
  const marks = globalThis as Record<symbol, unknown>;
  if (marks[mark] !== true) return false;
  delete marks[mark];
  return true;
}

/**
 * One full, memory-reducing collection once every role runs: what loading and connecting left behind, which an
 * idle process otherwise keeps, since V8 collects the old generation only as it fills (about 2-2.5 MB of resident
 * memory, measured with every platform configured: npm run bench -- startup). Once, so it costs nothing afterwards
 * (about 0.2 s of CPU, a pause of the main thread as long, now). Asked through the inspector's
 * HeapProfiler.collectGarbage, which needs no V8 flag (--expose-gc); a Node built without the inspector skips it.
 */
async function collectLoadingGarbage(log: Logger): Promise<void> {
  let session: import('node:inspector').Session | undefined;
  try {
    const { Session } = await import('node:inspector');
    session = new Session();
    session.connect();
    const connected = session;
    await new Promise<void>((resolve, reject) => connected.post('HeapProfiler.collectGarbage', (err) => (err ? reject(err) : resolve())));
  } catch (err) {
    log.debug({ err }, 'no collection after loading');
  } finally {
    session?.disconnect();
  }
}

/**
 * Every role runs: V8's defaults back, so that the heap grows under load as V8 would have it (a young generation
 * growth factor of 2, not optimized for size) and hot code is compiled as always; then the collection.
 */
export function settleAfterLoading(log: Logger): void {
  if (took(SMALL_HEAP)) {
    setFlagsFromString('--semi-space-growth-factor=2');
    setFlagsFromString('--no-optimize-for-size');
  }
  if (took(INTERPRETER)) {
    setFlagsFromString('--sparkplug');
    setFlagsFromString('--turbofan');
  }
  if (took(COLLECT)) void collectLoadingGarbage(log);
}
