#!/usr/bin/env node
// Entry point for `npx parley …` and `npm start`. Runs the compiled CLI, dist/cli/main.js (built by `npm ci` through
// the `prepare` script, or by `npm run build`), when that build is of the sources as they are now; else the
// TypeScript sources through tsx, so that an edited file is never run stale. How "as they are now" is known, cheaply:
// bin/build-info.js (a stamp of the sources' paths, mtimes and sizes, about 20 ms). PARLEY_RUN_FROM=source or dist
// forces one; LOG_LEVEL=debug says which ran and why.
import process from 'node:process';
import { URL, fileURLToPath, pathToFileURL } from 'node:url';
import { chooseEntry } from './build-info.js';

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
