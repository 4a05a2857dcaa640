// A channel's rule changed in place over the admin API (PATCH /api/channels/:id/rules/:number, cli/rule-ops.ts
// editRule): its filter, its scope or both, the other rules left as they were and every rule numbered again as
// /discourse status numbers them; a scope the grammar refuses named as body.scope; a number the channel lacks, 404.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { numberedRules, ruleText } from '../../cli/rule-ops.js';
import { parseScope, type Filter, type SourceName } from '../../lib/rules.js';
import type { ChannelRecord } from '../../lib/seams/store.js';
import type { Store } from '../../lib/store/index.js';
import { buildAdminApi } from '../helpers/admin-api.js';

const TOKEN = 'tok-admin-api-rule-edit-8e41';

async function build(): Promise<{ app: FastifyInstance; store: Store; channel: ChannelRecord }> {
  const { app, store } = await buildAdminApi({ token: TOKEN });
  const { channel } = await store.channels.ensure({ platform: 'telegram', externalId: '-1001', name: 'Releases', status: 'active', addedBy: 'cli' });
  return { app, store, channel };
}

async function rule(store: Store, channelId: number, filter: Filter, scope: string, source: SourceName = 'discourse') {
  const parsed = parseScope(scope, source);
  assert.ok(parsed.ok, scope);
  return (await store.rules.add({ channelId, source, filter, scope: parsed.scope, createdBy: 'telegram:42' })).rule;
}

async function patch(app: FastifyInstance, url: string, payload?: object) {
  return app.inject({ method: 'PATCH', url, headers: { authorization: `Bearer ${TOKEN}` }, ...(payload ? { payload } : {}) });
}

async function ok<T>(res: Promise<LightMyRequestResponse>, status = 200): Promise<T> {
  const r = await res;
  assert.equal(r.statusCode, status, r.body);
  return r.json<T>();
}

interface RuleJson {
  number: number;
  id: number;
  filter: string;
  scope: string;
  source: string;
  createdBy: string | null;
}
interface Edited {
  removed: RuleJson[];
  added: RuleJson[];
  rules: RuleJson[];
  warnings: string[];
}
const shown = (rules: readonly RuleJson[]) => rules.map((r) => `${r.number}. ${r.filter} ${r.scope}`);
const listed = async (store: Store, channelId: number, source?: SourceName) => (await numberedRules(store, channelId, source)).map(({ number, rule }) => `${number}. ${ruleText(rule)}`);

describe('admin API: a rule edited', () => {
  test('its filter changed: the rule moves to its place in the status order, the others keep theirs', async () => {
    const { app, store, channel } = await build();
    await rule(store, channel.id, 'watch', 'c/meta');
    await rule(store, channel.id, 'watch', 't/release');
    await rule(store, channel.id, 'follow', 'all');
    assert.deepEqual(await listed(store, channel.id), ['1. watch c/meta', '2. watch t/release', '3. follow all']);

    const edited = await ok<Edited>(patch(app, `/api/channels/${channel.id}/rules/2`, { filter: 'mute' }));
    assert.deepEqual(shown(edited.removed), ['2. watch t/release']);
    assert.deepEqual(shown(edited.added), ['1. mute t/release'], 'mute comes first, as /discourse status orders it');
    assert.equal(edited.added[0]!.createdBy, 'admin');
    assert.deepEqual(shown(edited.rules), ['1. mute t/release', '2. watch c/meta', '3. follow all']);
    assert.deepEqual(await listed(store, channel.id), shown(edited.rules), 'as parley rules list numbers them');
    assert.deepEqual(edited.warnings, []);
  });

  test('its scope changed (in the chat grammar), or both; an unknown category is a warning, not a refusal', async () => {
    const { app, store, channel } = await build();
    await store.categories.replaceAll([{ id: 1, slug: 'meta', name: 'Meta', parentId: null, color: null, restricted: false }]);
    await rule(store, channel.id, 'watch', 'c/meta');
    await rule(store, channel.id, 'follow', 'all');

    const scope = await ok<Edited>(patch(app, `/api/channels/${channel.id}/rules/1`, { scope: 'T/Release' }));
    assert.deepEqual([shown(scope.removed), shown(scope.added)], [['1. watch c/meta'], ['1. watch t/release']]);
    const both = await ok<Edited>(patch(app, `/api/channels/${channel.id}/rules/2`, { filter: 'thread', scope: 'c/metta' }));
    assert.deepEqual(shown(both.rules), ['1. thread c/metta', '2. watch t/release']);
    assert.equal(both.warnings.length, 1);
    assert.match(both.warnings[0]!, /c\/metta .*nearest: c\/meta/u);
  });

  test('GitLab rules are numbered on their own (?source=gitlab); the Discourse rules are untouched', async () => {
    const { app, store, channel } = await build();
    await rule(store, channel.id, 'watch', 'all');
    await rule(store, channel.id, 'watch', 'p/acme/web', 'gitlab');
    const edited = await ok<Edited>(patch(app, `/api/channels/${channel.id}/rules/1?source=gitlab`, { scope: 'g/acme' }));
    assert.deepEqual(shown(edited.rules), ['1. watch g/acme']);
    assert.ok(edited.rules.every((r) => r.source === 'gitlab'));
    assert.deepEqual(await listed(store, channel.id, 'discourse'), ['1. watch all']);
  });

  test('made the same as another rule: the two become one; made the same as itself: nothing changes', async () => {
    const { app, store, channel } = await build();
    const meta = await rule(store, channel.id, 'watch', 'c/meta');
    await rule(store, channel.id, 'follow', 'c/meta');
    const merged = await ok<Edited>(patch(app, `/api/channels/${channel.id}/rules/2`, { filter: 'watch' }));
    assert.deepEqual([shown(merged.removed), merged.added], [['2. follow c/meta'], []]);
    assert.deepEqual(shown(merged.rules), ['1. watch c/meta']);
    assert.equal(merged.rules[0]!.id, meta.id, 'the rule that was there stays');

    const same = await ok<Edited>(patch(app, `/api/channels/${channel.id}/rules/1`, { filter: 'watch', scope: 'c/META' }));
    assert.deepEqual([same.removed, same.added, shown(same.rules)], [[], [], ['1. watch c/meta']]);
    assert.equal(same.rules[0]!.id, meta.id);
  });

  test('refusals: a scope named as body.scope with the grammar\'s words, one scope only, a number or channel that is not there; nothing changes', async () => {
    const { app, store, channel } = await build();
    await rule(store, channel.id, 'watch', 'c/meta');
    const before = await store.rules.list(channel.id);
    type Refused = { error: string; issues: { field: string; message: string }[] };

    const bad = await ok<Refused>(patch(app, `/api/channels/${channel.id}/rules/1`, { scope: 'meta' }), 400);
    assert.deepEqual(bad.issues, [{ field: 'body.scope', message: '"meta" is not a scope: use all, c/CATEGORY, c/PARENT/CHILD or t/TAG' }]);
    const gitlabScope = await ok<Refused>(patch(app, `/api/channels/${channel.id}/rules/1`, { scope: 'p/acme/web' }), 400);
    assert.deepEqual(gitlabScope.issues.map((i) => i.field), ['body.scope'], 'a GitLab scope is no Discourse scope');
    const two = await ok<Refused>(patch(app, `/api/channels/${channel.id}/rules/1`, { scope: 'c/a,c/b' }), 400);
    assert.match(two.issues[0]!.message, /^one scope, not 2/u);
    const filter = await ok<Refused>(patch(app, `/api/channels/${channel.id}/rules/1`, { filter: 'wacth' }), 400);
    assert.deepEqual(filter.issues.map((i) => i.field), ['body.filter']);
    const empty = await ok<Refused>(patch(app, `/api/channels/${channel.id}/rules/1`, {}), 400);
    assert.deepEqual(empty.issues.map((i) => i.field), ['body']);

    const missing = await ok<{ error: string; message: string }>(patch(app, `/api/channels/${channel.id}/rules/4`, { filter: 'mute' }), 404);
    assert.equal(missing.error, 'no_such_rule');
    assert.match(missing.message, /has no rule 4: its only rule is number 1\. Nothing was changed\./u);
    assert.match((await ok<{ message: string }>(patch(app, `/api/channels/${channel.id}/rules/1?source=gitlab`, { filter: 'mute' }), 404)).message, /has no GitLab rules/u);
    assert.equal((await ok<{ error: string }>(patch(app, '/api/channels/9999/rules/1', { filter: 'mute' }), 404)).error, 'not_found');
    assert.deepEqual(await store.rules.list(channel.id), before);
  });
});
