// `parley start` with the web role opens its port before anything else loads (cli/app/listener.ts,
// docs/architecture.md#roles-and-processes): /healthz answers at once, /readyz says "not ready" until every role
// runs, webhooks get 503 with Retry-After until the web role's routes are there, and a stop closes the port.
// A platform whose adapter is created, then started, only when the test says so holds the start at each step.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fakePlatform } from '../../bench/fake-platform.js';
import { definePlatform } from '../../lib/seams/platform.js';
import { freePort } from '../helpers/free-port.js';
import { eventually, postBody, postWebhook, startParley } from '../helpers/parley.js';
import { sharedProcessEnv, spawnParley } from '../helpers/parley-process.js';
import { freshEnv, runParley } from '../helpers/cli.js';

function gate(): { opened: Promise<void>; open: () => void } {
  let open = () => {};
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** Mattermost, faked, whose adapter is made after `create` opens and connects after `start` opens. */
function heldPlatform() {
  const fake = fakePlatform('mattermost');
  const create = gate();
  const start = gate();
  const factory = definePlatform({
    profile: fake.factory.profile,
    variables: {},
    schema: {},
    howToConfigure: '',
    settings: () => ({}),
    create: async () => {
      await create.opened;
      return { ...fake.adapter, start: async () => (await start.opened, fake.adapter.start()) };
    },
  });
  return { factory, create, start };
}

async function get(url: string): Promise<{ status: number; body: Record<string, unknown>; retryAfter: string | null }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, retryAfter: res.headers.get('retry-after') };
}

describe('parley start: the port opens first', () => {
  test('/healthz answers while Parley starts, /readyz only once every role runs, and a stop closes the port', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const held = heldPlatform();
    const starting = startParley({ env: { PORT: String(port) }, platforms: [held.factory] });
    starting.catch(() => undefined); // awaited below; a failure must not go unhandled meanwhile

    // The adapter is not even made: the process lives, is not ready, and asks the forum to come back.
    const health = await eventually(() => get(`${base}/healthz`).catch(() => undefined), 'the port to answer');
    assert.deepEqual([health.status, health.body], [200, { ok: true, starting: true }]);
    const notReady = await get(`${base}/readyz`);
    assert.deepEqual([notReady.status, notReady.body.ok, notReady.body.starting], [503, false, true]);
    const early = await fetch(`${base}/hooks/discourse`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    assert.equal(early.status, 503);
    assert.equal(early.headers.get('retry-after'), '1');
    await early.arrayBuffer();

    // The adapter made, its connection not yet open: webhooks reach their route (a wrong signature is refused by it),
    // and /readyz still says starting.
    held.create.open();
    await eventually(async () => {
      const res = await fetch(`${base}/hooks/discourse`, { method: 'POST', body: JSON.stringify(postBody({ id: 1, topicId: 1, categoryId: 1 })), headers: { 'content-type': 'application/json', 'x-discourse-event': 'post_created', 'x-discourse-event-signature': 'sha256=00' } });
      await res.arrayBuffer();
      return res.status === 401 ? true : undefined;
    }, 'the webhook route to answer');
    assert.deepEqual((await get(`${base}/readyz`)).status, 503);

    held.start.open();
    const parley = await starting;
    try {
      const ready = await get(`${base}/readyz`);
      assert.equal(ready.status, 200, JSON.stringify(ready.body));
      assert.equal(ready.body.starting, undefined);
      assert.equal(parley.url, base);
    } finally {
      await parley.stop();
    }
    await assert.rejects(fetch(`${base}/healthz`), 'nothing listens after the stop');
  });

  // bin/parley.js keeps V8's heap small and its compilers off while Parley loads, and cli/app/settle.ts puts V8's
  // defaults back once every role runs: flags set while V8 runs, so this runs on every Node CI runs.
  test('parley start as an operator runs it: every role runs, a webhook is taken, and SIGTERM stops it cleanly', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'parley-start-'));
    const parley = spawnParley({ env: sharedProcessEnv({ databaseUrl: path.join(dir, 'parley.db'), dataDir: dir, prefix: `test-start-${randomUUID()}` }) });
    try {
      await parley.started;
      assert.equal((await fetch(`${parley.url}/healthz`)).status, 200);
      assert.equal((await fetch(`${parley.url}/readyz`)).status, 200);
      assert.equal(await postWebhook(parley.url, 'post_created', postBody({ id: 1, topicId: 1, categoryId: 4 }), { eventId: randomUUID() }), 202);
      await parley.kill('SIGTERM');
      assert.equal(parley.child.exitCode, 0, 'a clean stop');
      assert.deepEqual(parley.logs.filter((l) => Number(l.level) >= 50).map((l) => l.msg), [], 'no error logged');
    } finally {
      await parley.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a configuration that does not validate: the problem is named and the exit code is 2', async () => {
    const port = await freePort();
    const run = await runParley(['start'], freshEnv({ PORT: String(port), PARLEY_DELIVERY_ATTEMPTS: 'many' }), 60_000);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /^parley: cannot start: Invalid configuration:\n {2}- PARLEY_DELIVERY_ATTEMPTS: /);
  });
});
