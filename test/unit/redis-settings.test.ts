// Choosing Parley's Redis: a plain server (REDIS_URL), a Sentinel group or a Cluster; each mistake names its
// variable; and what ioredis is asked for, REDIS_URL's password and TLS included.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from '../../lib/config.js';
import { ConfigError } from '../../lib/errors.js';
import { connectionPlan } from '../../lib/redis.js';

function problems(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env, []);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  assert.fail('expected a ConfigError');
}

describe('Redis settings', () => {
  test('REDIS_URL alone: a plain server, and the prefix as given', () => {
    const c = loadConfig({ REDIS_URL: 'redis://cache:6380', PARLEY_QUEUE_PREFIX: 'forum' }, []);
    assert.deepEqual(c.redis, { kind: 'standalone', url: 'redis://cache:6380' });
    assert.equal(c.queuePrefix, 'forum');
  });

  test('Sentinel: the sentinels, the master group, their own password; REDIS_URL gives the servers\' password', () => {
    const c = loadConfig(
      { REDIS_SENTINELS: 's1:26379, [::1]:26380', REDIS_SENTINEL_NAME: 'parley-main', REDIS_SENTINEL_PASSWORD: 'sentinel-secret', REDIS_URL: 'redis://:server-secret@redis/2' },
      [],
    );
    assert.deepEqual(c.redis, {
      kind: 'sentinel',
      sentinels: [{ host: 's1', port: 26379 }, { host: '::1', port: 26380 }],
      name: 'parley-main',
      sentinelPassword: 'sentinel-secret',
      url: 'redis://:server-secret@redis/2',
    });
    assert.equal(c.queuePrefix, 'parley', 'one server holds every key: no hash tag needed');
  });

  test('Cluster: the nodes, and every key Parley makes hash-tagged with the prefix', () => {
    const c = loadConfig({ REDIS_CLUSTER_NODES: 'r1:7000,r2:7001', PARLEY_QUEUE_PREFIX: 'forum' }, []);
    assert.deepEqual(c.redis, { kind: 'cluster', nodes: [{ host: 'r1', port: 7000 }, { host: 'r2', port: 7001 }], url: null });
    assert.equal(c.queuePrefix, '{forum}');
    assert.equal(loadConfig({ REDIS_CLUSTER_NODES: 'r1:7000' }, []).queuePrefix, '{parley}');
  });

  test('each mistake names its variable and what would be right', () => {
    assert.deepEqual(problems({ REDIS_SENTINELS: 's1:26379' }), [
      'REDIS_SENTINEL_NAME: required with REDIS_SENTINELS: the master group name the sentinels watch (NAME in their `sentinel monitor NAME host port quorum` line)',
    ]);
    assert.deepEqual(problems({ REDIS_SENTINELS: 's1:26379', REDIS_SENTINEL_NAME: 'm', REDIS_CLUSTER_NODES: 'r1:7000' }), [
      'REDIS_CLUSTER_NODES: set either REDIS_SENTINELS (a Sentinel group) or REDIS_CLUSTER_NODES (a Cluster), not both',
    ]);
    assert.deepEqual(problems({ REDIS_SENTINEL_NAME: 'm' }), ["REDIS_SENTINEL_NAME: only used with REDIS_SENTINELS (the sentinels' HOST:PORT list), which is not set"]);
    assert.deepEqual(problems({ REDIS_CLUSTER_NODES: 'r1:7000,r2,r3:99999,redis://r4:7000' }), [
      'REDIS_CLUSTER_NODES: "r2" is not HOST:PORT (e.g. redis-1:6379,redis-2:6379)',
      'REDIS_CLUSTER_NODES: "r3:99999" is not HOST:PORT (e.g. redis-1:6379,redis-2:6379)',
      'REDIS_CLUSTER_NODES: "redis://r4:7000" is not HOST:PORT (e.g. redis-1:6379,redis-2:6379)',
    ]);
    assert.deepEqual(problems({ REDIS_SENTINELS: ' , ', REDIS_SENTINEL_NAME: 'm' }), ['REDIS_SENTINELS: give at least one HOST:PORT, e.g. sentinel-1:26379,sentinel-2:26379']);
  });

  test('REDIS_URL beside Sentinel or Cluster must carry what they use of it, never a second address', () => {
    const [addressOnly] = problems({ REDIS_URL: 'redis://cache:6379', REDIS_CLUSTER_NODES: 'r1:7000' });
    assert.match(addressOnly!, /^REDIS_URL: with REDIS_CLUSTER_NODES its address is not used, only its user, password, database and rediss:\/\/ \(TLS\)/);
    assert.deepEqual(problems({ REDIS_URL: 'redis://:pw@cache/3', REDIS_CLUSTER_NODES: 'r1:7000' }), ['REDIS_URL: Redis Cluster has only database 0; remove "/3"']);
    assert.equal(loadConfig({ REDIS_URL: 'rediss://cache', REDIS_CLUSTER_NODES: 'r1:7000' }, []).redis.kind, 'cluster');
  });
});

describe('what ioredis is asked for', () => {
  const server = { maxRetriesPerRequest: null };

  test('Sentinel: the servers get REDIS_URL\'s user, password and database; the sentinels their own password; TLS for both', () => {
    const plan = connectionPlan(
      { kind: 'sentinel', sentinels: [{ host: 's1', port: 26379 }], name: 'main', sentinelPassword: 'sp', url: 'rediss://parley:p%40ss@ignored:1/2' },
      server,
    );
    assert.equal(plan.client, 'redis');
    assert.deepEqual(plan.client === 'redis' && plan.options, {
      username: 'parley',
      password: 'p@ss',
      db: 2,
      tls: {},
      sentinels: [{ host: 's1', port: 26379 }],
      name: 'main',
      sentinelPassword: 'sp',
      enableTLSForSentinelMode: true,
      sentinelTLS: {},
      maxRetriesPerRequest: null,
    });
  });

  test('Cluster: every node gets the same options (BullMQ\'s among them) and REDIS_URL\'s password and TLS', () => {
    const plan = connectionPlan({ kind: 'cluster', nodes: [{ host: 'r1', port: 7000 }], url: 'rediss://:pw@ignored' }, server);
    assert.equal(plan.client, 'cluster');
    if (plan.client !== 'cluster') return;
    assert.deepEqual(plan.nodes, [{ host: 'r1', port: 7000 }]);
    assert.deepEqual(plan.options.redisOptions, { password: 'pw', tls: {}, maxRetriesPerRequest: null });
    assert.equal(typeof plan.options.dnsLookup, 'function', 'TLS names are checked as given');
  });

  test('a plain server: its URL as given', () => {
    assert.deepEqual(connectionPlan({ kind: 'standalone', url: 'redis://cache:6380/1' }, server), { client: 'redis', url: 'redis://cache:6380/1', options: server });
  });
});
