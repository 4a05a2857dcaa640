// The admin API's changes to rules and identities (cli/admin/routes-rules.ts, routes-identities.ts) on a Fastify app
// of its own, as test/integration/admin-api.test.ts builds one: rules added in the chat grammar and listed as
// /discourse status numbers them, a refused scope named by its place in the body, rules removed by number, links
// added and removed; and each operation gives what the CLI's (cli/rule-ops.ts, cli/identity-ops.ts) gives on the
// same store. Refusals without credentials are admin-api.test.ts's, for every documented route.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { linkIdentity, unlinkIdentity } from '../../cli/identity-ops.js';
import { addRules, numberedRules, parseRule, removeRules, ruleText } from '../../cli/rule-ops.js';
import type { ChannelRecord, PlatformName } from '../../lib/seams/store.js';
import type { Store } from '../../lib/store/index.js';
import { buildAdminApi } from '../helpers/admin-api.js';

const TOKEN = 'tok-admin-api-changes-5b2f';

/** One app per test, its own store: the admin API without platforms. */
async function build(): Promise<{ app: FastifyInstance; store: Store }> {
  const { app, store } = await buildAdminApi({ token: TOKEN });
  return { app, store };
}

async function call(app: FastifyInstance, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) {
  return app.inject({ method, url, headers: { authorization: `Bearer ${TOKEN}` }, ...(payload ? { payload } : {}) });
}

async function ok<T = Record<string, unknown>>(res: Promise<LightMyRequestResponse>, status = 200): Promise<T> {
  const r = await res;
  assert.equal(r.statusCode, status, r.body);
  return r.json<T>();
}

async function channel(store: Store, platform: PlatformName, externalId: string, status: ChannelRecord['status'] = 'active') {
  return (await store.channels.ensure({ platform, externalId, name: externalId, status, addedBy: 'cli', settings: {} })).channel;
}

interface RuleJson {
  channel: string;
  channelId: number;
  number: number;
  id: number;
  source: string;
  filter: string;
  scope: string;
  createdBy: string | null;
  createdAt: string;
}
interface Added {
  added: RuleJson[];
  existing: RuleJson[];
  rules: RuleJson[];
  warnings: string[];
}
interface Refused {
  error: string;
  message: string;
  issues: { field: string; message: string }[];
}
const shown = (rules: readonly RuleJson[]) => rules.map((r) => `${r.number}. ${r.filter} ${r.scope}`);

/** What `parley rules add` does with these words, through the ops module it calls. */
async function cliAdd(store: Store, c: ChannelRecord, source: 'discourse' | 'gitlab', filter: string, scopes: string[]) {
  const parsed = parseRule(source, filter, scopes, `parley rules add ${c.platform}:${c.externalId}`);
  assert.ok(parsed.ok, JSON.stringify(parsed));
  return addRules(store, c, { source, filter: parsed.filter, scopes: parsed.scopes }, 'cli');
}

describe('admin API changes: rules and identities', () => {
  test('rules added in the chat grammar, listed as /discourse status numbers them; added again, left as they are', async () => {
    const { app, store } = await build();
    const tg = await channel(store, 'telegram', '-1001');

    const first = await ok<Added>(call(app, 'POST', `/api/channels/${tg.id}/rules`, { filter: 'watch', scopes: ['c/meta', 't/release'] }), 201);
    assert.deepEqual(shown(first.added), ['1. watch c/meta', '2. watch t/release']);
    assert.deepEqual([first.existing, first.warnings], [[], []]);
    assert.ok(first.added.every((r) => r.createdBy === 'admin' && r.source === 'discourse' && r.channel === 'telegram:-1001' && r.channelId === tg.id));
    const mute = await ok<Added>(call(app, 'POST', `/api/channels/${tg.id}/rules`, { filter: 'mute', scopes: ['T/Spoilers'] }), 201);
    assert.deepEqual(shown(mute.added), ['1. mute t/spoilers'], 'most restrictive first');
    // Several scopes in one string, comma-separated, as in chat; `all` is a scope too.
    const follow = await ok<Added>(call(app, 'POST', `/api/channels/${tg.id}/rules`, { source: 'discourse', filter: 'follow', scopes: ['all', 'c/support/billing,t/release'] }), 201);
    assert.deepEqual(shown(follow.rules), ['1. mute t/spoilers', '2. watch c/meta', '3. watch t/release', '4. follow all', '5. follow c/support/billing', '6. follow t/release']);

    const listed = await ok<RuleJson[]>(call(app, 'GET', `/api/channels/${tg.id}/rules`));
    assert.deepEqual(listed, follow.rules, 'GET lists them as the answer numbered them');
    assert.deepEqual(
      (await numberedRules(store, tg.id)).map(({ number, rule }) => [number, rule.id]),
      listed.map((r) => [r.number, r.id]),
      'and as parley rules list numbers them',
    );

    const again = await ok<Added>(call(app, 'POST', `/api/channels/${tg.id}/rules`, { filter: 'watch', scopes: ['c/meta', 'c/new'] }), 201);
    assert.deepEqual([shown(again.added), shown(again.existing)], [['4. watch c/new'], ['2. watch c/meta']]);
    const nothingNew = await ok<Added>(call(app, 'POST', `/api/channels/${tg.id}/rules`, { filter: 'watch', scopes: ['c/meta'] }), 200);
    assert.deepEqual([nothingNew.added, shown(nothingNew.existing)], [[], ['2. watch c/meta']]);
    assert.equal((await store.rules.list(tg.id)).length, 7);

    assert.equal((await ok(call(app, 'POST', '/api/channels/9999/rules', { filter: 'watch', scopes: ['all'] }), 404)).error, 'not_found');
  });

  test('a scope the grammar refuses is named by its place in the body, with the grammar\'s message; nothing is added', async () => {
    const { app, store } = await build();
    const tg = await channel(store, 'telegram', '-1001');

    const bad = await ok<Refused>(call(app, 'POST', `/api/channels/${tg.id}/rules`, { filter: 'watch', scopes: ['c/meta', 'meta'] }), 400);
    assert.equal(bad.error, 'validation');
    assert.deepEqual(bad.issues, [{ field: 'body.scopes.1', message: '"meta" is not a scope: use all, c/CATEGORY, c/PARENT/CHILD or t/TAG' }]);
    assert.equal(bad.message, `body.scopes.1: ${bad.issues[0]!.message}`);

    // Each source's scopes: a forum category is no GitLab scope, a project needs its group.
    const gitlab = await ok<Refused>(call(app, 'POST', `/api/channels/${tg.id}/rules`, { source: 'gitlab', filter: 'watch', scopes: ['p/acme/web', 'g/acme', 'c/meta'] }), 400);
    assert.deepEqual(gitlab.issues, [{ field: 'body.scopes.2', message: '"c/meta" is not a scope: use all, p/GROUP/PROJECT, g/GROUP or l/LABEL' }]);
    const project = await ok<Refused>(call(app, 'POST', `/api/channels/${tg.id}/rules`, { source: 'gitlab', filter: 'watch', scopes: ['p/web'] }), 400);
    assert.deepEqual(project.issues.map((i) => i.field), ['body.scopes.0']);
    assert.match(project.issues[0]!.message, /^"p\/web" is not a project: use p\/GROUP\/PROJECT/u);
    // The second item of a comma-separated scope is still the scope at its index.
    const comma = await ok<Refused>(call(app, 'POST', `/api/channels/${tg.id}/rules`, { filter: 'watch', scopes: ['all', 't/ok,x/nope'] }), 400);
    assert.deepEqual(comma.issues.map((i) => i.field), ['body.scopes.1']);

    // What the schema refuses before the grammar sees it.
    const schema = async (body: object) => (await ok<Refused>(call(app, 'POST', `/api/channels/${tg.id}/rules`, body), 400)).issues.map((i) => i.field);
    assert.deepEqual(await schema({ filter: 'unwatch', scopes: ['all'] }), ['body.filter']);
    assert.deepEqual(await schema({ filter: 'watch', scopes: [] }), ['body.scopes']);
    assert.deepEqual(await schema({ filter: 'watch', scopes: ['c/meta', '  '] }), ['body.scopes.1']);
    assert.deepEqual(await schema({ source: 'github', filter: 'watch', scopes: ['all'] }), ['body.source']);

    assert.deepEqual(await store.rules.list(tg.id), [], 'nothing was added');
  });

  test('unknown forum categories and a pending channel are warnings: the rules are added', async () => {
    const { app, store } = await build();
    await store.categories.upsert({ id: 1, slug: 'meta', name: 'Meta', parentId: null, color: null, restricted: false });
    await store.categories.upsert({ id: 2, slug: 'support', name: 'Support', parentId: null, color: null, restricted: false });
    const mm = await channel(store, 'mattermost', 'town-square', 'pending');
    const added = await ok<Added>(call(app, 'POST', `/api/channels/${mm.id}/rules`, { filter: 'watch', scopes: ['c/meta', 'c/suport'] }), 201);
    assert.deepEqual(shown(added.added), ['1. watch c/meta', '2. watch c/suport']);
    assert.equal(added.warnings.length, 2, added.warnings.join('\n'));
    assert.match(added.warnings[0]!, /^Parley knows no forum category c\/suport \(nearest: c\/support, /u);
    assert.match(added.warnings[1]!, /is pending: nothing is delivered there until it is accepted \(POST \/api\/channels\/\d+\/accept\)/u);
  });

  test('rules removed by their number (per source), then listed again; a number out of range says the range', async () => {
    const { app, store } = await build();
    const tg = await channel(store, 'telegram', '-1001');
    await ok(call(app, 'POST', `/api/channels/${tg.id}/rules`, { filter: 'watch', scopes: ['c/meta', 't/release', 'all'] }), 201);
    await ok(call(app, 'POST', `/api/channels/${tg.id}/rules`, { source: 'gitlab', filter: 'watch', scopes: ['p/acme/web', 'g/acme'] }), 201);

    const removed = await ok<{ removed: RuleJson[]; rules: RuleJson[] }>(call(app, 'DELETE', `/api/channels/${tg.id}/rules/2`));
    assert.deepEqual(shown(removed.removed), ['2. watch t/release']);
    assert.deepEqual(shown(removed.rules), ['1. watch c/meta', '2. watch all']);
    const listed = await ok<RuleJson[]>(call(app, 'GET', `/api/channels/${tg.id}/rules`));
    assert.deepEqual(listed.filter((r) => r.source === 'discourse'), removed.rules);

    // GitLab's rules have numbers of their own, as /gitlab status shows them.
    const gitlab = await ok<{ removed: RuleJson[]; rules: RuleJson[] }>(call(app, 'DELETE', `/api/channels/${tg.id}/rules/1?source=gitlab`));
    assert.deepEqual([gitlab.removed.map((r) => `${r.source} ${r.number}. ${r.filter} ${r.scope}`), shown(gitlab.rules)], [['gitlab 1. watch p/acme/web'], ['1. watch g/acme']]);
    assert.deepEqual(
      (await store.rules.list(tg.id)).map(ruleText).sort(),
      ['watch all', 'watch c/meta', 'watch g/acme'],
    );

    const outOfRange = await ok<{ error: string; message: string }>(call(app, 'DELETE', `/api/channels/${tg.id}/rules/3`), 404);
    assert.deepEqual(outOfRange, { error: 'no_such_rule', message: `Channel ${tg.id} has no rule 3: its rules are numbered 1 to 2. Nothing was removed.` });
    const onlyOne = await ok<{ message: string }>(call(app, 'DELETE', `/api/channels/${tg.id}/rules/2?source=gitlab`), 404);
    assert.equal(onlyOne.message, `Channel ${tg.id} has no GitLab rule 2: its only rule is number 1. Nothing was removed.`);
    await ok(call(app, 'DELETE', `/api/channels/${tg.id}/rules/1?source=gitlab`));
    assert.equal((await ok<{ message: string }>(call(app, 'DELETE', `/api/channels/${tg.id}/rules/1?source=gitlab`), 404)).message, `Channel ${tg.id} has no GitLab rules, so there is nothing to remove.`);
    assert.equal((await store.rules.list(tg.id)).length, 2, 'a refused removal removes nothing');

    const fields = async (url: string) => (await ok<Refused>(call(app, 'DELETE', url), 400)).issues.map((i) => i.field);
    assert.deepEqual(await fields(`/api/channels/${tg.id}/rules/0`), ['params.number']);
    assert.deepEqual(await fields(`/api/channels/${tg.id}/rules/1?source=github`), ['querystring.source']);
    assert.equal((await ok(call(app, 'DELETE', '/api/channels/9999/rules/1'), 404)).error, 'not_found');
  });

  test('the API and the CLI\'s operations give the same rules, numbers and removals on the same store', async () => {
    const { app, store } = await build();
    const viaApi = await channel(store, 'telegram', '-1001');
    const viaCli = await channel(store, 'telegram', '-1002');
    const steps: [source: 'discourse' | 'gitlab', filter: 'watch' | 'follow' | 'thread' | 'mute', scopes: string[]][] = [
      ['discourse', 'watch', ['c/meta', 't/release']],
      ['discourse', 'mute', ['t/spoilers', 'c/meta']],
      ['gitlab', 'thread', ['p/acme/web', 'l/needs review']],
      ['discourse', 'follow', ['all', 'c/meta']],
    ];
    for (const [source, filter, scopes] of steps) {
      const api = await ok<Added>(call(app, 'POST', `/api/channels/${viaApi.id}/rules`, { source, filter, scopes }), 201);
      const cli = await cliAdd(store, viaCli, source, filter, scopes);
      assert.deepEqual(shown(api.rules), cli.rules.map(({ number, rule }) => `${number}. ${ruleText(rule)}`), `${source} ${filter} ${scopes.join(' ')}`);
      assert.deepEqual(api.added.map((r) => `${r.filter} ${r.scope}`), cli.added.map(ruleText));
    }
    const both = async () => [
      (await numberedRules(store, viaApi.id)).map(({ number, rule }) => `${rule.source} ${number}. ${ruleText(rule)}`),
      (await numberedRules(store, viaCli.id)).map(({ number, rule }) => `${rule.source} ${number}. ${ruleText(rule)}`),
    ];
    const [api, cli] = await both();
    assert.deepEqual(api, cli);
    assert.ok(api!.includes('gitlab 2. thread "l/needs review"'), api!.join('\n'));

    const removedApi = await ok<{ removed: RuleJson[] }>(call(app, 'DELETE', `/api/channels/${viaApi.id}/rules/3`));
    const removedCli = await removeRules(store, viaCli, 'discourse', [3]);
    assert.ok(removedCli.ok);
    assert.deepEqual(shown(removedApi.removed), removedCli.removed.map(({ number, rule }) => `${number}. ${ruleText(rule)}`));
    const [apiAfter, cliAfter] = await both();
    assert.deepEqual(apiAfter, cliAfter);

    // The CLI's words for a refused scope come from the same parse, with its own command in the example.
    const refused = parseRule('discourse', 'watch', ['c/meta', 'meta'], 'parley rules add telegram:-1002');
    assert.ok(!refused.ok && refused.problem.kind === 'bad_scope');
    assert.equal(refused.problem.index, 1);
    assert.match(refused.problem.message, /^"meta" is not a scope: .* Did you mean parley rules add telegram:-1002 watch c\/meta\?/u);
    assert.deepEqual(
      (await ok<Refused>(call(app, 'POST', `/api/channels/${viaApi.id}/rules`, { filter: 'watch', scopes: ['c/meta', 'meta'] }), 400)).issues[0]!.message,
      refused.problem.error,
    );
  });

  test('identities: linked, listed, replaced, unlinked, per source; the CLI\'s operations agree', async () => {
    const { app, store } = await build();
    type Identity = { platform: string; userId: string; source: string; username: string; createdBy: string | null; createdAt: string };
    type Linked = { change: string; identity: Identity; was: string | null };

    const created = await ok<Linked>(call(app, 'POST', '/api/identities', { platform: 'telegram', userId: '42', username: '@sara' }), 201);
    assert.deepEqual({ ...created, identity: { ...created.identity, createdAt: typeof created.identity.createdAt } }, {
      change: 'created',
      identity: { user: 'telegram:42', platform: 'telegram', userId: '42', source: 'discourse', username: 'sara', createdBy: 'admin', createdAt: 'string' },
      was: null,
    });
    assert.equal((await ok<Linked>(call(app, 'POST', '/api/identities', { platform: 'telegram', userId: '42', source: 'discourse', username: 'sara' }))).change, 'unchanged');
    const replaced = await ok<Linked>(call(app, 'POST', '/api/identities', { platform: 'telegram', userId: '42', username: 'sara_k' }));
    assert.deepEqual([replaced.change, replaced.identity.username, replaced.was], ['replaced', 'sara_k', 'sara']);
    await ok(call(app, 'POST', '/api/identities', { platform: 'telegram', userId: '42', source: 'gitlab', username: 'sk' }), 201);
    await ok(call(app, 'POST', '/api/identities', { platform: 'matrix', userId: '@ada:example.org', username: 'ada' }), 201);

    const listed = await ok<Identity[]>(call(app, 'GET', '/api/identities'));
    assert.deepEqual(listed.map((i) => `${i.platform}:${i.userId} ${i.source} ${i.username}`).sort(), [
      'matrix:@ada:example.org discourse ada',
      'telegram:42 discourse sara_k',
      'telegram:42 gitlab sk',
    ]);

    const fields = async (body: object) => (await ok<Refused>(call(app, 'POST', '/api/identities', body), 400)).issues.map((i) => i.field);
    assert.deepEqual(await fields({ platform: 'telegram', userId: '42', username: 'sara k' }), ['body.username']);
    assert.deepEqual(await fields({ platform: 'telegram', userId: '42', username: 'x'.repeat(61) }), ['body.username']);
    assert.deepEqual(await fields({ platform: 'myspace', userId: '42', username: 'sara' }), ['body.platform']);
    assert.deepEqual(await fields({ platform: 'telegram', userId: '4 2', username: 'sara' }), ['body.userId']);
    const refused = await ok<Refused>(call(app, 'POST', '/api/identities', { platform: 'telegram', userId: '42', username: 'sara k' }), 400);
    assert.match(refused.message, /^body\.username: "sara k" is not a forum username: give the username from the user's forum profile \(\/u\/USERNAME\)/u);
    assert.equal((await store.identities.get('telegram', '42', 'discourse'))?.username, 'sara_k', 'a refused link changes nothing');

    const removed = await ok<{ removed: Identity }>(call(app, 'DELETE', '/api/identities/telegram/42'));
    assert.deepEqual([removed.removed.source, removed.removed.username], ['discourse', 'sara_k']);
    assert.deepEqual(await ok(call(app, 'DELETE', '/api/identities/telegram/42'), 404), { error: 'not_found', message: 'There is no forum user linked to telegram:42.' });
    assert.equal((await ok<{ removed: Identity }>(call(app, 'DELETE', '/api/identities/telegram/42?source=gitlab'))).removed.username, 'sk');
    assert.equal((await ok<{ removed: Identity }>(call(app, 'DELETE', `/api/identities/matrix/${encodeURIComponent('@ada:example.org')}`))).removed.username, 'ada');
    assert.deepEqual(await ok(call(app, 'GET', '/api/identities')), []);

    // The CLI's operations on the same store: what the API linked, the CLI finds, and the other way round.
    await ok(call(app, 'POST', '/api/identities', { platform: 'telegram', userId: '7', username: 'bob' }), 201);
    assert.equal((await linkIdentity(store, { platform: 'telegram', userId: '7', source: 'discourse', username: 'bob' }, 'cli')).change, 'unchanged');
    assert.equal((await linkIdentity(store, { platform: 'telegram', userId: '8', source: 'gitlab', username: 'eve' }, 'cli')).change, 'created');
    const removedByCli = await unlinkIdentity(store, 'telegram', '7', 'discourse');
    assert.ok(removedByCli.ok && removedByCli.removed.createdBy === 'admin');
    assert.deepEqual((await ok<{ removed: Identity }>(call(app, 'DELETE', '/api/identities/telegram/8?source=gitlab'))).removed.createdBy, 'cli');
    assert.deepEqual(await unlinkIdentity(store, 'telegram', '8', 'gitlab'), { ok: false });
  });
});
