import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CategoryCache } from '../../lib/discourse/categories.js';
import { DiscourseClient } from '../../lib/discourse/client.js';
import { parseCategoryWebhook, parseTopicWebhook, type CategoryPayload, type TopicPayload } from '../../lib/discourse/payloads.js';
import { TopicCache } from '../../lib/discourse/topics.js';
import { openStore, type Store } from '../../lib/store/index.js';

const FIXTURES = new URL('../../../shared/fixtures/discourse-webhooks/', import.meta.url);
const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8'));

function categoryPayload(body: unknown): CategoryPayload {
  const r = parseCategoryWebhook(body);
  assert.ok(r.ok, r.ok ? '' : r.error);
  return r.value;
}
function topicPayload(body: unknown): TopicPayload {
  const r = parseTopicWebhook(body);
  assert.ok(r.ok, r.ok ? '' : r.error);
  return r.value;
}

/** A forum with a few categories and topics; counts what it is asked; can be switched off (503). */
class FakeForum {
  requests: string[] = [];
  down = false;
  categories: unknown[] = [
    { id: 3, name: 'Support', slug: 'support', color: 'F1592A', read_restricted: false },
    { id: 5, name: 'Billing', slug: 'billing', color: '25AAE2', read_restricted: true, parent_category_id: 3 },
    { id: 4, name: '阿里云', slug: '', color: '0088CC', read_restricted: false },
  ];
  topics = new Map<number, unknown>([[42, { id: 42, title: 'Invoices', category_id: 5, tags: [{ id: 1, name: 'invoice', slug: 'invoice' }, 'urgent'] }]]);
  private server: Server = createServer((req, res) => {
    this.requests.push(req.url ?? '');
    const reply = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (this.down) return reply(503, { errors: ['maintenance'] });
    if (req.url === '/site.json') return reply(200, { categories: this.categories });
    const m = /^\/t\/(\d+)\.json$/.exec(req.url ?? '');
    const topic = m ? this.topics.get(Number(m[1])) : undefined;
    return topic ? reply(200, topic) : reply(404, { errors: ['The requested URL or resource could not be found.'] });
  });
  url = '';
  async start() {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  stop() {
    return new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A clock the test moves by hand: refresh intervals are checked without waiting. */
class Clock {
  t = 1_000_000;
  now = () => this.t;
  advance(ms: number) {
    this.t += ms;
  }
}

const MINUTE = 60_000;
let forum: FakeForum;
let store: Store;
let clock: Clock;
const client = () => new DiscourseClient({ baseUrl: forum.url, apiKey: 'k', apiUsername: 'system', budget: null });

before(async () => {
  forum = new FakeForum();
  await forum.start();
});
after(() => forum.stop());
beforeEach(async () => {
  forum.requests = [];
  forum.down = false;
  clock = new Clock();
  await store?.close();
  store = await openStore({ kind: 'sqlite', path: ':memory:' });
});
after(() => store?.close());

describe('CategoryCache', () => {
  test('without an API key it works from webhooks alone: created, parent learned later, updated, destroyed', async () => {
    const cache = new CategoryCache({ store: store.categories, client: null, now: clock.now });
    assert.equal(await cache.resolve(28), null);

    await cache.applyWebhook(categoryPayload(fixture('discourse-2025.12/category_created.body.json'))); // seata, parent 10
    assert.deepEqual(await cache.resolve(28), { id: 28, slug: 'seata', name: 'seata', parentSlug: null, color: '0088CC', restricted: false });

    await cache.applyWebhook(categoryPayload({ category: { id: 10, name: 'Java', slug: 'java', color: 'B3B5B4', read_restricted: false } }));
    assert.equal((await cache.resolve(28))?.parentSlug, 'java');
    assert.deepEqual(await cache.paths(), ['java', 'java/seata']);
    assert.equal((await cache.findByPath('Java/Seata/'))?.id, 28);
    assert.equal(await cache.findByPath('seata'), null, 'a subcategory is found by its full path');

    await cache.applyWebhook(categoryPayload({ category: { id: 28, name: 'Seata 2', slug: 'seata', parent_category_id: 10, read_restricted: true } }));
    assert.deepEqual(await cache.resolve(28), { id: 28, slug: 'seata', name: 'Seata 2', parentSlug: 'java', color: null, restricted: true });

    await cache.removeFromWebhook(28);
    assert.equal(await cache.resolve(28), null);
    assert.deepEqual(await store.categories.list().then((l) => l.map((c) => c.id)), [10]);
  });

  test('a category whose restriction the webhook does not tell is treated as restricted', async () => {
    const cache = new CategoryCache({ store: store.categories, client: null, now: clock.now });
    await cache.applyWebhook(categoryPayload({ category: { id: 9, slug: 'staff', name: 'Staff' } }));
    assert.equal((await cache.resolve(9))?.restricted, true);
  });

  test('a miss refreshes from /site.json once; further misses wait for the interval', async () => {
    const cache = new CategoryCache({ store: store.categories, client: client(), now: clock.now, refreshIntervalMs: 5 * MINUTE });
    assert.deepEqual(await cache.resolve(5), { id: 5, slug: 'billing', name: 'Billing', parentSlug: 'support', color: '25AAE2', restricted: true });
    assert.equal((await cache.resolve(4))?.slug, '4-category', 'an empty slug is the one Discourse uses in URLs');
    assert.deepEqual(forum.requests, ['/site.json']);

    // Unknown ids, many of them, at once and later: still one request until the interval has passed.
    await Promise.all([cache.resolve(77), cache.resolve(78), cache.findByPath('nope')]);
    clock.advance(4 * MINUTE);
    assert.equal(await cache.resolve(77), null);
    assert.equal(forum.requests.length, 1);

    forum.categories.push({ id: 77, name: 'New', slug: 'new', color: 'FFFFFF', read_restricted: false });
    clock.advance(MINUTE);
    assert.equal((await cache.resolve(77))?.slug, 'new');
    assert.equal(forum.requests.length, 2);
    assert.deepEqual(await cache.paths(), ['4-category', 'new', 'support', 'support/billing']);
  });

  test('concurrent misses share one fetch', async () => {
    const cache = new CategoryCache({ store: store.categories, client: client(), now: clock.now });
    const found = await Promise.all([cache.resolve(3), cache.resolve(5), cache.resolve(4), cache.findByPath('support/billing')]);
    assert.deepEqual(found.map((c) => c?.id), [3, 5, 4, 5]);
    assert.equal(forum.requests.length, 1);
  });

  test('a forum that is down gives null, not an error, and is not asked again before the interval', async () => {
    forum.down = true;
    const cache = new CategoryCache({ store: store.categories, client: client(), now: clock.now, refreshIntervalMs: 5 * MINUTE });
    assert.equal(await cache.resolve(3), null);
    assert.equal(await cache.resolve(3), null);
    assert.equal(forum.requests.length, 1);
    forum.down = false;
    clock.advance(5 * MINUTE);
    assert.equal((await cache.resolve(3))?.slug, 'support');
  });

  test("another process's webhook updates are seen once this process re-reads the store", async () => {
    const web = new CategoryCache({ store: store.categories, client: null, now: clock.now, reloadMs: 30_000 });
    const worker = new CategoryCache({ store: store.categories, client: null, now: clock.now, reloadMs: 30_000 });
    assert.equal(await worker.resolve(12), null);
    await web.applyWebhook(categoryPayload({ category: { id: 12, slug: 'events', name: 'Events', read_restricted: false } }));
    clock.advance(30_000);
    assert.equal((await worker.resolve(12))?.slug, 'events');
  });
});

describe('TopicCache', () => {
  test('tags come from topic webhooks, without asking the forum', async () => {
    const cache = new TopicCache({ store: store.topics, client: client(), now: clock.now });
    await cache.applyWebhook(topicPayload(fixture('topic_created.2021.body.json')));
    assert.deepEqual(await cache.tagsFor(78), ['prüfung', 'obk']);
    // A later edit replaces them (tags as objects, newer Discourse).
    await cache.applyWebhook(topicPayload({ topic: { id: 78, title: 'Erfahrung', category_id: 9, tags: [{ id: 1, name: 'obk' }] } }));
    assert.deepEqual(await cache.tagsFor(78), ['obk']);
    assert.deepEqual(forum.requests, []);
  });

  test('an unknown topic is fetched once and kept', async () => {
    const cache = new TopicCache({ store: store.topics, client: client(), now: clock.now });
    assert.deepEqual(await cache.tagsFor(42), ['invoice', 'urgent']);
    assert.deepEqual(await cache.tagsFor(42), ['invoice', 'urgent']);
    assert.deepEqual(forum.requests, ['/t/42.json']);
    const stored = await store.topics.get(42);
    assert.deepEqual([stored?.title, stored?.categoryId, stored?.tags], ['Invoices', 5, ['invoice', 'urgent']]);
  });

  test('a topic the forum cannot give is asked for at most once per 10 minutes; meanwhile no tags', async () => {
    const cache = new TopicCache({ store: store.topics, client: client(), now: clock.now });
    assert.deepEqual(await Promise.all([cache.tagsFor(404), cache.tagsFor(404)]), [[], []]);
    clock.advance(9 * MINUTE);
    assert.deepEqual(await cache.tagsFor(404), []);
    assert.equal(forum.requests.length, 1);
    forum.topics.set(404, { id: 404, title: 'Late', category_id: 3, tags: ['found'] });
    clock.advance(MINUTE);
    assert.deepEqual(await cache.tagsFor(404), ['found']);
    assert.equal(forum.requests.length, 2);
  });

  test('without an API key, and after removal, an unknown topic has no tags', async () => {
    const cache = new TopicCache({ store: store.topics, client: null, now: clock.now });
    assert.deepEqual(await cache.tagsFor(42), []);
    await cache.applyWebhook(topicPayload(fixture('topic_created.2021.body.json')));
    await cache.remove(78);
    assert.deepEqual(await cache.tagsFor(78), []);
    assert.deepEqual(forum.requests, []);
  });

  test('fetch attempts are remembered within a bound (the oldest are forgotten)', async () => {
    const cache = new TopicCache({ store: store.topics, client: client(), now: clock.now, maxTracked: 5 });
    for (let id = 1000; id < 1012; id++) await cache.tagsFor(id);
    assert.equal(forum.requests.length, 12);
    // Only the newest attempts are remembered: the newest is not asked again, the oldest was forgotten.
    await cache.tagsFor(1011);
    assert.equal(forum.requests.length, 12);
    await cache.tagsFor(1000);
    assert.equal(forum.requests.length, 13);
  });
});
