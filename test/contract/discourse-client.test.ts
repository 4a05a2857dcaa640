import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { DiscourseClient, ForumRefusalError, ForumRequestBudget } from '../../lib/discourse/client.js';
import { ForumRateLimitedError, ForumRequestError, ForumUnavailableError } from '../../lib/errors.js';
import { freePort, startPrism, type PrismServer } from '../helpers/prism.js';

const SPEC = new URL('../../../shared/specs/discourse-openapi.json', import.meta.url);
const KEY = 'key-0123456789abcdef';

const client = (baseUrl: string, over: Partial<ConstructorParameters<typeof DiscourseClient>[0]> = {}) =>
  new DiscourseClient({ baseUrl, apiKey: KEY, apiUsername: 'system', budget: null, ...over });

const PRISM_TOPIC = { title: 'Outage review 2026-03-01', raw: '**Ada**: the database is down\n\n```\nERROR 1\n```', categoryId: 3, externalId: 'parley-transcript-1a2b' };

/** Prism answers 422 (ForumRequestError) when a request breaks the spec: any error fails the test. */
describe('DiscourseClient against the Discourse OpenAPI spec (Prism --errors)', () => {
  let prism: PrismServer;
  before(async () => {
    prism = await startPrism(SPEC, { errors: true });
  });
  after(() => prism?.stop());

  test('the mock does refuse a request that breaks the spec (so the checks below mean something)', async () => {
    const res = await fetch(`${prism.url}/t/5.json`, { headers: { 'Api-Key': KEY } });
    assert.equal(res.status, 422);
  });

  test('site() sends a valid request and reads the categories', async () => {
    const categories = await client(prism.url).site();
    assert.ok(categories.length >= 1);
    for (const c of categories) {
      assert.equal(typeof c.id, 'number');
      assert.ok(c.slug.length > 0);
      assert.equal(typeof c.readRestricted, 'boolean');
    }
  });

  test('topic() sends a valid request; tags given as {id, name, slug} objects come out as names', async () => {
    const topic = await client(prism.url).topic(5);
    assert.deepEqual(topic.tags, ['string']);
    assert.equal(typeof topic.title, 'string');
    assert.equal(typeof topic.categoryId, 'number');
  });

  test('user() sends a valid request, also acting as another user, and reads roles and groups', async () => {
    const user = await client(prism.url).user('some.user');
    assert.deepEqual(user, { username: 'string', admin: true, moderator: true, groups: ['string'] });
    const asUser = await client(prism.url).user('bob', { apiUsername: 'alice' });
    assert.equal(asUser.admin, true);
  });

  test('createTopic() sends one spec-valid POST /posts.json as the forum user and returns an absolute URL', async () => {
    // Without tags: the spec does not list the field (real Discourse takes it; see the local tests below).
    const created = await client(prism.url).createTopic(PRISM_TOPIC, { apiUsername: 'moderator.mia' });
    assert.equal(created.existed, false);
    assert.ok(Number.isInteger(created.topicId) && Number.isInteger(created.postId));
    assert.equal(created.url, `${prism.url}/t/string/${created.topicId}`);
  });

  test('the spec lacks `tags` on POST /posts.json: the mock refuses them (the one known gap)', async () => {
    // The same request as above but for the tags.
    const err = await client(prism.url)
      .createTopic({ ...PRISM_TOPIC, tags: ['outage'] }, { apiUsername: 'moderator.mia' })
      .catch((e: unknown) => e);
    assert.ok(err instanceof ForumRefusalError && err.status === 422, String(err));
  });

  test('topicByExternalId() sends a spec-valid request (the mock answers the redirect without a Location)', async () => {
    const err = await client(prism.url).topicByExternalId('parley-transcript-1a2b').catch((e: unknown) => e);
    assert.ok(err instanceof ForumRequestError && err.status === 301, `the request passed the spec check: ${String(err)}`);
  });

  test('a user that is not in the spec answers as a request error, not a crash', async () => {
    // The spec's path pattern is /u/{username}.json: an empty name is a different path.
    await assert.rejects(client(prism.url).request('GET', '/no-such-path.json'), (err) => err instanceof ForumRequestError && err.status === 404);
  });
});

describe('DiscourseClient against random spec-valid answers (Prism -d)', () => {
  let prism: PrismServer;
  before(async () => {
    prism = await startPrism(SPEC, { errors: true, dynamic: true });
  });
  after(() => prism?.stop());

  test('every generated answer to site(), topic() and user() is read without error', async () => {
    const c = client(prism.url);
    for (let i = 0; i < 15; i++) {
      const [categories, topic, user] = await Promise.all([c.site(), c.topic(i + 1), c.user(`user${i}`)]);
      for (const cat of categories) assert.ok(Number.isInteger(cat.id) && cat.slug.length > 0);
      assert.ok(topic.tags.every((t) => typeof t === 'string' && t.length > 0));
      assert.equal(typeof user.admin, 'boolean');
      assert.ok(user.groups.every((g) => typeof g === 'string'));
    }
  });
});

type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

/** A tiny forum: answers each request with the next handler; records what it received. */
async function fakeForum(handlers: Handler[]) {
  const seen: Array<{ method: string; url: string; headers: IncomingMessage['headers']; body: string; at: number }> = [];
  const server: Server = createServer((req, res) => {
    const entry = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: '', at: Date.now() };
    seen.push(entry);
    const n = seen.length;
    const handler = handlers[Math.min(n - 1, handlers.length - 1)]!;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      entry.body = Buffer.concat(chunks).toString('utf8');
      handler(req, res, n);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    seen,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Handler => (_req, res) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};
const TOPIC = { id: 7, title: 'Release notes', category_id: 3, tags: ['release', { id: 2, name: 'howto', slug: 'howto' }] };

describe('DiscourseClient: rate limits and failures (local fake forum)', () => {
  test('a 429 with Retry-After is obeyed: one retry after the wait, then the answer', async () => {
    const forum = await fakeForum([json(429, { errors: ['slow down'] }, { 'retry-after': '1' }), json(200, TOPIC)]);
    try {
      const topic = await client(forum.url).topic(7);
      assert.deepEqual(topic, { id: 7, title: 'Release notes', tags: ['release', 'howto'], categoryId: 3 });
      assert.equal(forum.seen.length, 2);
      assert.ok(forum.seen[1]!.at - forum.seen[0]!.at >= 900, 'the retry waited for Retry-After');
    } finally {
      await forum.close();
    }
  });

  test("a 429 without Retry-After uses the body's extras.wait_seconds", async () => {
    const forum = await fakeForum([json(429, { errors: ['too many'], error_type: 'rate_limit', extras: { wait_seconds: 1 } }), json(200, TOPIC)]);
    try {
      assert.deepEqual((await client(forum.url).topic(7)).tags, ['release', 'howto']);
      assert.equal(forum.seen.length, 2);
    } finally {
      await forum.close();
    }
  });

  test('a long wait is not waited for: ForumRateLimitedError carries it, and nothing is retried', async () => {
    const forum = await fakeForum([json(429, { extras: { wait_seconds: 45 } }, { 'retry-after': '45' })]);
    try {
      await assert.rejects(client(forum.url).topic(7), (err) => err instanceof ForumRateLimitedError && err.retryAfterMs === 45_000);
      assert.equal(forum.seen.length, 1);
    } finally {
      await forum.close();
    }
  });

  test('a second 429 after the retry gives up with ForumRateLimitedError', async () => {
    const forum = await fakeForum([json(429, {}, { 'retry-after': '0' }), json(429, {}, { 'retry-after': '30' }), json(200, TOPIC)]);
    try {
      await assert.rejects(client(forum.url).topic(7), (err) => err instanceof ForumRateLimitedError && err.retryAfterMs === 30_000);
      assert.equal(forum.seen.length, 2);
    } finally {
      await forum.close();
    }
  });

  test('500 and 502 are ForumUnavailableError, not retried here (the job retries)', async () => {
    for (const status of [500, 502]) {
      const forum = await fakeForum([json(status, { errors: ['boom'] }), json(200, TOPIC)]);
      try {
        await assert.rejects(client(forum.url).topic(7), (err) => err instanceof ForumUnavailableError && err.message.includes(String(status)));
        assert.equal(forum.seen.length, 1);
      } finally {
        await forum.close();
      }
    }
  });

  test("other 4xx are ForumRequestError with Discourse's own message", async () => {
    const forum = await fakeForum([json(404, { errors: ['The requested URL or resource could not be found.'], error_type: 'not_found' })]);
    try {
      await assert.rejects(client(forum.url).user('ghost'), (err) => err instanceof ForumRequestError && err.status === 404 && /could not be found/.test(err.message));
    } finally {
      await forum.close();
    }
  });

  test('an HTML page with a 200 (a proxy, maintenance) is ForumUnavailableError', async () => {
    const forum = await fakeForum([(_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>maintenance</html>')]);
    try {
      await assert.rejects(client(forum.url).site(), ForumUnavailableError);
    } finally {
      await forum.close();
    }
  });

  test('a forum that is down or does not answer in time is ForumUnavailableError', async () => {
    const port = await freePort();
    await assert.rejects(client(`http://127.0.0.1:${port}`).site(), (err) => err instanceof ForumUnavailableError && /ECONNREFUSED/.test(err.message));
    const forum = await fakeForum([() => undefined]); // never answers
    try {
      await assert.rejects(client(forum.url, { timeoutMs: 300 }).site(), (err) => err instanceof ForumUnavailableError && /timed out/.test(err.message));
    } finally {
      await forum.close();
    }
  });

  test('Api-Key and Api-Username are sent; Api-Username can be set per call; the key never appears in errors', async () => {
    const forum = await fakeForum([json(200, TOPIC), json(200, TOPIC), json(403, { errors: ['You are not permitted to view the requested resource.'] })]);
    try {
      const c = client(forum.url);
      await c.topic(7);
      await c.topic(7, { apiUsername: 'moderator.mia' });
      const err = await c.topic(7).catch((e: unknown) => e);
      assert.ok(err instanceof ForumRequestError && err.status === 403);
      assert.equal(forum.seen[0]!.headers['api-key'], KEY);
      assert.equal(forum.seen[0]!.headers['api-username'], 'system');
      assert.equal(forum.seen[1]!.headers['api-username'], 'moderator.mia');
      assert.equal(forum.seen[0]!.url, '/t/7.json');
      assert.doesNotMatch(`${err.message} ${JSON.stringify(err)}`, new RegExp(KEY));
    } finally {
      await forum.close();
    }
  });

  test('a redirect is followed on the forum itself, never to another host with the key', async () => {
    const elsewhere = await fakeForum([json(200, TOPIC)]);
    const forum = await fakeForum([
      (_req, res) => res.writeHead(301, { location: '/t/release-notes/7.json' }).end(),
      json(200, TOPIC),
      (_req, res) => res.writeHead(302, { location: `${elsewhere.url}/t/7.json` }).end(),
    ]);
    try {
      const c = client(forum.url);
      assert.equal((await c.topic(7)).title, 'Release notes');
      assert.equal(forum.seen[1]!.url, '/t/release-notes/7.json');
      await assert.rejects(c.topic(7), (err) => err instanceof ForumRequestError && /PARLEY_DISCOURSE_URL/.test(err.message));
      assert.equal(elsewhere.seen.length, 0, 'the API key was not carried to another host');
    } finally {
      await forum.close();
      await elsewhere.close();
    }
  });
});

// What real Discourse answers to a created topic (trimmed), and to GET /t/{slug}/{id}.json.
const CREATED_POST = { id: 901, topic_id: 77, topic_slug: 'outage-review', post_number: 1, username: 'moderator.mia', raw: 'x' };
const EXISTING_TOPIC = { id: 77, slug: 'outage-review', title: 'Outage review', post_stream: { posts: [{ id: 901, post_number: 1 }, { id: 902, post_number: 2 }] } };
const NEW_TOPIC = { title: 'Outage review', raw: '**Ada**: it is down', categoryId: 12, tags: ['outage', 'staff-only'], externalId: 'parley-transcript-1a2b' };

describe('DiscourseClient.createTopic (local fake forum)', () => {
  test('one POST /posts.json with exactly title, raw, category, tags and external_id, as the forum user', async () => {
    const forum = await fakeForum([json(200, CREATED_POST), json(200, { ...CREATED_POST, id: 905, topic_id: 78, topic_slug: 'plain' })]);
    try {
      const c = client(forum.url);
      const created = await c.createTopic(NEW_TOPIC, { apiUsername: 'moderator.mia' });
      assert.deepEqual(created, { topicId: 77, postId: 901, url: `${forum.url}/t/outage-review/77`, existed: false });
      assert.equal(forum.seen.length, 1);
      const [req] = forum.seen;
      assert.equal(req!.method, 'POST');
      assert.equal(req!.url, '/posts.json');
      assert.equal(req!.headers['api-username'], 'moderator.mia');
      assert.equal(req!.headers['api-key'], KEY);
      assert.match(String(req!.headers['content-type']), /^application\/json/);
      assert.deepEqual(JSON.parse(req!.body), {
        title: 'Outage review',
        raw: '**Ada**: it is down',
        category: 12,
        tags: ['outage', 'staff-only'],
        external_id: 'parley-transcript-1a2b',
      });

      // No category and no tags: the fields are left out, not sent empty.
      await c.createTopic({ title: 'Plain', raw: 'text', tags: [], externalId: 'parley-2' }, { apiUsername: 'ada' });
      assert.deepEqual(JSON.parse(forum.seen[1]!.body), { title: 'Plain', raw: 'text', external_id: 'parley-2' });
    } finally {
      await forum.close();
    }
  });

  for (const reasons of [['External has already been taken'], ['Title has already been used', 'External ID has already been taken']]) {
    test(`a 422 "${reasons.join('; ')}" returns the topic the first attempt made, creating nothing`, async () => {
      const forum = await fakeForum([
        json(422, { action: 'create_post', errors: reasons }),
        // Discourse redirects the external-id lookup to the topic itself.
        (_req, res) => res.writeHead(301, { location: '/t/outage-review/77.json' }).end(),
        json(200, EXISTING_TOPIC),
      ]);
      try {
        const created = await client(forum.url).createTopic(NEW_TOPIC, { apiUsername: 'moderator.mia' });
        assert.deepEqual(created, { topicId: 77, postId: 901, url: `${forum.url}/t/outage-review/77`, existed: true });
        assert.deepEqual(
          forum.seen.map((r) => `${r.method} ${r.url} as ${String(r.headers['api-username'])}`),
          ['POST /posts.json as moderator.mia', 'GET /t/external_id/parley-transcript-1a2b.json as moderator.mia', 'GET /t/outage-review/77.json as moderator.mia'],
        );
      } finally {
        await forum.close();
      }
    });
  }

  test("any other 422 is a ForumRequestError with Discourse's own messages, and nothing is looked up", async () => {
    const forum = await fakeForum([
      json(422, {
        action: 'create_post',
        errors: ['Title is too short (minimum is 15 characters)', 'Body is limited to 32000 characters; you entered 40123.', 'External is too long (maximum is 50 characters)'],
      }),
    ]);
    try {
      const err = await client(forum.url).createTopic(NEW_TOPIC, { apiUsername: 'moderator.mia' }).catch((e: unknown) => e);
      assert.ok(err instanceof ForumRequestError && err.status === 422, String(err));
      assert.match(err.message, /Title is too short \(minimum is 15 characters\); Body is limited to 32000 characters; you entered 40123\.; External is too long/);
      assert.ok(err instanceof ForumRefusalError);
      assert.equal(err.reasons[1], 'Body is limited to 32000 characters; you entered 40123.');
      // Only "external id taken" means an earlier attempt got through; an external id error of another kind does not.
      assert.equal(forum.seen.length, 1);
    } finally {
      await forum.close();
    }
  });

  test('an external id the forum calls taken but cannot show is an error that says so', async () => {
    const forum = await fakeForum([json(422, { errors: ['External has already been taken'] }), json(404, { errors: ['The requested URL or resource could not be found.'], error_type: 'not_found' })]);
    try {
      await assert.rejects(
        client(forum.url).createTopic(NEW_TOPIC, { apiUsername: 'moderator.mia' }),
        (err) => err instanceof ForumRequestError && err.status === 422 && /already been taken; yet moderator\.mia can see no topic with external id parley-transcript-1a2b/.test(err.message),
      );
    } finally {
      await forum.close();
    }
  });

  test('a post held for review is an error that says a moderator must approve it, not a crash', async () => {
    const forum = await fakeForum([json(200, { success: true, action: 'enqueued', pending_post: { id: 3, raw: 'x' }, pending_count: 1 })]);
    try {
      await assert.rejects(client(forum.url).createTopic(NEW_TOPIC, { apiUsername: 'moderator.mia' }), (err) => err instanceof ForumRequestError && /review queue/.test(err.message));
    } finally {
      await forum.close();
    }
  });

  test('a 429 is waited for and retried once like every call; a 500 is ForumUnavailableError (the job retries, the external id dedupes)', async () => {
    const forum = await fakeForum([json(429, { errors: ['slow down'] }, { 'retry-after': '0' }), json(200, CREATED_POST), json(502, {})]);
    try {
      const c = client(forum.url);
      assert.equal((await c.createTopic(NEW_TOPIC, { apiUsername: 'moderator.mia' })).topicId, 77);
      assert.equal(forum.seen.length, 2);
      assert.equal(forum.seen[1]!.body, forum.seen[0]!.body, 'the retry sends the same request');
      await assert.rejects(c.createTopic(NEW_TOPIC, { apiUsername: 'moderator.mia' }), ForumUnavailableError);
    } finally {
      await forum.close();
    }
  });

  test('an external id Discourse would refuse is caught before any request', async () => {
    const forum = await fakeForum([json(200, CREATED_POST)]);
    try {
      for (const externalId of ['', 'has space', 'ünï', 'x'.repeat(51), 'a/b']) {
        await assert.rejects(client(forum.url).createTopic({ ...NEW_TOPIC, externalId }, { apiUsername: 'ada' }), RangeError);
      }
      assert.equal(forum.seen.length, 0);
    } finally {
      await forum.close();
    }
  });

  test('topicByExternalId: null when there is none; slugs are encoded once; an empty slug reads as "topic"', async () => {
    const forum = await fakeForum([
      json(404, { errors: ['The requested URL or resource could not be found.'], error_type: 'not_found' }),
      json(200, { id: 5, slug: '%E9%98%BF%E9%87%8C%E4%BA%91', post_stream: { posts: [{ id: 50, post_number: 1 }] } }),
      json(200, { id: 6, slug: '' }),
    ]);
    try {
      const c = client(forum.url);
      assert.equal(await c.topicByExternalId('nothing-here'), null);
      assert.deepEqual(await c.topicByExternalId('cjk'), { topicId: 5, postId: 50, url: `${forum.url}/t/%E9%98%BF%E9%87%8C%E4%BA%91/5` });
      assert.deepEqual(await c.topicByExternalId('bare'), { topicId: 6, postId: null, url: `${forum.url}/t/topic/6` });
    } finally {
      await forum.close();
    }
  });
});

describe('ForumRequestBudget (real Redis)', () => {
  let redis: Redis;
  const prefix = `test-${randomUUID()}`;
  before(async () => {
    redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
    // Until the connection is ready each process counts in memory (see the test below).
    await redis.ping();
  });
  after(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  test('the per-minute budget is shared by every client on the same prefix; beyond it, ForumRateLimitedError', async () => {
    const forum = await fakeForum([json(200, TOPIC)]);
    try {
      // Two processes' worth of clients, one budget of 3 a minute.
      const a = client(forum.url, { budget: new ForumRequestBudget({ redis, keyPrefix: prefix, requestsPerMinute: 3, maxWaitMs: 0 }) });
      const b = client(forum.url, { budget: new ForumRequestBudget({ redis, keyPrefix: prefix, requestsPerMinute: 3, maxWaitMs: 0 }) });
      await a.topic(1);
      await b.topic(2);
      await a.topic(3);
      await assert.rejects(b.topic(4), (err) => err instanceof ForumRateLimitedError && err.retryAfterMs > 0 && err.retryAfterMs <= 60_000);
      await assert.rejects(a.topic(5), ForumRateLimitedError);
      assert.equal(forum.seen.length, 3, 'requests over the budget never reached the forum');
      // Another installation (another prefix) has its own budget.
      const other = client(forum.url, { budget: new ForumRequestBudget({ redis, keyPrefix: `${prefix}-other`, requestsPerMinute: 3, maxWaitMs: 0 }) });
      await other.topic(6);
      assert.equal(forum.seen.length, 4);
    } finally {
      await forum.close();
    }
  });

  test('when Redis is unreachable the budget still holds, per process', async () => {
    const port = await freePort();
    const dead = new Redis({ host: '127.0.0.1', port, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    dead.on('error', () => undefined);
    const forum = await fakeForum([json(200, TOPIC)]);
    try {
      const c = client(forum.url, { budget: new ForumRequestBudget({ redis: dead, keyPrefix: `${prefix}-dead`, requestsPerMinute: 2, maxWaitMs: 0 }) });
      await c.topic(1);
      await c.topic(2);
      await assert.rejects(c.topic(3), ForumRateLimitedError);
      assert.equal(forum.seen.length, 2);
    } finally {
      dead.disconnect();
      await forum.close();
    }
  });
});
