// Whether dist/ was compiled from the sources as they are now, which bin/parley.js asks at every start and
// bin/build.js records. Plain JavaScript: it runs before tsx is (or is not) registered.
//
// The stamp is a SHA-256 over every compiled source file's path, mtime and size (the .ts files of SOURCE_DIRS) and the
// two tsconfig files that shape the output. An edit changes a file's mtime; an added, deleted or renamed file changes
// the list, even with an old mtime (`mv`, `cp -p`, `git checkout` of another branch). The build takes the stamp
// BEFORE it compiles, so a file edited while tsc runs leaves the build stale, never wrongly fresh. Cost, measured on
// the 2-core development VM with 233 files: about 20 ms at a start (the first call in a fresh process), 2 ms once
// warm; tsx instead of the build costs over a second of start-up CPU. Hashing the contents would be exact but read
// every file at every start. Not covered: bytes changed with the size and mtime kept, which no editor or git does.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';

/** The folders the build compiles (tsconfig.build.json's include). */
export const SOURCE_DIRS = ['cli', 'bots', 'commands', 'jobs', 'lib'];
/** Files outside them whose change changes the compiled output. */
export const CONFIG_FILES = ['tsconfig.json', 'tsconfig.build.json'];
/** Where the build writes its stamp, relative to the repo's root. */
export const BUILD_INFO = path.join('dist', '.build-info');
/** The compiled CLI, relative to the repo's root. */
export const DIST_MAIN = path.join('dist', 'cli', 'main.js');
/** The CLI's sources, relative to the repo's root (run through tsx). */
export const SOURCE_MAIN = path.join('cli', 'main.ts');

/**
 * The stamp of the sources under `root` as they are now.
 * @param {string} root
 * @returns {{ stamp: string, files: number }}
 */
export function sourceStamp(root) {
  const files = [];
  for (const dir of SOURCE_DIRS) {
    if (!existsSync(path.join(root, dir))) continue;
    for (const entry of readdirSync(path.join(root, dir), { recursive: true, withFileTypes: true })) {
      if (entry.isFile() && entry.name.endsWith('.ts')) files.push(path.relative(root, path.join(entry.parentPath, entry.name)));
    }
  }
  for (const file of CONFIG_FILES) if (existsSync(path.join(root, file))) files.push(file);
  files.sort();
  const hash = createHash('sha256');
  for (const file of files) {
    const st = statSync(path.join(root, file));
    // "/" on every system, so that the stamp names the same tree the same way.
    hash.update(`${file.split(path.sep).join('/')}\t${st.mtimeMs}\t${st.size}\n`);
  }
  return { stamp: hash.digest('hex'), files: files.length };
}

/**
 * Records that dist/ holds the build of the sources whose stamp is `stamp` (taken before compiling).
 * @param {string} root
 * @param {{ stamp: string, files: number }} taken
 */
export function writeBuildInfo(root, taken) {
  const info = { stamp: taken.stamp, files: taken.files, builtAt: new Date().toISOString(), node: process.version };
  writeFileSync(path.join(root, BUILD_INFO), `${JSON.stringify(info, null, 2)}\n`);
}

/**
 * Why dist/ may not be run, or null when it is the build of the sources as they are now.
 * @param {string} root
 * @returns {string | null}
 */
export function whyStale(root) {
  if (!existsSync(path.join(root, DIST_MAIN))) return 'dist/ is not built';
  /** @type {{ stamp?: unknown }} */
  let info;
  try {
    info = JSON.parse(readFileSync(path.join(root, BUILD_INFO), 'utf8'));
  } catch {
    return 'dist/.build-info is missing or unreadable (an unfinished or failed build)';
  }
  return info.stamp === sourceStamp(root).stamp ? null : 'the sources changed since dist/ was built';
}

/**
 * What bin/parley.js runs: dist/cli/main.js when it is current (or PARLEY_RUN_FROM=dist), else cli/main.ts through
 * tsx (or PARLEY_RUN_FROM=source). Throws on a PARLEY_RUN_FROM it does not know, or dist forced but never built.
 * @param {string} root
 * @param {Record<string, string | undefined>} env
 * @returns {{ from: 'dist' | 'source', file: string, why: string }}
 */
export function chooseEntry(root, env) {
  const forced = (env.PARLEY_RUN_FROM ?? '').trim().toLowerCase();
  const dist = { from: /** @type {const} */ ('dist'), file: path.join(root, DIST_MAIN) };
  const source = { from: /** @type {const} */ ('source'), file: path.join(root, SOURCE_MAIN) };
  if (forced === 'source') return { ...source, why: 'PARLEY_RUN_FROM=source' };
  if (forced === 'dist') {
    if (!existsSync(dist.file)) throw new Error('PARLEY_RUN_FROM=dist, but dist/ is not built: run npm run build (or unset PARLEY_RUN_FROM).');
    return { ...dist, why: 'PARLEY_RUN_FROM=dist' };
  }
  if (forced !== '') throw new Error(`PARLEY_RUN_FROM must be source or dist (or unset: dist when it is current), not "${env.PARLEY_RUN_FROM}".`);
  const stale = whyStale(root);
  return stale === null ? { ...dist, why: 'dist/ is current' } : { ...source, why: `${stale} (npm run build)` };
}
