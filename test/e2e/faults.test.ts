// Faults: a platform answering 429 and 500, a worker process killed with SIGKILL in the middle of a delivery,
// the forum API down. In each, the message arrives, once.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { startFakeForum, type FakeForum } from '../helpers/fake-forum.js';
import { eventually, postBody, startParley, type TestParley } from '../helpers/parley.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

const BIN = fileURLToPath(new URL('../../bin/parley.js', import.meta.url));

function titles(messages: Record<string, unknown>[]): string[] {
  return messages.map((m) => (m.attachments as { title: string }[])[0]!.title);
}

async function subscribe(parley: TestParley, externalId: string, hookUrl: string): Promise<number> {
  const { channel } = await parley.app.store.channels.ensure({ platform: 'mattermost', externalId, name: externalId, status: 'active', addedBy: 'cli' });
  await parley.app.store.channels.update(channel.id, { settings: { webhookUrl: hookUrl } });
  await parley.app.store.rules.add({ channelId: channel.id, source: 'discourse', filter: 'watch', scope: { type: 'category', path: 'support' }, createdBy: 'cli' });
  return channel.id;
}

const MATTERMOST_ENV = { PARLEY_MATTERMOST_URL: 'http://127.0.0.1:9', PARLEY_MATTERMOST_COMMAND_TOKEN: 'tok' };

describe('a platform that answers 429 and 500', () => {
  let forum: FakeForum;
  let hook: WebhookReceiver;
  let parley: TestParley;

  before(async () => {
    forum = await startFakeForum({ categories: [{ id: 4, slug: 'support', name: 'Support' }] });
    hook = await startWebhookReceiver();
    parley = await startParley({ env: { ...MATTERMOST_ENV, PARLEY_DISCOURSE_URL: forum.url, PARLEY_DISCOURSE_API_KEY: forum.apiKey } });
  });
  after(async () => {
    await parley?.stop();
    await hook?.stop();
    await forum?.stop();
  });

  test('429 with Retry-After: Parley waits at least that long, then delivers exactly once', async () => {
    const channelId = await subscribe(parley, 'ch-429', hook.url);
    hook.rateLimitNext(1, 2);
    await parley.sendWebhook('post_created', postBody({ id: 1, topicId: 10, categoryId: 4, title: 'After the limit' }));
    const [message] = await hook.waitForAccepted(1);
    assert.deepEqual(titles([message!]), ['After the limit']);
    const [limited, accepted] = hook.received;
    assert.equal(limited!.status, 429);
    assert.equal(accepted!.status, 200);
    // The platform has the message a moment before Parley has its answer and records it.
    const delivery = await eventually(async () => {
      const d = await parley.app.store.deliveries.getByJobId(`post-1-ch-${channelId}`);
      return d?.status === 'delivered' ? d : undefined;
    }, 'the delivery recorded as delivered');
    assert.equal(delivery.attempts, 1, 'a 429 does not spend an attempt');
    assert.equal(hook.received.length, 2, 'one refused, one delivered, nothing more');
  });

  test('429 for a post in one channel does not hold up another channel', async () => {
    const other = await startWebhookReceiver();
    try {
      await subscribe(parley, 'ch-slow', hook.url);
      await subscribe(parley, 'ch-fast', other.url);
      hook.rateLimitNext(1, 30); // the slow channel's platform asks for 30 s
      await parley.sendWebhook('post_created', postBody({ id: 2, topicId: 20, categoryId: 4, title: 'Fan out' }));
      const [fast] = await other.waitForAccepted(1, 15_000);
      assert.deepEqual(titles([fast!]), ['Fan out']);
      assert.ok(!titles(hook.accepted()).includes('Fan out'), 'the slow channel is still waiting for its Retry-After');
    } finally {
      await other.stop();
    }
  });
});

describe('a worker killed with SIGKILL mid-delivery', () => {
  let forum: FakeForum;
  let hook: WebhookReceiver;
  let web: TestParley;
  const workers: ChildProcess[] = [];

  before(async () => {
    forum = await startFakeForum({ categories: [{ id: 4, slug: 'support', name: 'Support' }] });
    hook = await startWebhookReceiver();
    // This process only answers webhooks; the workers run in child processes that the test can kill.
    web = await startParley({ roles: ['web'], env: { ...MATTERMOST_ENV, PARLEY_DISCOURSE_URL: forum.url, PARLEY_DISCOURSE_API_KEY: forum.apiKey, PARLEY_JOB_LOCK_SECONDS: '2' } });
  });
  after(async () => {
    for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
    await web?.stop();
    await hook?.stop();
    await forum?.stop();
  });

  function startWorker(): ChildProcess {
    const child = spawn(process.execPath, [BIN, 'start', '--role', 'workers'], { env: { ...process.env, ...web.env }, stdio: ['ignore', 'ignore', 'pipe'] });
    workers.push(child);
    return child;
  }

  test('the message still arrives after a new worker starts, and the delivery is recorded once', async () => {
    const channelId = await subscribe(web, 'ch-kill', hook.url);
    const held = hook.holdNext();
    const first = startWorker();
    await web.sendWebhook('post_created', postBody({ id: 3, topicId: 30, categoryId: 4, title: 'Survives a crash' }));
    await held; // the first worker is in the middle of sending it
    first.kill('SIGKILL');
    await once(first, 'exit');

    startWorker();
    const messages = await hook.waitForAccepted(1, 60_000);
    assert.deepEqual(titles(messages), ['Survives a crash']);
    const delivery = await eventually(async () => {
      const d = await web.app.store.deliveries.getByJobId(`post-3-ch-${channelId}`);
      return d?.status === 'delivered' ? d : undefined;
    }, 'the delivery to be recorded');
    assert.equal(delivery.status, 'delivered');
    assert.equal(hook.accepted().length, 1);
  });
});

describe('a worker stopped with SIGTERM mid-delivery', () => {
  test('finishes the delivery in flight, then exits 0; nothing is sent twice', async () => {
    const forum = await startFakeForum({ categories: [{ id: 4, slug: 'support', name: 'Support' }] });
    const hook = await startWebhookReceiver();
    const web = await startParley({ roles: ['web'], env: { ...MATTERMOST_ENV, PARLEY_DISCOURSE_URL: forum.url, PARLEY_DISCOURSE_API_KEY: forum.apiKey } });
    const worker = spawn(process.execPath, [BIN, 'start', '--role', 'workers'], { env: { ...process.env, ...web.env }, stdio: ['ignore', 'ignore', 'pipe'] });
    try {
      const channelId = await subscribe(web, 'ch-term', hook.url);
      const held = hook.holdNext();
      await web.sendWebhook('post_created', postBody({ id: 5, topicId: 50, categoryId: 4, title: 'Graceful' }));
      await held;
      const exited = once(worker, 'exit');
      worker.kill('SIGTERM');
      // The worker waits for its delivery in flight; the platform answers a moment later.
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(worker.exitCode, null, 'still finishing its delivery');
      hook.releaseHeld();
      const [code] = (await exited) as [number | null];
      assert.equal(code, 0);
      const delivery = await web.app.store.deliveries.getByJobId(`post-5-ch-${channelId}`);
      assert.equal(delivery?.status, 'delivered');
      assert.equal(hook.received.length, 1, 'sent once');
    } finally {
      if (worker.exitCode === null) worker.kill('SIGKILL');
      await web.stop();
      await hook.stop();
      await forum.stop();
    }
  });
});

describe('the forum API down', () => {
  test('a post whose category Parley cannot learn is kept for retry, not matched blind nor dropped', async () => {
    const forum = await startFakeForum({ categories: [{ id: 4, slug: 'support', name: 'Support' }] });
    const hook = await startWebhookReceiver();
    const parley = await startParley({ env: { ...MATTERMOST_ENV, PARLEY_DISCOURSE_URL: forum.url, PARLEY_DISCOURSE_API_KEY: forum.apiKey } });
    try {
      await subscribe(parley, 'ch-down', hook.url);
      forum.failNext(1000, 502);
      const sent = await parley.sendWebhook('post_created', postBody({ id: 4, topicId: 40, categoryId: 4, title: 'Patience' }));
      assert.equal(sent.status, 202, 'the webhook is still accepted: the queue keeps it');
      const job = await eventually(async () => {
        const j = await parley.app.queues.ingest.getJob(`discourse-event-${sent.eventId}`);
        return j && j.attemptsMade >= 1 ? j : undefined;
      }, 'a failed ingest attempt');
      assert.match(job.failedReason, /category 4/);
      assert.equal(await job.getState(), 'delayed', 'scheduled to be tried again with backoff');
      assert.ok((job.opts.attempts ?? 0) >= 10);
      assert.equal((await parley.app.store.deliveries.findBySubject(`discourse:post:${4}`)).length, 0);
      assert.equal(hook.received.length, 0);
    } finally {
      await parley.stop();
      await hook.stop();
      await forum.stop();
    }
  });
});

describe('Redis restarted', () => {
  test('a delivery waiting in the queue survives a Redis restart and arrives once', async () => {
    const { freePort } = await import('../helpers/free-port.js');
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const port = await freePort();
    const dir = mkdtempSync(path.join(tmpdir(), 'parley-redis-'));
    // A Redis of this test's own, keeping its data in an append-only file as a production Redis would.
    const startRedis = () => {
      const child = spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--appendonly', 'yes', '--save', ''], { stdio: 'ignore' });
      return child;
    };
    let redis = startRedis();
    const forum = await startFakeForum({ categories: [{ id: 4, slug: 'support', name: 'Support' }] });
    const hook = await startWebhookReceiver();
    let parley: TestParley | undefined;
    try {
      await eventually(async () => ((await import('../../lib/redis.js')).redisAnswers(`redis://127.0.0.1:${port}`).then((ok) => (ok ? true : undefined))), 'the test Redis');
      parley = await startParley({
        env: { ...MATTERMOST_ENV, REDIS_URL: `redis://127.0.0.1:${port}`, PARLEY_DISCOURSE_URL: forum.url, PARLEY_DISCOURSE_API_KEY: forum.apiKey, PARLEY_DELIVERY_DELAY_SECONDS: '5' },
      });
      await subscribe(parley, 'ch-redis', hook.url);
      const sent = await parley.sendWebhook('post_created', postBody({ id: 6, topicId: 60, categoryId: 4, title: 'Through a restart' }));
      assert.equal(sent.status, 202);
      // Restart Redis while the delivery waits out its delay.
      const exited = once(redis, 'exit');
      redis.kill('SIGTERM'); // redis-server writes its append-only file and exits
      await exited;
      redis = startRedis();
      const [message] = await hook.waitForAccepted(1, 60_000);
      assert.deepEqual(titles([message!]), ['Through a restart']);
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(hook.accepted().length, 1, 'once');
    } finally {
      await parley?.stop().catch(() => undefined);
      redis.kill('SIGKILL');
      await hook.stop();
      await forum.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
