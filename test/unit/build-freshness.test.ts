// bin/parley.js runs the compiled dist/ only while it is the build of the sources as they are now (bin/build-info.js):
// a developer's edit must never run stale, and an untouched build must not fall back to tsx for nothing. Each test
// builds a small tree in a temp folder (sources, a dist/ standing for tsc's output, the build's stamp) and changes it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chooseEntry, sourceStamp, whyStale, writeBuildInfo } from '../../bin/build-info.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
/** A moment well before the test, so that "touched now" always differs from it. */
const LONG_AGO = new Date('2024-01-01T00:00:00Z');

function write(root: string, file: string, text: string, at: Date = LONG_AGO): void {
  mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
  writeFileSync(path.join(root, file), text);
  utimesSync(path.join(root, file), at, at);
}

/** Sources, and a dist/ built from them (its stamp recorded as bin/build.js records it). */
function builtTree(t: TestContext): string {
  const root = mkdtempSync(path.join(tmpdir(), 'parley-build-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  write(root, 'tsconfig.json', '{}');
  write(root, 'tsconfig.build.json', '{ "extends": "./tsconfig.json" }');
  write(root, 'cli/main.ts', "process.stdout.write('source');\n");
  write(root, 'cli/admin/page/app.js', 'export {};\n');
  write(root, 'lib/config.ts', 'export const a = 1;\n');
  write(root, 'bots/irc/irc-framework.d.ts', 'export {};\n');
  write(root, 'jobs/deliver.ts', 'export const b = 2;\n');
  write(root, 'test/unit/x.test.ts', 'export {};\n');
  write(root, 'dist/cli/main.js', "process.stdout.write('dist');\n");
  writeBuildInfo(root, sourceStamp(root));
  return root;
}

describe('whether dist/ is current', () => {
  test('an untouched build is run', (t) => {
    const root = builtTree(t);
    assert.equal(whyStale(root), null);
    assert.deepEqual(chooseEntry(root, {}), { from: 'dist', file: path.join(root, 'dist/cli/main.js'), why: 'dist/ is current' });
  });

  test('a source edited since the build runs the sources', (t) => {
    const root = builtTree(t);
    write(root, 'lib/config.ts', 'export const a = 2;\n', new Date());
    const entry = chooseEntry(root, {});
    assert.equal(entry.from, 'source');
    assert.equal(entry.file, path.join(root, 'cli/main.ts'));
    assert.match(entry.why, /sources changed since dist\/ was built.*npm run build/);
  });

  test('an edit that keeps the old mtime but not the size is seen', (t) => {
    const root = builtTree(t);
    write(root, 'jobs/deliver.ts', 'export const b = 20;\n');
    assert.equal(chooseEntry(root, {}).from, 'source');
  });

  test('a file added, deleted or renamed with an old mtime is seen (mv, cp -p, a checkout)', (t) => {
    const added = builtTree(t);
    write(added, 'commands/new.ts', 'export {};\n');
    assert.equal(chooseEntry(added, {}).from, 'source', 'added');

    const deleted = builtTree(t);
    rmSync(path.join(deleted, 'jobs/deliver.ts'));
    assert.equal(chooseEntry(deleted, {}).from, 'source', 'deleted');

    const renamed = builtTree(t);
    renameSync(path.join(renamed, 'jobs/deliver.ts'), path.join(renamed, 'jobs/delivery.ts'));
    assert.equal(chooseEntry(renamed, {}).from, 'source', 'renamed');
  });

  test('a changed tsconfig runs the sources: it changes what tsc emits', (t) => {
    const root = builtTree(t);
    write(root, 'tsconfig.build.json', '{ "extends": "./tsconfig.json", "compilerOptions": {} }', new Date());
    assert.equal(chooseEntry(root, {}).from, 'source');
  });

  test('files the build does not compile leave it current: tests, and the admin page (served from the sources)', (t) => {
    const root = builtTree(t);
    write(root, 'test/unit/x.test.ts', 'export const changed = true;\n', new Date());
    write(root, 'cli/admin/page/app.js', 'export const changed = true;\n', new Date());
    assert.equal(chooseEntry(root, {}).from, 'dist');
  });

  test('a file edited while tsc ran leaves the build stale: the stamp is the one taken before compiling', (t) => {
    const root = builtTree(t);
    const taken = sourceStamp(root);
    write(root, 'lib/config.ts', 'export const a = 3;\n', new Date());
    writeBuildInfo(root, taken);
    assert.equal(chooseEntry(root, {}).from, 'source');
  });

  test('no build, or a build that did not finish (no .build-info), runs the sources', (t) => {
    const unfinished = builtTree(t);
    rmSync(path.join(unfinished, 'dist/.build-info'));
    assert.match(chooseEntry(unfinished, {}).why, /\.build-info is missing/);

    const never = builtTree(t);
    rmSync(path.join(never, 'dist'), { recursive: true });
    assert.match(chooseEntry(never, {}).why, /dist\/ is not built/);
  });
});

describe('PARLEY_RUN_FROM', () => {
  test('source runs the sources even when dist/ is current; dist runs dist/ even when stale', (t) => {
    const root = builtTree(t);
    assert.equal(chooseEntry(root, { PARLEY_RUN_FROM: 'source' }).from, 'source');
    write(root, 'lib/config.ts', 'export const a = 4;\n', new Date());
    assert.deepEqual(chooseEntry(root, { PARLEY_RUN_FROM: 'dist' }), { from: 'dist', file: path.join(root, 'dist/cli/main.js'), why: 'PARLEY_RUN_FROM=dist' });
  });

  test('dist without a build, or another word, is refused with what would be right', (t) => {
    const root = builtTree(t);
    assert.throws(() => chooseEntry(root, { PARLEY_RUN_FROM: 'compiled' }), /PARLEY_RUN_FROM must be source or dist.*not "compiled"/);
    rmSync(path.join(root, 'dist'), { recursive: true });
    assert.throws(() => chooseEntry(root, { PARLEY_RUN_FROM: 'dist' }), /dist\/ is not built: run npm run build/);
  });
});

describe('bin/parley.js', () => {
  /** The real entry script in a tree of its own, whose two CLIs only say which of them ran. */
  function runEntry(root: string, env: Record<string, string> = {}) {
    const run = spawnSync(process.execPath, [path.join(root, 'bin/parley.js')], { cwd: root, env: { PATH: process.env.PATH, ...env }, encoding: 'utf8', timeout: 60_000 });
    return { code: run.status, stdout: run.stdout, stderr: run.stderr };
  }

  test('runs dist/ while it is current, the sources (through tsx) once one is edited, and dist/ again after a build', (t) => {
    const root = builtTree(t);
    mkdirSync(path.join(root, 'bin'));
    for (const file of ['parley.js', 'build-info.js']) copyFileSync(path.join(REPO, 'bin', file), path.join(root, 'bin', file));
    symlinkSync(path.join(REPO, 'node_modules'), path.join(root, 'node_modules'));
    writeFileSync(path.join(root, 'package.json'), '{ "type": "module" }');

    assert.equal(runEntry(root).stdout, 'dist');
    write(root, 'cli/main.ts', "process.stdout.write('source');\n", new Date());
    assert.equal(runEntry(root).stdout, 'source');
    writeBuildInfo(root, sourceStamp(root));
    assert.equal(runEntry(root).stdout, 'dist');
    assert.equal(runEntry(root, { PARLEY_RUN_FROM: 'source' }).stdout, 'source');

    const refused = runEntry(root, { PARLEY_RUN_FROM: 'js' });
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /^parley: PARLEY_RUN_FROM must be source or dist/);
    assert.match(runEntry(root, { LOG_LEVEL: 'debug' }).stderr, /parley: running dist\/: dist\/ is current/);
  });
});
