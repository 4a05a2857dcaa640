#!/usr/bin/env node
// Entry point for `npx parley …` and `npm start`. Runs the compiled CLI, dist/cli/main.js (built by `npm ci` through
// the `prepare` script, or by `npm run build`), when that build is of the sources as they are now; else the
// TypeScript sources through tsx, so that an edited file is never run stale. How "as they are now" is known, cheaply:
// bin/build-info.js (a stamp of the sources' paths, mtimes and sizes, about 20 ms). PARLEY_RUN_FROM=source or dist
// forces one; LOG_LEVEL=debug says which ran and why.
import process from 'node:process';
import { URL, fileURLToPath, pathToFileURL } from 'node:url';
import v8 from 'node:v8';
import { chooseEntry } from './build-info.js';

// `parley start` only: while Parley loads, V8 keeps its heap small. Loading allocates the modules' code, which stays
// for good: by V8's defaults that grows the young generation to its most (16 MB semi-spaces, 32 MB in all) and leaves
// the old one with pages of start-up garbage, which an idle process then keeps (about 30 MB of resident memory,
// measured with every platform configured: npm run bench startup). So the young generation stays at its first size
// (growth factor 1: 1 MB semi-spaces) and V8 optimizes for size; cli/app/settle.ts puts both back to V8's defaults once
// every role runs, so that a busy process grows its heap as V8 would (a 1 MB young generation under load costs 5-20%
// more CPU per event, measured with npm run bench pipeline). These flags are read each time V8 uses them, so setting them here works, where
// --max-semi-space-size cannot be set once V8 runs. Node flags or NODE_OPTIONS that size the young generation or set
// --optimize-for-size themselves win: then nothing is changed.
const HEAP_FLAGS = /--(?:max|min)[-_]semi[-_]space[-_]size|--semi[-_]space[-_]growth[-_]factor|--(?:no-)?optimize[-_]for[-_]size/u;
const nodeFlags = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' ');
if (process.argv[2] === 'start' && !HEAP_FLAGS.test(nodeFlags)) {
  v8.setFlagsFromString('--semi-space-growth-factor=1');
  v8.setFlagsFromString('--optimize-for-size');
  globalThis[Symbol.for('parley.smallHeapWhileLoading')] = true;
}
// `parley start` only, likewise: V8's compilers stay off while Parley loads, and its interpreter (Ignition) runs it.
// Loading runs each module's code about once, yet enough of it gets warm for Sparkplug and hot for TurboFan: their
// code, and the memory TurboFan's compiles take on V8's worker threads (malloc arenas those threads then keep), stay
// with an idle process for good: about 11 MB of resident memory, measured with every platform configured (npm run
// bench startup), and starting takes less CPU without them. cli/app/settle.ts turns both back on once every role
// runs, so that code that is hot under load is compiled as always (bench/pipeline.ts's pipeline run twice in a
// process started so: once warm, the same CPU per event). Read each time V8 decides to compile a function, so they
// can be set now. Node flags that choose the tiers themselves win.
const TIER_FLAGS = /--(?:no-)?(?:turbofan|sparkplug|opt)\b|--max[-_]opt\b|--jitless\b/u;
if (process.argv[2] === 'start' && !TIER_FLAGS.test(nodeFlags)) {
  v8.setFlagsFromString('--no-sparkplug');
  v8.setFlagsFromString('--no-turbofan');
  globalThis[Symbol.for('parley.interpreterWhileLoading')] = true;
}
// And once every role runs, one collection of what loading left behind (cli/app/settle.ts).
if (process.argv[2] === 'start') globalThis[Symbol.for('parley.collectAfterLoading')] = true;

let entry;
try {
  entry = chooseEntry(fileURLToPath(new URL('..', import.meta.url)), process.env);
} catch (err) {
  process.stderr.write(`parley: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
}
if (/^(debug|trace)$/i.test(process.env.LOG_LEVEL ?? '')) process.stderr.write(`parley: running ${entry.from === 'dist' ? 'dist/' : 'the sources'}: ${entry.why}\n`);
// tsx only when it is needed: it and its transpiling cost memory and start time the compiled code does not need.
if (entry.from === 'source') {
  const { register } = await import('tsx/esm/api');
  register();
}
await import(pathToFileURL(entry.file).href);
