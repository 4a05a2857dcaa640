// The sources' health on the admin overview (cli/app/web.ts): the forum's connection is shown, asked at most once a
// minute (each ask spends the forum's API budget), and a forum that is down is the admin's to see, not /readyz's: it
// must not take Parley out of a load balancer, since its webhooks still arrive and wait.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startFakeForum, type FakeForum } from '../helpers/fake-forum.js';
import { startParley, type TestParley } from '../helpers/parley.js';

const TOKEN = 'source-health-admin-token-0123456789abcdef';

interface Overview {
  checks: Record<string, { ok: boolean; detail?: string }>;
}

describe("the sources' health on the admin overview", () => {
  let forum: FakeForum;
  let parley: TestParley;

  before(async () => {
    forum = await startFakeForum({ categories: [{ id: 4, slug: 'support', name: 'Support' }, { id: 6, slug: 'dev', name: 'Dev' }] });
    parley = await startParley({ env: { PARLEY_DISCOURSE_URL: forum.url, PARLEY_DISCOURSE_API_KEY: forum.apiKey, PARLEY_ADMIN_TOKEN: TOKEN } });
  });
  after(async () => {
    await parley?.stop();
    await forum?.stop();
  });

  const overview = async (): Promise<Overview> => {
    const res = await fetch(`${parley.url}/api/overview`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(res.status, 200);
    return (await res.json()) as Overview;
  };
  const siteAsks = () => forum.requests.filter((r) => r.path.startsWith('/site.json')).length;

  test('the forum down: the overview says so, /readyz stays ready; the answer is kept for a minute', async () => {
    forum.failNext(1_000, 503);
    const down = await overview();
    assert.equal(down.checks.discourse?.ok, false, JSON.stringify(down.checks));
    assert.match(down.checks.discourse?.detail ?? '', /503|unavailable|cannot be reached/iu);
    const ready = await fetch(`${parley.url}/readyz`);
    assert.equal(ready.status, 200, 'a forum that is down does not take Parley out of the load balancer');
    assert.equal(((await ready.json()) as Overview).checks.discourse, undefined, '/readyz does not ask the forum');

    forum.failNext(0, 200);
    const before = siteAsks();
    const again = await overview();
    assert.deepEqual(again.checks.discourse, down.checks.discourse, 'within the minute, the kept answer');
    assert.equal(siteAsks(), before, 'the forum was not asked again');
    assert.equal(again.checks.database?.ok, true, 'the other checks are asked each time');
  });
});

test('the forum up: the overview names what Parley sees of it', async () => {
  const forum = await startFakeForum({ categories: [{ id: 4, slug: 'support', name: 'Support' }, { id: 6, slug: 'dev', name: 'Dev' }] });
  const parley = await startParley({ env: { PARLEY_DISCOURSE_URL: forum.url, PARLEY_DISCOURSE_API_KEY: forum.apiKey, PARLEY_ADMIN_TOKEN: TOKEN } });
  try {
    const res = await fetch(`${parley.url}/api/overview`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.deepEqual(((await res.json()) as Overview).checks.discourse, { ok: true, detail: '2 categories visible' });
  } finally {
    await parley.stop();
    await forum.stop();
  }
});
