// Parley on production Redis setups, each a real redis-server started here: a server that may evict keys is
// refused at start with the fix; a Sentinel group and a Cluster carry a whole Parley (a webhook delivered through
// BullMQ, the channel limits, the forum's request budget, the bot lease, an admin session), the Cluster with every
// key under the prefix's hash tag.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { fakePlatform, type FakePlatform } from '../../bench/fake-platform.js';
import { startApp } from '../../cli/app/index.js';
import { loadConfig } from '../../lib/config.js';
import { RedisUnavailableError } from '../../lib/errors.js';
import { checkEvictionPolicy } from '../../lib/redis.js';
import { startFakeForum, type FakeForum } from '../helpers/fake-forum.js';
import { postBody, startParley, type TestParley } from '../helpers/parley.js';
import { missingRedisBinaries, RedisProcesses, type RedisProcess } from '../helpers/redis-processes.js';

const skip = missingRedisBinaries() ?? false;
const ADMIN_PASSWORD = 'correct horse battery staple';

/** A logger whose lines the test reads. */
function recordingLogger() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { log: pino({ level: 'info' }, sink), text: () => lines.join('') };
}

/** Starts Parley (workers only) on the Redis these variables name, expecting it to refuse: returns why. */
async function refusedStart(redisEnv: Record<string, string>): Promise<Error> {
  const dir = mkdtempSync(path.join(tmpdir(), 'parley-test-'));
  try {
    const env = { DATABASE_URL: path.join(dir, 'parley.db'), PARLEY_DATA_DIR: dir, PARLEY_QUEUE_PREFIX: `test-${randomUUID()}`, ...redisEnv };
    const started = await startApp({ config: loadConfig(env, []), log: pino({ level: 'silent' }), roles: ['workers'] }).catch((err: unknown) => err as Error);
    if (!(started instanceof Error)) {
      await started.stop();
      assert.fail('Parley started');
    }
    return started;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A whole Parley on the Redis these variables name: a fake Telegram with a unique connection (the lease), the
 * forum's API (its request budget) and the admin login (its limiter and sessions).
 */
async function parleyOn(redisEnv: Record<string, string>): Promise<{ parley: TestParley; fake: FakePlatform; forum: FakeForum }> {
  const forum = await startFakeForum({ categories: [{ id: 4, slug: 'support', name: 'Support' }] });
  const fake = fakePlatform('telegram', { uniqueConnection: true });
  try {
    const parley = await startParley({
      platforms: [fake.factory],
      env: { PARLEY_DISCOURSE_URL: forum.url, PARLEY_DISCOURSE_API_KEY: forum.apiKey, PARLEY_ADMIN_PASSWORD: ADMIN_PASSWORD, ...redisEnv },
    });
    return { parley, fake, forum };
  } catch (err) {
    await forum.stop();
    throw err;
  }
}

/** What a user and an admin notice: a forum post reaches the channel, and the admin page logs in and reads. */
async function deliversAndServesTheAdmin({ parley, fake }: { parley: TestParley; fake: FakePlatform }): Promise<void> {
  assert.equal(fake.connected, true, 'the bots role took the lease and opened the connection');
  const { channel } = await parley.app.store.channels.ensure({ platform: 'telegram', externalId: '-100', name: 'support', status: 'active', addedBy: 'cli' });
  await parley.app.store.rules.add({ channelId: channel.id, source: 'discourse', filter: 'watch', scope: { type: 'category', path: 'support' }, createdBy: 'cli' });
  // The forum's category is asked of its API, within the request budget held in Redis.
  const { status } = await parley.sendWebhook('post_created', postBody({ id: 7001, topicId: 701, categoryId: 4, title: 'Through Redis' }));
  assert.equal(status, 202);
  await fake.waitFor(1, 20_000);
  assert.deepEqual(fake.sent.map((s) => [s.channel, s.notification.title]), [['-100', 'Through Redis']]);

  const http = parley.app.http!;
  const login = await http.inject({ method: 'POST', url: '/admin/login', payload: { password: ADMIN_PASSWORD } });
  assert.equal(login.statusCode, 200, login.body);
  const cookie = String(login.headers['set-cookie']).split(';', 1)[0]!;
  const overview = await http.inject({ method: 'GET', url: '/api/overview', headers: { cookie } });
  assert.equal(overview.statusCode, 200, overview.body);
}

describe('Redis that may evict keys is refused at start', { skip }, () => {
  const redis = new RedisProcesses();
  let lru: RedisProcess;
  before(async () => {
    lru = await redis.server(['--maxmemory-policy', 'allkeys-lru']);
  });
  after(() => redis.stop());

  test('allkeys-lru: Parley does not start, and says why and how to fix it; after the fix it starts', async () => {
    const env = { REDIS_URL: `redis://127.0.0.1:${lru.port}` };
    const err = await refusedStart(env);
    assert.ok(err instanceof RedisUnavailableError);
    assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${lru.port} has maxmemory-policy allkeys-lru`));
    assert.match(err.message, /`maxmemory-policy noeviction` in redis\.conf/);
    assert.match(err.message, new RegExp(`redis-cli -h 127\\.0\\.0\\.1 -p ${lru.port} CONFIG SET maxmemory-policy noeviction`));
    await lru.cli(['config', 'set', 'maxmemory-policy', 'noeviction']);
    const parley = await startParley({ env, roles: ['workers'] });
    await parley.stop();
    await lru.cli(['config', 'set', 'maxmemory-policy', 'allkeys-lru']);
  });

  test('CONFIG disabled (as on managed Redis): the policy is read from INFO, and refused all the same', async () => {
    const managed = await redis.server(['--maxmemory-policy', 'volatile-lru', '--rename-command', 'CONFIG', '']);
    const target = loadConfig({ REDIS_URL: `redis://127.0.0.1:${managed.port}` }, []).redis;
    await assert.rejects(checkEvictionPolicy(target, pino({ level: 'silent' })), /has maxmemory-policy volatile-lru/);
  });

  test('neither CONFIG nor INFO answers: a warning, and Parley goes on', async () => {
    const secretive = await redis.server(['--rename-command', 'CONFIG', '', '--rename-command', 'INFO', '']);
    const target = loadConfig({ REDIS_URL: `redis://127.0.0.1:${secretive.port}` }, []).redis;
    const { log, text } = recordingLogger();
    await checkEvictionPolicy(target, log);
    assert.match(text(), /could not read Redis's maxmemory-policy/);
    assert.match(text(), new RegExp(`127\\.0\\.0\\.1:${secretive.port}`));
  });

  test('noeviction: Parley starts', async () => {
    const fine = await redis.server(['--maxmemory-policy', 'noeviction']);
    const { log, text } = recordingLogger();
    await checkEvictionPolicy(loadConfig({ REDIS_URL: `redis://127.0.0.1:${fine.port}` }, []).redis, log);
    assert.equal(text(), '', 'nothing to warn about');
  });
});

describe('Redis Sentinel', { skip }, () => {
  const redis = new RedisProcesses();
  const name = 'parley-test';
  const passwords = { master: 'master-secret-1', sentinel: 'sentinel-secret-2' };
  let sentinel: RedisProcess;
  let master: RedisProcess;
  before(async () => {
    ({ master, sentinel } = await redis.sentinelGroup(name, passwords));
  });
  after(() => redis.stop());

  test('Parley finds the master through the sentinel and runs on it', async () => {
    // Parley is told the sentinel's address, never the master's: the master's password comes from REDIS_URL.
    const env = { REDIS_URL: `redis://:${passwords.master}@master`, REDIS_SENTINELS: `127.0.0.1:${sentinel.port}`, REDIS_SENTINEL_NAME: name, REDIS_SENTINEL_PASSWORD: passwords.sentinel };
    const on = await parleyOn(env);
    try {
      await deliversAndServesTheAdmin(on);
      const prefix = on.parley.env.PARLEY_QUEUE_PREFIX!;
      assert.notEqual(await master.cli(['--scan', '--pattern', `${prefix}:*`]), '', "Parley's keys are on the master");
    } finally {
      await on.parley.stop();
      await on.forum.stop();
    }
  });

  test('a master name the sentinels do not know is refused, naming the variables to check', async () => {
    const env = { REDIS_URL: `redis://:${passwords.master}@master`, REDIS_SENTINELS: `127.0.0.1:${sentinel.port}`, REDIS_SENTINEL_NAME: 'no-such-master', REDIS_SENTINEL_PASSWORD: passwords.sentinel };
    const err = await refusedStart(env);
    assert.match(err.message, /^REDIS_SENTINELS: no master named "no-such-master" could be reached through the sentinels at 127\.0\.0\.1:\d+ .*REDIS_SENTINEL_NAME/s);
  });
});

describe('Redis Cluster', { skip }, () => {
  const redis = new RedisProcesses();
  let nodes: RedisProcess[];
  before(async () => {
    nodes = await redis.cluster();
  });
  after(() => redis.stop());
  const clusterEnv = () => ({ REDIS_URL: '', REDIS_CLUSTER_NODES: `127.0.0.1:${nodes[0]!.port}` });

  test('Parley runs on a Cluster, every key it makes under the hash tag of its prefix (one slot)', async () => {
    const on = await parleyOn(clusterEnv());
    try {
      const prefix = on.parley.env.PARLEY_QUEUE_PREFIX!;
      assert.equal(on.parley.app.config.queuePrefix, `{${prefix}}`);
      await deliversAndServesTheAdmin(on);
      const keys = (await Promise.all(nodes.map((n) => n.cli(['--scan'])))).flatMap((out) => out.split('\n')).filter(Boolean);
      const ours = keys.filter((k) => k.includes(prefix));
      for (const kind of [':deliver-telegram:', ':ingest:', ':lease:telegram', ':admin:session:', ':forum-api:']) {
        assert.ok(ours.some((k) => k.includes(kind)), `a ${kind} key among ${JSON.stringify(ours)}`);
      }
      assert.deepEqual(ours.filter((k) => !k.startsWith(`{${prefix}}:`)), [], 'every key starts with the hash tag');
    } finally {
      await on.parley.stop();
      await on.forum.stop();
    }
  });

  test('each master is checked: one that may evict keys is named', async () => {
    const lru = nodes[1]!;
    await lru.cli(['config', 'set', 'maxmemory-policy', 'allkeys-lru']);
    try {
      assert.match((await refusedStart(clusterEnv())).message, new RegExp(`127\\.0\\.0\\.1:${lru.port} has maxmemory-policy allkeys-lru`));
    } finally {
      await lru.cli(['config', 'set', 'maxmemory-policy', 'noeviction']);
    }
  });

  test('no cluster at the nodes given: refused, naming REDIS_CLUSTER_NODES', async () => {
    const nobody = await redis.server(); // a plain server, not a cluster node
    assert.match((await refusedStart({ REDIS_CLUSTER_NODES: `127.0.0.1:${nobody.port}` })).message, /^REDIS_CLUSTER_NODES: no cluster answered at 127\.0\.0\.1:\d+/);
  });
});
