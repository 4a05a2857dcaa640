// Adding a channel with its settings over the admin API (POST /api/channels) and changing them (PATCH
// /api/channels/:id), checked by the same code as `parley channels add` (cli/channel-ops.ts, settingsPatch): each
// refused setting named by its field, nothing stored when one is refused, secrets masked in every answer.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { settingsPatch } from '../../cli/channel-ops.js';
import type { Store } from '../../lib/store/index.js';
import { buildAdminApi } from '../helpers/admin-api.js';

const TOKEN = 'tok-admin-api-channel-settings-3c9a';
const WEBHOOK = 'https://chat.example.org/hooks/s3cr3tk3y0123456789';

async function build(): Promise<{ app: FastifyInstance; store: Store }> {
  const { app, store } = await buildAdminApi({ token: TOKEN });
  return { app, store };
}

async function call(app: FastifyInstance, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) {
  return app.inject({ method, url, headers: { authorization: `Bearer ${TOKEN}` }, ...(payload ? { payload } : {}) });
}

async function ok<T = Record<string, unknown>>(res: Promise<LightMyRequestResponse>, status = 200): Promise<T> {
  const r = await res;
  assert.equal(r.statusCode, status, r.body);
  return r.json<T>();
}

interface ChannelJson {
  id: number;
  channel: string;
  status: string;
  name: string;
  addedBy: string | null;
  settings: Record<string, unknown>;
}
interface Refused {
  error: string;
  message: string;
  issues: { field: string; message: string }[];
}

describe('admin API: channels added and their settings changed', () => {
  test('POST /api/channels adds an active channel with its settings, as parley channels add does; a second time is 409', async () => {
    const { app, store } = await build();
    const res = await call(app, 'POST', '/api/channels', {
      platform: 'mattermost',
      externalId: '4xp9fdt7',
      name: ' Town Square ',
      settings: { webhookUrl: WEBHOOK, timezone: ' Europe/Berlin ', defaultCategory: 'c/Support/Billing', transcriptTarget: 'gitlab:p/ops/incidents' },
    });
    const added = await ok<ChannelJson>(Promise.resolve(res), 201);
    assert.deepEqual(
      { channel: added.channel, status: added.status, name: added.name, addedBy: added.addedBy },
      { channel: 'mattermost:4xp9fdt7', status: 'active', name: 'Town Square', addedBy: 'admin' },
    );
    assert.deepEqual(added.settings, { webhookUrl: 'https://chat.example.org/…', timezone: 'Europe/Berlin', defaultCategory: 'support/billing', transcriptTarget: 'gitlab:ops/incidents' });
    assert.ok(!res.body.includes('s3cr3t'), 'the webhook URL is masked in the answer');
    const stored = await store.channels.get(added.id);
    assert.equal(stored?.settings.webhookUrl, WEBHOOK, 'and kept whole');
    assert.deepEqual((await ok<ChannelJson>(call(app, 'GET', `/api/channels/${added.id}`))).settings, added.settings);

    const again = await ok<{ error: string; message: string }>(call(app, 'POST', '/api/channels', { platform: 'mattermost', externalId: '4xp9fdt7', name: 'Other' }), 409);
    assert.equal(again.error, 'exists');
    assert.match(again.message, new RegExp(`id ${added.id}.*PATCH /api/channels/${added.id}`, 'u'));
    assert.equal((await store.channels.get(added.id))?.name, 'Town Square', 'the existing channel is left as it is');

    // A pending channel (the bot invited by someone not allowed to) is there already too: the answer says how to accept it.
    const pending = (await store.channels.ensure({ platform: 'telegram', externalId: '-100', name: 'Invited', status: 'pending', addedBy: 'telegram:9' })).channel;
    assert.match((await ok<{ message: string }>(call(app, 'POST', '/api/channels', { platform: 'telegram', externalId: '-100' }), 409)).message, new RegExp(`POST /api/channels/${pending.id}/accept`, 'u'));
  });

  test('every refused setting is named by its field, with the reason; nothing is added', async () => {
    const { app, store } = await build();
    const refused = await ok<Refused>(
      call(app, 'POST', '/api/channels', {
        platform: 'telegram',
        externalId: '-1001',
        settings: { webhookUrl: WEBHOOK, timezone: 'Europe/Atlantis', defaultCategory: 'a/b/c', transcriptTarget: 'jira:OPS' },
      }),
      400,
    );
    assert.equal(refused.error, 'validation');
    assert.deepEqual(
      refused.issues.map((i) => i.field),
      ['body.settings.webhookUrl', 'body.settings.defaultCategory', 'body.settings.transcriptTarget', 'body.settings.timezone'],
    );
    const message = (field: string) => refused.issues.find((i) => i.field === field)?.message ?? '';
    assert.match(message('body.settings.webhookUrl'), /a Mattermost setting .*: telegram channels have no such setting/u);
    assert.match(message('body.settings.timezone'), /"Europe\/Atlantis" is not an IANA time zone/u);
    assert.match(message('body.settings.transcriptTarget'), /"jira:OPS" is not a transcript target: give gitlab:GROUP\/PROJECT/u);
    assert.match(message('body.settings.defaultCategory'), /"c\/a\/b\/c" is not a category: use c\/SLUG or c\/PARENT\/CHILD/u);
    for (const issue of refused.issues) assert.ok(refused.message.includes(`${issue.field}: ${issue.message}`), refused.message);
    assert.ok(!JSON.stringify(refused).includes('s3cr3t'), 'a refused secret is not echoed');
    assert.deepEqual(await store.channels.list(), []);

    // The platform's own check, in its words; a setting that is no one's, and a missing id, are the schema's.
    const scheme = await ok<Refused>(call(app, 'POST', '/api/channels', { platform: 'mattermost', externalId: 'abc', settings: { webhookUrl: 'ftp://chat.example.org/hooks/key' } }), 400);
    assert.deepEqual(scheme.issues.map((i) => i.field), ['body.settings.webhookUrl']);
    assert.match(scheme.issues[0]!.message, /must be an http:\/\/ or https:\/\/ URL/u);
    const schema = await ok<Refused>(call(app, 'POST', '/api/channels', { platform: 'myspace', externalId: 'a b', settings: { colour: 'red' } }), 400);
    assert.deepEqual(schema.issues.map((i) => i.field).sort(), ['body.externalId', 'body.platform', 'body.settings']);
    assert.deepEqual(await store.channels.list(), []);
  });

  test("PATCH /api/channels/:id changes the settings given ('' removes one), the name, or both; a refused one changes nothing", async () => {
    const { app, store } = await build();
    const { channel } = await store.channels.ensure({
      platform: 'mattermost',
      externalId: 'ops',
      name: 'Ops',
      status: 'error',
      addedBy: 'cli',
      settings: { webhookUrl: WEBHOOK, timezone: 'UTC', defaultCategory: 'meta' },
    });

    const changed = await ok<ChannelJson>(call(app, 'PATCH', `/api/channels/${channel.id}`, { settings: { timezone: 'Asia/Tokyo', defaultCategory: '' } }));
    assert.deepEqual(changed.settings, { webhookUrl: 'https://chat.example.org/…', timezone: 'Asia/Tokyo' });
    assert.equal(changed.name, 'Ops');
    assert.equal(changed.status, 'error', 'settings do not change the status');
    assert.deepEqual((await store.channels.get(channel.id))?.settings, { webhookUrl: WEBHOOK, timezone: 'Asia/Tokyo' });

    const both = await ok<ChannelJson>(call(app, 'PATCH', `/api/channels/${channel.id}`, { name: 'Operations', settings: { webhookUrl: '' } }));
    assert.deepEqual([both.name, both.settings], ['Operations', { timezone: 'Asia/Tokyo' }]);

    const refused = await ok<Refused>(call(app, 'PATCH', `/api/channels/${channel.id}`, { name: 'Never', settings: { timezone: 'Mars/Olympus' } }), 400);
    assert.deepEqual(refused.issues.map((i) => i.field), ['body.settings.timezone']);
    const after = await store.channels.get(channel.id);
    assert.deepEqual([after?.name, after?.settings], ['Operations', { timezone: 'Asia/Tokyo' }], 'neither the name nor the settings changed');

    const nothing = await ok<Refused>(call(app, 'PATCH', `/api/channels/${channel.id}`, {}), 400);
    assert.deepEqual(nothing.issues.map((i) => i.field), ['body']);
    assert.equal((await ok<{ error: string }>(call(app, 'PATCH', '/api/channels/9999', { settings: { timezone: 'UTC' } }), 404)).error, 'not_found');
  });

  test('the API and parley channels add read settings alike: one patch, one set of problems', () => {
    const given = { timezone: ' UTC ', defaultCategory: 'C/Meta', transcriptTarget: 'forum', webhookUrl: '' };
    assert.deepEqual(settingsPatch('telegram', given), { ok: true, patch: { webhookUrl: '', defaultCategory: 'meta', transcriptTarget: '', timezone: 'UTC' } });
    const refused = settingsPatch('telegram', { webhookUrl: WEBHOOK, timezone: 'Nowhere/Land' });
    assert.ok(!refused.ok);
    assert.deepEqual(refused.problems.map((p) => [p.key, p.kind]), [['webhookUrl', 'other_platform'], ['timezone', 'bad_zone']]);
  });
});
