// Packages an idle `parley start` does not need are loaded at their first use (lib/lazy-module.ts): chrono-node at
// the first natural-language since:, pg for a PostgreSQL DATABASE_URL, gitbeaker at the first GitLab call. Each is
// megabytes of heap that every process would otherwise hold (npm run bench -- startup). A static import added back
// by mistake would not break anything else, so this checks it: in a fresh process, which packages loading the
// modules that use them pulls in, ES modules (through a load hook) and CommonJS ones (through the require cache)
// alike. And a package that cannot be loaded says which one, and what needed it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { importLazily, LazyModuleError, requireLazily } from '../../lib/lazy-module.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const LAZY = ['chrono-node', 'pg', '@gitbeaker/rest', '@gitbeaker/core', '@gitbeaker/requester-utils'];

/**
 * Runs `body` (an ES module's text, with `use(path)` importing a repo module) in a fresh process and returns the
 * packages among LAZY that were loaded by then.
 */
function packagesLoadedBy(body: string): string[] {
  const script = `
    import { createRequire, register } from 'node:module';
    import { MessageChannel } from 'node:worker_threads';
    import { pathToFileURL } from 'node:url';
    const { port1, port2 } = new MessageChannel();
    const urls = [];
    port1.on('message', (m) => urls.push(m));
    // Every module the ES loader loads, reported from the hooks' thread; 'flush' answers once all are reported.
    const hooks = 'let port; export function initialize(d) { port = d.port; port.on("message", () => port.postMessage("flushed")); }' +
      ' export async function load(url, context, next) { port.postMessage(url); return next(url, context); }';
    register('data:text/javascript,' + encodeURIComponent(hooks), { data: { port: port2 }, transferList: [port2] });
    const use = (file) => import(pathToFileURL(${JSON.stringify(REPO)} + file).href);
    ${body}
    await new Promise((resolve) => { port1.on('message', (m) => m === 'flushed' && resolve()); port1.postMessage('flush'); });
    port1.close();
    const files = [...urls.filter((u) => u.startsWith('file:')), ...Object.keys(createRequire(import.meta.url).cache)];
    const lazy = ${JSON.stringify(LAZY)};
    process.stdout.write(JSON.stringify(lazy.filter((p) => files.some((f) => f.includes('/node_modules/' + p + '/')))));
  `;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as string[];
}

describe('packages loaded at first use', () => {
  test('loading the store, the GitLab client and /topic time ranges loads none of them', () => {
    const loaded = packagesLoadedBy(`
      await use('lib/store/index.ts');
      const { GitLabClient } = await use('lib/gitlab/client.ts');
      new GitLabClient({ baseUrl: 'https://gitlab.example.org', token: 't' });
      const { resolveRange } = await use('commands/topic/time-range.ts');
      resolveRange({ kind: 'since', text: '2h' }, { now: new Date(), zone: 'Europe/Berlin' });
    `);
    assert.deepEqual(loaded, []);
  });

  test('the first use loads each, and it works', () => {
    const loaded = packagesLoadedBy(`
      const { openStore } = await use('lib/store/index.ts');
      // No server answers on port 9: pg is loaded, then the connection is refused.
      await openStore({ kind: 'postgres', url: 'postgres://parley@127.0.0.1:9/parley' }).then(() => { throw new Error('opened'); }, (err) => {
        if (err.name === 'LazyModuleError') throw err;
      });
      const { GitLabClient } = await use('lib/gitlab/client.ts');
      await new GitLabClient({ baseUrl: 'http://127.0.0.1:9', token: 't' }).me().catch(() => undefined);
      const { resolveRange } = await use('commands/topic/time-range.ts');
      const r = resolveRange({ kind: 'since', text: 'yesterday 3pm' }, { now: new Date('2024-06-12T10:00:00Z'), zone: 'Europe/Berlin' });
      if (r.kind !== 'between' || r.from.toISOString() !== '2024-06-11T13:00:00.000Z') throw new Error(JSON.stringify(r));
    `);
    assert.deepEqual(loaded, LAZY);
  });
});

describe('a package that cannot be loaded', () => {
  test('names the package and what needed it, with the loader’s error as its cause', async () => {
    const missing: string = 'no-such-package-parley';
    const err = await importLazily(missing, 'A PostgreSQL DATABASE_URL', () => import(missing)).then(
      () => assert.fail('loaded'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof LazyModuleError);
    assert.equal(err.packageName, 'no-such-package-parley');
    assert.match(err.message, /^A PostgreSQL DATABASE_URL needs the package no-such-package-parley, which could not be loaded \(.*no-such-package-parley.*\)\. Reinstall Parley's dependencies: npm ci\.$/su);
    assert.equal((err.cause as { code?: string }).code, 'ERR_MODULE_NOT_FOUND');
  });

  test('the same when required synchronously', () => {
    assert.throws(() => requireLazily('no-such-package-parley', 'Reading a natural-language time (since:)'), (err: unknown) => {
      assert.ok(err instanceof LazyModuleError);
      assert.match(err.message, /^Reading a natural-language time \(since:\) needs the package no-such-package-parley/u);
      assert.equal((err.cause as { code?: string }).code, 'MODULE_NOT_FOUND');
      return true;
    });
  });
});
