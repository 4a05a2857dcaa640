// Faults of processes and of the database (docs/architecture.md#faults), with Parley split as an operator runs it at
// scale: two web processes behind the test's own round-robin, a workers process and a bots process, on PostgreSQL
// and one Redis prefix. The test plays the forum: a steady stream of signed webhooks, and a webhook that was refused
// (a 5xx) or failed at the connection is sent again, as Discourse retries a webhook that failed.
//
// - One process of each role is killed with SIGKILL under that load and replaced: every event answered 2xx reaches
//   its chat exactly once. Deliveries go to Mattermost incoming webhooks (a receiver that records every message) and
//   to Telegram chats (the emulator, whose long poll is the bots process's unique connection).
// - PostgreSQL stopped under load and started again: while it is down the webhooks are answered 503 (so the forum
//   sends them again) and /readyz says not ready; afterwards every event answered 2xx is delivered exactly once.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Role } from '../../cli/app/index.js';
import { removeRunKeys } from '../../bench/redis-keys.js';
import type { PlatformName, Store } from '../../lib/seams/store.js';
import { openStore } from '../../lib/store/index.js';
import { eventually, postBody, postWebhook } from '../helpers/parley.js';
import { sharedProcessEnv, spawnParley, type ParleyProcess } from '../helpers/parley-process.js';
import { freshSchema, type TestSchema } from '../helpers/postgres.js';
import { missingPostgresServer, startPostgresServer, type PostgresServer } from '../helpers/postgres-server.js';
import { startTelegramServer, type TelegramEmulator } from '../helpers/telegram-server.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const TOKEN = '123456:faults-telegram-token';
/** Webhooks a second: within every channel's limits (Mattermost 1 a second per channel, Telegram 20 a minute per chat). */
const RATE = 6;
const MATTERMOST_CHANNELS = 6;
const TELEGRAM_CHATS = 12;
const telegramChat = (i: number): number => 8_000_000 + i;
const COMMAND_CHAT = { chatId: 7_999_999, userId: 7_999_999, type: 'private' as const, firstName: 'Dana', userName: 'dana' };

interface Target {
  platform: PlatformName;
  index: number;
}
/** Category k + 1 is watched by Mattermost channel k, category MATTERMOST_CHANNELS + k + 1 by Telegram chat k. */
const categoryOf = (t: Target): number => (t.platform === 'mattermost' ? t.index + 1 : MATTERMOST_CHANNELS + t.index + 1);

/** The post a Mattermost message (an attachment linking the topic) or a Telegram message announces; topic id = post id. */
const postOf = (text: string): number | null => {
  const m = /\/t\/a-topic\/(\d+)\/1/u.exec(text);
  return m ? Number(m[1]) : null;
};

/** POSTs a signed post_created webhook; 0 when the connection failed (refused, reset by a process killed mid-request). */
async function postAsForum(url: string, eventId: string, post: number, categoryId: number): Promise<number> {
  try {
    return await postWebhook(url, 'post_created', postBody({ id: post, topicId: post, categoryId }), { eventId, timeoutMs: 30_000 });
  } catch {
    return 0;
  }
}

/** One answer the forum got: when the request left and came back, and its status (0: no answer). */
interface Answer {
  post: number;
  status: number;
  sentAt: number;
  answeredAt: number;
}

/**
 * The forum: sends each event to the next web process in turn and, as Discourse retries a webhook that failed, sends
 * it again (to the next one) until it is answered 2xx. Keeps every answer.
 */
class Forum {
  readonly answers: Answer[] = [];
  /** Posts answered 2xx, by post: where each must be announced. */
  readonly accepted = new Map<number, Target>();
  private next = 0;
  private closed = false;
  private readonly inFlight = new Map<Promise<void>, PlatformName>();

  constructor(private readonly webs: () => readonly string[]) {}

  send(post: number, target: Target): void {
    const done = this.deliver(post, target).finally(() => this.inFlight.delete(done));
    this.inFlight.set(done, target.platform);
  }

  private async deliver(post: number, target: Target): Promise<void> {
    const eventId = `event-${post}`;
    for (let attempt = 0; attempt < 200 && !this.closed; attempt++) {
      const webs = this.webs();
      const url = webs[this.next++ % webs.length]!;
      const sentAt = Date.now();
      const status = await postAsForum(url, eventId, post, categoryOf(target));
      this.answers.push({ post, status, sentAt, answeredAt: Date.now() });
      if (status >= 200 && status < 300) {
        this.accepted.set(post, target);
        return;
      }
      await sleep(250);
    }
    if (!this.closed) throw new Error(`event ${eventId} was never accepted`);
  }

  /** Stops sending, retries included (a test that failed must not leave its load running). */
  close(): void {
    this.closed = true;
  }

  /** Sends `RATE` events a second, from `first`, until `stop()`; `target(i)` says where event i goes. */
  stream(first: number, target: (i: number) => Target): { stop(): Promise<number> } {
    let running = true;
    const started = performance.now();
    let i = 0;
    const loop = (async () => {
      while (running && !this.closed) {
        const wait = started + (i * 1000) / RATE - performance.now();
        if (wait > 0) await sleep(wait);
        if (!running) break;
        this.send(first + i, target(i));
        i++;
      }
    })();
    return {
      stop: async () => {
        running = false;
        await loop;
        await this.settled();
        return i;
      },
    };
  }

  /** Resolves once no event (of `platform`, if given) is being sent or waiting to be sent again. */
  async settled(platform?: PlatformName): Promise<void> {
    const pending = () => [...this.inFlight].filter(([, p]) => platform === undefined || p === platform).map(([done]) => done);
    for (let left = pending(); left.length > 0; left = pending()) await Promise.all(left);
  }

  retried(): number {
    return this.answers.filter((a) => a.status < 200 || a.status >= 300).length;
  }
}

/** Every announcement the chats received, by post (Mattermost through the receiver's 200s, Telegram chats' messages). */
async function announcements(hook: WebhookReceiver, telegram: TelegramEmulator | null): Promise<Map<number, string[]>> {
  const seen = new Map<number, string[]>();
  const add = (post: number | null, where: string): void => {
    if (post !== null) seen.set(post, [...(seen.get(post) ?? []), where]);
  };
  for (const body of hook.accepted()) add(postOf(JSON.stringify(body.attachments ?? '')), 'mattermost');
  for (let i = 0; telegram && i < TELEGRAM_CHATS; i++) for (const m of await telegram.botMessages(TOKEN, telegramChat(i))) add(postOf(String(m.params.text)), `telegram:${i}`);
  return seen;
}

/** Each post answered 2xx announced exactly once, where its category is watched; nothing else announced. */
function assertExactlyOnce(accepted: ReadonlyMap<number, Target>, seen: ReadonlyMap<number, string[]>): void {
  const where = (t: Target): string => (t.platform === 'mattermost' ? 'mattermost' : `telegram:${t.index}`);
  const missing = [...accepted].filter(([post]) => !seen.has(post)).map(([post]) => post);
  const twice = [...seen].filter(([, at]) => at.length > 1).map(([post, at]) => `${post}: ${at.join(', ')}`);
  const misplaced = [...seen].filter(([post, at]) => accepted.has(post) && at[0] !== where(accepted.get(post)!)).map(([post]) => post);
  const unexpected = [...seen.keys()].filter((post) => !accepted.has(post));
  assert.deepEqual({ missing, twice, misplaced, unexpected }, { missing: [], twice: [], misplaced: [], unexpected: [] }, 'every accepted event announced exactly once');
}

/**
 * Holds every request the receiver gets from now on: none is answered, so none is a message the platform took (as if
 * they never reached it). A process killed while its requests are held has sent nothing it has not recorded.
 */
function holdEverything(hook: WebhookReceiver): { held(): number; release(): Promise<void> } {
  let holding = true;
  let held = 0;
  let armed: Promise<void> = Promise.resolve();
  const arm = (): void => {
    armed = hook.holdNext().then(() => {
      held++;
      if (holding) arm();
    });
  };
  arm();
  return {
    held: () => held,
    // The receiver holds the next request it gets: send it one of the test's own (no announcement), and wait for it.
    async release() {
      holding = false;
      void fetch(hook.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"release the hold"}' }).catch(() => undefined);
      await armed;
    },
  };
}


/** Categories, channels and rules, in place before Parley starts. */
async function seed(store: Store, hookUrl: string, platforms: readonly PlatformName[]): Promise<void> {
  await store.categories.replaceAll(
    Array.from({ length: MATTERMOST_CHANNELS + TELEGRAM_CHATS }, (_, i) => ({ id: i + 1, slug: `cat-${i + 1}`, name: `Category ${i + 1}`, parentId: null, color: null, restricted: false })),
  );
  const subscribe = async (target: Target, externalId: string): Promise<void> => {
    const { channel } = await store.channels.ensure({ platform: target.platform, externalId, name: externalId, status: 'active', addedBy: 'cli' });
    if (target.platform === 'mattermost') await store.channels.update(channel.id, { settings: { webhookUrl: hookUrl } });
    await store.rules.add({ channelId: channel.id, source: 'discourse', filter: 'watch', scope: { type: 'category', path: `cat-${categoryOf(target)}` }, createdBy: 'cli' });
  };
  for (let i = 0; i < MATTERMOST_CHANNELS; i++) await subscribe({ platform: 'mattermost', index: i }, `town-square-${i}`);
  if (platforms.includes('telegram')) for (let i = 0; i < TELEGRAM_CHATS; i++) await subscribe({ platform: 'telegram', index: i }, String(telegramChat(i)));
}

const logTail = (p: ParleyProcess): string =>
  p.logs
    .slice(-30)
    .map((l) => JSON.stringify(l))
    .join('\n');

describe('a web, a workers and a bots process killed with SIGKILL under load', () => {
  let schema: TestSchema;
  let store: Store;
  let hook: WebhookReceiver;
  let telegram: TelegramEmulator;
  const prefix = `test-faults-${randomUUID()}`;
  const dir = mkdtempSync(path.join(tmpdir(), 'parley-faults-'));
  const processes: ParleyProcess[] = [];
  let webs: ParleyProcess[] = [];

  const start = (roles: readonly Role[], name: string): ParleyProcess => {
    const p = spawnParley({
      roles,
      name,
      env: {
        ...sharedProcessEnv({ databaseUrl: schema.url, dataDir: dir, prefix }),
        // A killed worker's jobs run again this soon (not sooner: a busy machine must not make a live worker's jobs
        // look stalled); a killed bots process's connection is taken over this soon.
        PARLEY_JOB_LOCK_SECONDS: '4',
        PARLEY_BOT_LEASE_SECONDS: '3',
        PARLEY_MATTERMOST_URL: 'http://127.0.0.1:9',
        PARLEY_MATTERMOST_COMMAND_TOKEN: 'tok',
        PARLEY_TELEGRAM_TOKEN: TOKEN,
        PARLEY_TELEGRAM_API_ROOT: telegram.apiRoot,
        // Each delivery's lines, for the message of a failure.
        LOG_LEVEL: 'debug',
      },
    });
    processes.push(p);
    return p;
  };

  before(async () => {
    schema = await freshSchema();
    // Migrated here, once, with the channels and rules in place before any process starts.
    store = await openStore({ kind: 'postgres', url: schema.url });
    hook = await startWebhookReceiver();
    telegram = await startTelegramServer();
    // The emulator forgets messages older than a minute (its storeTimeout); this test counts every one, longer.
    telegram.server.config.storeTimeout = 30 * 60_000;
    await seed(store, hook.url, ['mattermost', 'telegram']);
  });

  after(async () => {
    await Promise.all(processes.map((p) => p.kill('SIGKILL')));
    await hook?.stop();
    await telegram?.stop();
    await store?.close();
    await schema?.drop();
    // The test's keys on the shared Redis: queues, limiters, leases.
    await removeRunKeys(prefix, REDIS_URL);
    rmSync(dir, { recursive: true, force: true });
  });

  test('every event the forum got a 2xx for is announced exactly once, and the Telegram poll comes back', async (t) => {
    webs = [start(['web'], 'web-1'), start(['web'], 'web-2')];
    const workers = start(['workers'], 'workers-1');
    const bots = start(['bots'], 'bots-1');
    await Promise.all(processes.map((p) => p.started));

    const forum = new Forum(() => webs.map((w) => w.url));
    t.after(() => forum.close());
    // Half the events to Mattermost channels, half to Telegram chats; none to Telegram while `mattermostOnly`.
    let mattermostOnly = false;
    let round = 0;
    const target = (i: number): Target => {
      if (mattermostOnly || i % 2 === 0) return { platform: 'mattermost', index: round++ % MATTERMOST_CHANNELS };
      return { platform: 'telegram', index: Math.floor(i / 2) % TELEGRAM_CHATS };
    };
    const load = forum.stream(1, target);
    const delivered = async (platform: PlatformName): Promise<number> => (await store.deliveries.search({ platform, status: 'delivered' }, { limit: 1, offset: 0 })).total;
    await sleep(2000);

    // The bots process: deliveries go on (the workers send them), and a command sent while no process polls Telegram
    // is answered once a new bots process has taken the poll over. Each replacement starts at once; they come up side
    // by side, below.
    await bots.kill('SIGKILL');
    const botsKilledAt = Date.now();
    const client = telegram.server.getClient(TOKEN, COMMAND_CHAT);
    await client.sendCommand(client.makeCommand('/discourse status'));
    const telegramBefore = await delivered('telegram');
    await eventually(async () => ((await delivered('telegram')) > telegramBefore ? true : undefined), 'a Telegram delivery while no bots process runs');
    const bots2 = start(['bots'], 'bots-2');

    // A web process: webhooks in flight fail at the connection, and the forum sends them again to the other one.
    await webs[0]!.kill('SIGKILL');
    const web3 = start(['web'], 'web-3');
    void web3.started.then(() => (webs = [web3, webs[1]!]));
    await sleep(2000);

    // The workers process, in the middle of sending: its requests to Mattermost are held, never answered, so that
    // what it sent is exactly what it recorded (a kill between the platform's answer and Parley's record of it would
    // send that one message again: deliveries are at least once, jobs/deliver.ts). Telegram's chats are quiet then.
    mattermostOnly = true;
    await forum.settled('telegram');
    await eventually(async () => ((await store.deliveries.search({ platform: 'telegram', status: 'queued' }, { limit: 1, offset: 0 })).total === 0 ? true : undefined), 'Telegram deliveries done');
    const hold = holdEverything(hook);
    await eventually(() => (hold.held() > 0 ? true : undefined), 'a Mattermost request held');
    await eventually(async () => ((await delivered('mattermost')) === hook.accepted().length ? true : undefined), 'every message taken recorded');
    await workers.kill('SIGKILL');
    const heldWhenKilled = hold.held();
    await hold.release();
    const workers2 = start(['workers'], 'workers-2');
    mattermostOnly = false;

    await Promise.all([bots2.started, web3.started, workers2.started]);
    await telegram.waitForBotMessages(TOKEN, COMMAND_CHAT.chatId, 1, 30_000);
    const commandAnsweredMs = Date.now() - botsKilledAt;
    // The load goes on a little with every role replaced.
    await sleep(2000);

    const events = await load.stop();
    assert.equal(forum.accepted.size, events, 'every event accepted in the end');
    await eventually(async () => ((await delivered('mattermost')) + (await delivered('telegram')) >= events ? true : undefined), `${events} deliveries`, 90_000).catch(async (err: Error) => {
      const { deliveries, total } = await store.deliveries.search({}, { limit: events * 2, offset: 0 });
      const rows = new Set(deliveries.map((d) => d.eventKey));
      const notQueued = [...forum.accepted.keys()].filter((post) => !rows.has(`post-${post}`));
      const waiting = deliveries.filter((d) => d.status !== 'delivered').map((d) => `${d.jobId}: ${d.status} ${d.lastError ?? ''}`);
      assert.fail(`${err.message}: ${total} rows; accepted, no row: ${notQueued.join(', ')}; not delivered: ${waiting.join('; ')}\n${processes.map((p) => `${p.name}:\n${logTail(p)}`).join('\n')}`);
    });
    await sleep(1000);
    try {
      assertExactlyOnce(forum.accepted, await announcements(hook, telegram));
    } catch (err) {
      // What the processes said about the posts in question.
      const posts = [...(err as Error).message.matchAll(/\b(\d+)(?=[:,\n])/gu)].map((m) => m[1]);
      const said = processes.flatMap((p) => p.logs.filter((l) => posts.some((post) => JSON.stringify(l).includes(`-${post}"`) || JSON.stringify(l).includes(`post-${post}-`))).map((l) => `${p.name}: ${JSON.stringify(l)}`));
      throw new Error(`${(err as Error).message}\n${said.slice(0, 40).join('\n')}`);
    }
    assert.equal((await telegram.botMessages(TOKEN, COMMAND_CHAT.chatId)).length, 1, 'the command answered once');
    const { deliveries } = await store.deliveries.search({}, { limit: events * 2, offset: 0 });
    assert.deepEqual(deliveries.filter((d) => d.status !== 'delivered').map((d) => `${d.jobId}: ${d.status} ${d.lastError ?? ''}`), []);
    console.log(JSON.stringify({ events, resent: forum.retried(), heldWhenKilled, commandAnsweredMs }));
  });
});

describe('PostgreSQL restarted under load', { skip: missingPostgresServer() ?? false }, () => {
  let pg: PostgresServer;
  let store: Store;
  let hook: WebhookReceiver;
  let parley: ParleyProcess;
  let stderr = '';
  const prefix = `test-faults-pg-${randomUUID()}`;
  const dir = mkdtempSync(path.join(tmpdir(), 'parley-faults-pg-'));

  before(async () => {
    pg = await startPostgresServer();
    store = await openStore({ kind: 'postgres', url: pg.url });
    hook = await startWebhookReceiver();
    await seed(store, hook.url, ['mattermost']);
    parley = spawnParley({
      name: 'parley',
      env: {
        ...sharedProcessEnv({ databaseUrl: pg.url, dataDir: dir, prefix }),
        PARLEY_MATTERMOST_URL: 'http://127.0.0.1:9',
        PARLEY_MATTERMOST_COMMAND_TOKEN: 'tok',
      },
    });
    parley.child.stderr?.on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));
    await parley.started;
  });

  after(async () => {
    await parley?.kill('SIGKILL');
    await hook?.stop();
    await store?.close().catch(() => undefined);
    await pg?.destroy();
    // The test's keys on the shared Redis: queues, limiters, leases.
    await removeRunKeys(prefix, REDIS_URL);
    rmSync(dir, { recursive: true, force: true });
  });

  /** /readyz's answer (status 0: none). */
  const ready = async (): Promise<{ status: number; database: boolean }> => {
    try {
      const res = await fetch(`${parley.url}/readyz`, { signal: AbortSignal.timeout(10_000) });
      const body = (await res.json()) as { checks?: { database?: { ok: boolean } } };
      return { status: res.status, database: body.checks?.database?.ok ?? false };
    } catch {
      return { status: 0, database: false };
    }
  };

  test('while it is down webhooks are answered 503 and /readyz says not ready; after it returns every accepted event is announced once', async (t) => {
    assert.deepEqual(await ready(), { status: 200, database: true });
    const forum = new Forum(() => [parley.url]);
    t.after(() => forum.close());
    const load = forum.stream(1, (i) => ({ platform: 'mattermost', index: i % MATTERMOST_CHANNELS }));
    await sleep(2000);

    await pg.stop('fast');
    const downFrom = Date.now();
    await eventually(async () => {
      const r = await ready();
      return r.status === 503 && !r.database ? true : undefined;
    }, '/readyz to say the database is down').catch((err: Error) => assert.fail(`${err.message}; parley ${parley.alive ? 'alive' : 'exited'}\n${logTail(parley)}\n${stderr}`));
    await sleep(4000);
    const downUntil = Date.now();
    await pg.start();
    await eventually(async () => ((await ready()).status === 200 ? true : undefined), '/readyz ready again', 30_000);
    await sleep(2000);
    const events = await load.stop();

    // Sent and answered while the server was down: each one 503, so that the forum sends it again.
    const whileDown = forum.answers.filter((a) => a.sentAt >= downFrom && a.answeredAt <= downUntil);
    assert.ok(whileDown.length >= 10, `webhooks answered while down: ${whileDown.length}`);
    assert.deepEqual([...new Set(whileDown.map((a) => a.status))], [503], 'answered 503 while the database is down');
    assert.deepEqual(forum.answers.filter((a) => a.status >= 500 && a.status !== 503), [], 'never a 500');
    assert.equal(forum.accepted.size, events, 'every event accepted in the end');

    await eventually(async () => ((await store.deliveries.search({ status: 'delivered' }, { limit: 1, offset: 0 })).total >= events ? true : undefined), `${events} deliveries`, 60_000).catch(
      (err: Error) => assert.fail(`${err.message}\n${logTail(parley)}`),
    );
    await sleep(1000);
    assertExactlyOnce(forum.accepted, await announcements(hook, null));
    const lines = parley.logs.filter((l) => /database cannot be reached/u.test(String(l.msg)));
    assert.ok(lines.length > 0, 'the refusals are logged, saying why');
    console.log(JSON.stringify({ events, answeredWhileDown: whileDown.length, resent: forum.retried() }));
  });
});
