// The store against real databases: the same suite on a SQLite file, SQLite :memory: and PostgreSQL.
// PostgreSQL (127.0.0.1:5432, database `test`, or PARLEY_TEST_POSTGRES_URL) isolates every test in a schema
// of its own, `parley_test_<random>`, reached through the URL's `options=-c search_path=…` and dropped after.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import type { DatabaseTarget } from '../../lib/config.js';
import { openStore } from '../../lib/store/index.js';
import { migrateToLatest } from '../../lib/store/migrations.js';
import type { Store } from '../../lib/seams/store.js';
import type { ChatMessage } from '../../lib/transcript/types.js';

const PG_URL = process.env.PARLEY_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
/** The id of the only channel. */
const channelId0 = (channels: readonly { id: number }[]): number => channels[0]!.id;
const STORE_MODULE = new URL('../../lib/store/index.ts', import.meta.url).href;

/** A fresh, empty database for one test, and how to throw it away. */
interface Fresh {
  target: DatabaseTarget;
  /** False for :memory:, which dies with its connection. */
  persistent: boolean;
  /** A Kysely on the same database, for running the migrator by hand. */
  kysely(): Kysely<unknown>;
  drop(): Promise<void>;
}

interface Backend {
  name: string;
  setup?(): Promise<void>;
  teardown?(): Promise<void>;
  fresh(): Promise<Fresh>;
}

function sqliteFile(): Backend {
  return {
    name: 'sqlite file',
    async fresh() {
      const dir = mkdtempSync(path.join(tmpdir(), 'parley-store-'));
      // A folder that does not exist yet: openStore must create it.
      const file = path.join(dir, 'nested', 'parley.db');
      return {
        target: { kind: 'sqlite', path: file },
        persistent: true,
        kysely: () => new Kysely<unknown>({ dialect: new SqliteDialect({ database: new BetterSqlite3(file) }) }),
        async drop() {
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  };
}

function sqliteMemory(): Backend {
  return {
    name: 'sqlite :memory:',
    async fresh() {
      return {
        target: { kind: 'sqlite', path: ':memory:' },
        persistent: false,
        kysely: () => {
          throw new Error('a :memory: database cannot be opened twice');
        },
        async drop() {},
      };
    },
  };
}

function postgres(): Backend {
  let admin: pg.Pool | undefined;
  return {
    name: 'postgres',
    async setup() {
      admin = new pg.Pool({ connectionString: PG_URL, max: 2 });
      await admin.query('select 1');
    },
    async teardown() {
      await admin?.end();
    },
    async fresh() {
      const schema = `parley_test_${randomBytes(6).toString('hex')}`;
      await admin!.query(`create schema ${schema}`);
      const url = new URL(PG_URL);
      url.searchParams.set('options', `-c search_path=${schema}`);
      return {
        target: { kind: 'postgres', url: url.toString() },
        persistent: true,
        kysely: () => new Kysely<unknown>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url.toString(), max: 1 }) }) }),
        async drop() {
          await admin!.query(`drop schema if exists ${schema} cascade`);
        },
      };
    },
  };
}

/** Opens a store on a fresh database, runs fn, and always closes and drops both. */
async function withStore(backend: Backend, fn: (store: Store, fresh: Fresh) => Promise<void>): Promise<void> {
  const fresh = await backend.fresh();
  try {
    const store = await openStore(fresh.target);
    try {
      await fn(store, fresh);
    } finally {
      await store.close();
    }
  } finally {
    await fresh.drop();
  }
}

const telegram = (externalId: string, name = `chat ${externalId}`) =>
  ({ platform: 'telegram', externalId, name, status: 'active', addedBy: 'cli' }) as const;

function chat(
  id: string,
  sentAt: Date,
  markdown: string,
  author: ChatMessage['author'] = { id: 'u1', username: 'ada', displayName: 'Ada', isBot: false },
  attachments: ChatMessage['attachments'] = [],
): ChatMessage {
  return { id, author, sentAt, markdown, attachments };
}

function assertRecent(at: Date, before: Date, after: Date): void {
  assert.ok(at instanceof Date && !Number.isNaN(at.getTime()), 'a valid Date');
  assert.ok(at >= before && at <= after, `${at.toISOString()} within ${before.toISOString()}..${after.toISOString()}`);
}

/**
 * Starts `count` processes that each open the store and add the same channel and rule, all released
 * at once after every one has loaded its modules. Resolves with what each one saw.
 */
async function racingProcesses(target: DatabaseTarget, count: number): Promise<{ channelId: number; channelCreated: boolean; ruleId: number; ruleCreated: boolean }[]> {
  const code = `
    const { openStore } = await import(${JSON.stringify(STORE_MODULE)});
    const target = JSON.parse(process.env.PARLEY_TEST_TARGET);
    process.stdout.write('ready\\n');
    await new Promise((resolve) => process.stdin.once('data', resolve));
    const store = await openStore(target);
    const c = await store.channels.ensure({ platform: 'mattermost', externalId: 'shared', name: 'Shared', status: 'active', addedBy: null });
    const r = await store.rules.add({ channelId: c.channel.id, source: 'discourse', filter: 'watch', scope: { type: 'tag', name: 'release' }, createdBy: null });
    await store.close();
    process.stdout.write(JSON.stringify({ channelId: c.channel.id, channelCreated: c.created, ruleId: r.rule.id, ruleCreated: r.created }) + '\\n');
    process.stdin.destroy();
  `;
  const children = Array.from({ length: count }, () =>
    spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      env: { ...process.env, PARLEY_TEST_TARGET: JSON.stringify(target) },
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: 60_000,
    }),
  );
  const outputs = children.map((child) => {
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const ready = new Promise<void>((resolve, reject) => {
      child.stdout.on('data', () => out.includes('ready\n') && resolve());
      child.once('exit', () => reject(new Error(`child exited before it was ready: ${err}`)));
    });
    const done = new Promise<string>((resolve, reject) =>
      child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`child exited with ${code}: ${err}`)))),
    );
    return { ready, done };
  });
  try {
    await Promise.all(outputs.map((o) => o.ready));
    for (const child of children) child.stdin.write('go\n');
    const texts = await Promise.all(outputs.map((o) => o.done));
    return texts.map((t) => JSON.parse(t.trim().split('\n').at(-1)!) as { channelId: number; channelCreated: boolean; ruleId: number; ruleCreated: boolean });
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill();
  }
}

function storeSuite(backend: Backend): void {
  void describe(backend.name, () => {
    before(async () => backend.setup?.());
    after(async () => backend.teardown?.());

    void test('opens, answers ping, and reports its dialect', () =>
      withStore(backend, async (store, fresh) => {
        await store.ping();
        assert.equal(store.dialect, fresh.target.kind);
        if (fresh.target.kind === 'sqlite' && fresh.persistent) assert.ok(existsSync(fresh.target.path), 'the SQLite file and its folder were created');
      }));

    void test('channels: ensure creates once and then returns the existing channel unchanged', () =>
      withStore(backend, async (store) => {
        const before = new Date();
        const first = await store.channels.ensure({ ...telegram('-100123', 'Équipe 🚀 日本語'), settings: { timezone: 'Europe/Berlin', defaultCategory: 'meta' } });
        const after = new Date();
        assert.equal(first.created, true);
        assert.equal(first.channel.platform, 'telegram');
        assert.equal(first.channel.externalId, '-100123');
        assert.equal(first.channel.name, 'Équipe 🚀 日本語');
        assert.equal(first.channel.status, 'active');
        assert.equal(first.channel.addedBy, 'cli');
        assert.equal(first.channel.lastError, null);
        assert.deepEqual(first.channel.settings, { timezone: 'Europe/Berlin', defaultCategory: 'meta' });
        assertRecent(first.channel.createdAt, before, after);

        const again = await store.channels.ensure({ ...telegram('-100123', 'Renamed'), status: 'pending' });
        assert.equal(again.created, false);
        assert.deepEqual(again.channel, first.channel);

        // The same external id on another platform is another channel.
        const other = await store.channels.ensure({ ...telegram('-100123'), platform: 'mattermost' });
        assert.equal(other.created, true);
        assert.notEqual(other.channel.id, first.channel.id);
      }));

    void test('channels: get, find and list', () =>
      withStore(backend, async (store) => {
        const a = (await store.channels.ensure(telegram('1'))).channel;
        const b = (await store.channels.ensure({ ...telegram('2'), platform: 'mattermost' })).channel;
        const c = (await store.channels.ensure(telegram('3'))).channel;
        assert.deepEqual(await store.channels.get(b.id), b);
        assert.equal(await store.channels.get(9999), undefined);
        assert.deepEqual(await store.channels.find('telegram', '3'), c);
        assert.equal(await store.channels.find('mattermost', '3'), undefined);
        assert.deepEqual((await store.channels.list()).map((x) => x.id), [a.id, b.id, c.id]);
        assert.deepEqual((await store.channels.list({ platform: 'telegram' })).map((x) => x.id), [a.id, c.id]);
        assert.deepEqual(await store.channels.list({ platform: 'slack' }), []);
      }));

    void test('channels: update changes only what the patch names, settings round-trip as JSON', () =>
      withStore(backend, async (store) => {
        const ch = (await store.channels.ensure({ ...telegram('1'), status: 'pending' })).channel;
        const settings = { webhookUrl: 'https://mm.example.org/hooks/abc?x="quoted"', defaultCategory: 'support/billing', timezone: 'Asia/Tokyo' };
        await store.channels.update(ch.id, { settings });
        let got = await store.channels.get(ch.id);
        assert.deepEqual(got?.settings, settings);
        assert.equal(got?.status, 'pending');
        assert.equal(got?.name, ch.name);

        await store.channels.update(ch.id, { status: 'active', name: 'Ωmega ✓' });
        got = await store.channels.get(ch.id);
        assert.equal(got?.status, 'active');
        assert.equal(got?.name, 'Ωmega ✓');
        assert.deepEqual(got?.settings, settings);

        await store.channels.update(ch.id, {});
        assert.deepEqual(await store.channels.get(ch.id), got);
      }));

    void test('channels: setError marks error with the reason; clearError reactivates only an errored channel', () =>
      withStore(backend, async (store) => {
        const ch = (await store.channels.ensure(telegram('1'))).channel;
        const before = new Date();
        await store.channels.setError(ch.id, { code: 'bot_removed', message: 'the bot was removed from the chat' });
        const after = new Date();
        const errored = await store.channels.get(ch.id);
        assert.equal(errored?.status, 'error');
        assert.equal(errored?.lastError?.code, 'bot_removed');
        assert.equal(errored?.lastError?.message, 'the bot was removed from the chat');
        assertRecent(errored.lastError.at, before, after);

        await store.channels.clearError(ch.id);
        const cleared = await store.channels.get(ch.id);
        assert.equal(cleared?.status, 'active');
        assert.deepEqual(cleared?.lastError, errored?.lastError, 'the last error is kept for the record');

        const pending = (await store.channels.ensure({ ...telegram('2'), status: 'pending' })).channel;
        await store.channels.clearError(pending.id);
        assert.equal((await store.channels.get(pending.id))?.status, 'pending');
      }));

    void test("channels: setError keeps the platform's raw answer with that error only; unicode and a long body round-trip", () =>
      withStore(backend, async (store) => {
        const ch = (await store.channels.ensure(telegram('1'))).channel;
        const raw = `{"ok":false,"error_code":403,"description":"Forbidden: bot was kicked from the group chat ✗ 日本"}${' '.repeat(1500)}.`;
        await store.channels.setError(ch.id, { code: 'bot_removed', message: 'The bot was removed', raw });
        assert.equal((await store.channels.get(ch.id))?.lastError?.raw, raw);
        assert.equal((await store.channels.list())[0]?.lastError?.raw, raw, 'list reads it too');

        await store.channels.setError(ch.id, { code: 'token_revoked', message: 'Telegram refused the bot token' });
        const next = await store.channels.get(ch.id);
        assert.deepEqual([next?.lastError?.code, next?.lastError?.raw], ['token_revoked', null], "an error without an answer does not keep the last one's");
        await store.channels.setError(ch.id, { code: 'forbidden', message: 'no', raw: null });
        assert.equal((await store.channels.get(ch.id))?.lastError?.raw, null);
      }));

    void test('settings: unset until set; set replaces, with who and when; delete says whether there was one', () =>
      withStore(backend, async (store) => {
        assert.equal(await store.settings.get('transcriptGroups'), undefined);
        const before = new Date();
        await store.settings.set('transcriptGroups', ['staff', 'Support-Team'], 'admin');
        const after = new Date();
        const first = await store.settings.get('transcriptGroups');
        assert.deepEqual([first?.value, first?.updatedBy], [['staff', 'Support-Team'], 'admin']);
        assertRecent(first!.updatedAt, before, after);
        await store.settings.set('transcriptGroups', [], null);
        const emptied = await store.settings.get('transcriptGroups');
        assert.deepEqual([emptied?.value, emptied?.updatedBy], [[], null], 'an empty list is a setting too (forum admins only)');
        assert.equal(await store.settings.delete('transcriptGroups'), true);
        assert.equal(await store.settings.get('transcriptGroups'), undefined);
        assert.equal(await store.settings.delete('transcriptGroups'), false);
      }));

    void test('channels: remove cascades to rules and deliveries, and says whether there was one', () =>
      withStore(backend, async (store) => {
        const keep = (await store.channels.ensure(telegram('keep'))).channel;
        const gone = (await store.channels.ensure(telegram('gone'))).channel;
        await store.rules.add({ channelId: keep.id, source: 'discourse', filter: 'watch', scope: { type: 'all' }, createdBy: null });
        await store.rules.add({ channelId: gone.id, source: 'discourse', filter: 'watch', scope: { type: 'all' }, createdBy: null });
        await store.rules.add({ channelId: gone.id, source: 'discourse', filter: 'mute', scope: { type: 'tag', name: 'spoiler' }, createdBy: null });
        await store.deliveries.create({ jobId: `post-7:${gone.id}`, eventKey: 'post-7', channelId: gone.id, subject: 'discourse:post:7', thread: 'discourse:topic:3', opens: true });
        await store.deliveries.create({ jobId: `post-7:${keep.id}`, eventKey: 'post-7', channelId: keep.id, subject: 'discourse:post:7', thread: 'discourse:topic:3', opens: true });

        assert.equal(await store.channels.remove(gone.id), true);
        assert.equal(await store.channels.get(gone.id), undefined);
        assert.deepEqual(await store.rules.list(gone.id), []);
        assert.deepEqual((await store.rules.all()).map((r) => r.channelId), [keep.id]);
        assert.deepEqual((await store.deliveries.findBySubject('discourse:post:7')).map((d) => d.channelId), [keep.id]);
        assert.equal(await store.deliveries.getByJobId(`post-7:${gone.id}`), undefined);

        assert.equal(await store.channels.remove(gone.id), false);
      }));

    void test('rules: add is idempotent per channel, filter and scope; scopes round-trip', () =>
      withStore(backend, async (store) => {
        const ch = (await store.channels.ensure(telegram('1'))).channel;
        const before = new Date();
        const all = await store.rules.add({ channelId: ch.id, source: 'discourse', filter: 'watch', scope: { type: 'all' }, createdBy: 'telegram:42' });
        const after = new Date();
        assert.equal(all.created, true);
        assert.equal(all.rule.channelId, ch.id);
        assert.equal(all.rule.filter, 'watch');
        assert.deepEqual(all.rule.scope, { type: 'all' });
        assert.equal(all.rule.createdBy, 'telegram:42');
        assertRecent(all.rule.createdAt, before, after);

        const dup = await store.rules.add({ channelId: ch.id, source: 'discourse', filter: 'watch', scope: { type: 'all' }, createdBy: 'someone-else' });
        assert.equal(dup.created, false);
        assert.deepEqual(dup.rule, all.rule);

        const cat = await store.rules.add({ channelId: ch.id, source: 'discourse', filter: 'follow', scope: { type: 'category', path: 'support/billing' }, createdBy: null });
        const tag = await store.rules.add({ channelId: ch.id, source: 'discourse', filter: 'mute', scope: { type: 'tag', name: 'ünïcødé-标签' }, createdBy: null });
        // Same scope, another filter: another rule. Same filter, another scope type with the same text: another rule.
        const muteAll = await store.rules.add({ channelId: ch.id, source: 'discourse', filter: 'mute', scope: { type: 'all' }, createdBy: null });
        const tagMeta = await store.rules.add({ channelId: ch.id, source: 'discourse', filter: 'follow', scope: { type: 'tag', name: 'support/billing' }, createdBy: null });
        for (const r of [cat, tag, muteAll, tagMeta]) assert.equal(r.created, true);
        assert.deepEqual(cat.rule.scope, { type: 'category', path: 'support/billing' });
        assert.deepEqual(tag.rule.scope, { type: 'tag', name: 'ünïcødé-标签' });

        const listed = await store.rules.list(ch.id);
        assert.deepEqual(listed, [all.rule, cat.rule, tag.rule, muteAll.rule, tagMeta.rule]);

        const other = (await store.channels.ensure(telegram('2'))).channel;
        const otherRule = await store.rules.add({ channelId: other.id, source: 'discourse', filter: 'watch', scope: { type: 'all' }, createdBy: null });
        assert.equal(otherRule.created, true, 'the same rule in another channel is its own');
        assert.deepEqual(await store.rules.list(other.id), [otherRule.rule]);
        assert.deepEqual((await store.rules.all()).map((r) => r.id), [...listed.map((r) => r.id), otherRule.rule.id]);
      }));

    void test('rules: remove says whether there was one; a rule needs an existing channel', () =>
      withStore(backend, async (store) => {
        const ch = (await store.channels.ensure(telegram('1'))).channel;
        const { rule } = await store.rules.add({ channelId: ch.id, source: 'discourse', filter: 'thread', scope: { type: 'category', path: 'meta' }, createdBy: null });
        assert.equal(await store.rules.remove(rule.id), true);
        assert.deepEqual(await store.rules.list(ch.id), []);
        assert.equal(await store.rules.remove(rule.id), false);
        await assert.rejects(store.rules.add({ channelId: 98765, source: 'discourse', filter: 'watch', scope: { type: 'all' }, createdBy: null }));
        assert.deepEqual(await store.rules.all(), []);
      }));

    void test('rules version: bumped by each rule and channel added or removed, and by nothing else', () =>
      withStore(backend, async (store) => {
        let v = await store.rules.version();
        const bumped = async (expectBump: boolean, what: string) => {
          const now = await store.rules.version();
          if (expectBump) assert.ok(now > v, `${what} bumps the version`);
          else assert.equal(now, v, `${what} leaves the version alone`);
          v = now;
        };
        const ch = (await store.channels.ensure(telegram('1'))).channel;
        await bumped(true, 'adding a channel');
        await store.channels.ensure(telegram('1'));
        await bumped(false, 'ensuring an existing channel');
        const { rule } = await store.rules.add({ channelId: ch.id, source: 'discourse', filter: 'watch', scope: { type: 'all' }, createdBy: null });
        await bumped(true, 'adding a rule');
        await store.rules.add({ channelId: ch.id, source: 'discourse', filter: 'watch', scope: { type: 'all' }, createdBy: null });
        await bumped(false, 'adding a rule that exists');
        await store.channels.setError(ch.id, { code: 'forbidden', message: 'no' });
        await store.deliveries.create({ jobId: 'j', eventKey: 'post-1', channelId: ch.id, subject: 'discourse:post:1', thread: 'discourse:topic:1', opens: true });
        await bumped(false, 'errors and deliveries');
        assert.equal(await store.rules.remove(rule.id), true);
        await bumped(true, 'removing a rule');
        await store.rules.remove(rule.id);
        await bumped(false, 'removing a rule that is gone');
        await store.channels.remove(ch.id);
        await bumped(true, 'removing a channel');
        await store.channels.remove(ch.id);
        await bumped(false, 'removing a channel that is gone');
      }));

    void test('deliveries: create once per event and channel; get, update, find, count', () =>
      withStore(backend, async (store) => {
        const ch = (await store.channels.ensure(telegram('1'))).channel;
        const ch2 = (await store.channels.ensure(telegram('2'))).channel;
        const before = new Date();
        const first = await store.deliveries.create({ jobId: `post-10:${ch.id}`, eventKey: 'post-10', channelId: ch.id, subject: 'discourse:post:10', thread: 'discourse:topic:5', opens: true });
        const after = new Date();
        assert.equal(first.created, true);
        assert.equal(first.delivery.status, 'queued');
        assert.equal(first.delivery.attempts, 0);
        assert.equal(first.delivery.messageRef, null);
        assert.equal(first.delivery.lastError, null);
        assertRecent(first.delivery.createdAt, before, after);
        assertRecent(first.delivery.updatedAt, before, after);

        // The same (event, channel) under another job id is the same delivery.
        const dup = await store.deliveries.create({ jobId: 'other-job-id', eventKey: 'post-10', channelId: ch.id, subject: 'discourse:post:10', thread: 'discourse:topic:5', opens: true });
        assert.equal(dup.created, false);
        assert.deepEqual(dup.delivery, first.delivery);
        assert.equal(await store.deliveries.getByJobId('other-job-id'), undefined);

        const second = await store.deliveries.create({ jobId: `post-10:${ch2.id}`, eventKey: 'post-10', channelId: ch2.id, subject: 'discourse:post:10', thread: 'discourse:topic:5', opens: true });
        const third = await store.deliveries.create({ jobId: `post-11:${ch.id}`, eventKey: 'post-11', channelId: ch.id, subject: 'discourse:post:11', thread: 'discourse:topic:5', opens: false });
        assert.equal(second.created && third.created, true);

        assert.deepEqual(await store.deliveries.getByJobId(first.delivery.jobId), first.delivery);
        assert.equal(await store.deliveries.getByJobId('no-such-job'), undefined);

        await store.deliveries.update(first.delivery.jobId, { status: 'delivered', attempts: 2, messageRef: 'chat:-100:msg:77', lastError: 'earlier 500' });
        const updated = await store.deliveries.getByJobId(first.delivery.jobId);
        assert.equal(updated?.status, 'delivered');
        assert.equal(updated?.attempts, 2);
        assert.equal(updated?.messageRef, 'chat:-100:msg:77');
        assert.equal(updated?.lastError, 'earlier 500');
        assert.ok(updated.updatedAt >= first.delivery.updatedAt);
        assert.deepEqual(updated?.createdAt, first.delivery.createdAt);

        await store.deliveries.update(first.delivery.jobId, { lastError: null });
        const cleared = await store.deliveries.getByJobId(first.delivery.jobId);
        assert.equal(cleared?.lastError, null);
        assert.equal(cleared?.messageRef, 'chat:-100:msg:77', 'fields not in the patch are kept');
        await store.deliveries.update('no-such-job', { status: 'failed' });

        await store.deliveries.update(second.delivery.jobId, { status: 'failed', lastError: 'bot_removed' });
        assert.deepEqual((await store.deliveries.findBySubject('discourse:post:10')).map((d) => d.id), [first.delivery.id, second.delivery.id]);
        assert.deepEqual((await store.deliveries.findBySubject('discourse:post:10', 'failed')).map((d) => d.id), [second.delivery.id]);
        assert.deepEqual(await store.deliveries.findBySubject('discourse:post:10', 'cancelled'), []);
        assert.deepEqual(await store.deliveries.findBySubject('discourse:post:999'), []);

        assert.deepEqual(await store.deliveries.countByStatus(), { queued: 1, delivered: 1, failed: 1, cancelled: 0, withdrawn: 0 });
      }));

    void test('deliveries: threadRoot is the delivered first post of the topic in that channel', () =>
      withStore(backend, async (store) => {
        const ch = (await store.channels.ensure(telegram('1'))).channel;
        const ch2 = (await store.channels.ensure(telegram('2'))).channel;
        assert.deepEqual(await store.deliveries.countByStatus(), { queued: 0, delivered: 0, failed: 0, cancelled: 0, withdrawn: 0 });
        const mk = (channelId: number, postId: number, topicId: number, postNumber: number) =>
          store.deliveries.create({ jobId: `post-${postId}:${channelId}`, eventKey: `post-${postId}`, channelId, subject: `discourse:post:${postId}`, thread: `discourse:topic:${topicId}`, opens: postNumber === 1 });

        await mk(ch.id, 100, 9, 1);
        assert.equal(await store.deliveries.threadRoot(ch.id, 'discourse:topic:9'), null, 'not delivered yet');
        await store.deliveries.update(`post-100:${ch.id}`, { status: 'delivered', messageRef: 'root-ref' });
        await mk(ch.id, 101, 9, 2);
        await store.deliveries.update(`post-101:${ch.id}`, { status: 'delivered', messageRef: 'reply-ref' });
        assert.equal(await store.deliveries.threadRoot(ch.id, 'discourse:topic:9'), 'root-ref');
        assert.equal(await store.deliveries.threadRoot(ch2.id, 'discourse:topic:9'), null, 'another channel has its own thread');
        assert.equal(await store.deliveries.threadRoot(ch.id, 'discourse:topic:10'), null, 'another topic has its own thread');

        await mk(ch2.id, 100, 9, 1);
        await store.deliveries.update(`post-100:${ch2.id}`, { status: 'failed', messageRef: null });
        assert.equal(await store.deliveries.threadRoot(ch2.id, 'discourse:topic:9'), null, 'a failed first post is no thread root');
      }));

    void test('deliveries: search filters by channel, platform, status and text, newest first, a page at a time with the full count', () =>
      withStore(backend, async (store) => {
        const tg = (await store.channels.ensure(telegram('-100'))).channel;
        const tg2 = (await store.channels.ensure(telegram('-200'))).channel;
        const mm = (await store.channels.ensure({ ...telegram('town'), platform: 'mattermost' })).channel;
        const t0 = Date.parse('2026-03-01T10:00:00.000Z');
        const add = async (channelId: number, eventKey: string, subject: string, minutes: number, status?: 'delivered' | 'failed', lastError?: string) => {
          const { delivery } = await store.deliveries.create({ jobId: `${eventKey}:${channelId}`, eventKey, channelId, subject, thread: 'discourse:topic:1', opens: false, createdAt: new Date(t0 + minutes * 60_000) });
          if (status) await store.deliveries.update(delivery.jobId, { status, ...(lastError ? { lastError } : {}) });
          return delivery.id;
        };
        const d1 = await add(tg.id, 'post-1', 'discourse:post:1', 0, 'delivered');
        const d2 = await add(tg.id, 'post-2', 'discourse:post:2', 10, 'failed', 'Telegram said: Bot was BLOCKED by the user');
        const d3 = await add(mm.id, 'post-3', 'discourse:post:3', 20, 'delivered');
        const d4 = await add(tg2.id, 'post-4', 'discourse:post:4', 30);
        const d5 = await add(mm.id, 'post-5', 'discourse:post:5', 40, 'failed', 'HTTP 500 from Mattermost: quota 100% used');
        const d6 = await add(tg.id, 'gitlab:issue:7', 'gitlab:issue:7', 50, 'delivered');
        const d7 = await add(mm.id, 'post-7', 'discourse:post:7', 50, 'delivered');
        // Made last but an hour older: the list is by creation time, not by id.
        const d0 = await add(tg.id, 'post-0', 'discourse:post:0', -60, 'delivered');

        const search = async (filter: Parameters<Store['deliveries']['search']>[0], limit = 50, offset = 0) => {
          const { deliveries, total } = await store.deliveries.search(filter, { limit, offset });
          return { ids: deliveries.map((d) => d.id), total };
        };
        assert.deepEqual(await search({}), { ids: [d7, d6, d5, d4, d3, d2, d1, d0], total: 8 }, 'newest first; the same time newest id first');
        const page = await store.deliveries.search({}, { limit: 1, offset: 2 });
        assert.deepEqual(page.deliveries[0], await store.deliveries.getByJobId(`post-5:${mm.id}`), 'whole records');

        assert.deepEqual(await search({}, 3, 0), { ids: [d7, d6, d5], total: 8 });
        assert.deepEqual(await search({}, 3, 3), { ids: [d4, d3, d2], total: 8 });
        assert.deepEqual(await search({}, 3, 6), { ids: [d1, d0], total: 8 });
        assert.deepEqual(await search({}, 3, 9), { ids: [], total: 8 }, 'past the end: no rows, still the count');

        assert.deepEqual(await search({ channelId: tg.id }), { ids: [d6, d2, d1, d0], total: 4 });
        assert.deepEqual(await search({ channelId: 9999 }), { ids: [], total: 0 });
        assert.deepEqual(await search({ platform: 'telegram' }), { ids: [d6, d4, d2, d1, d0], total: 5 }, 'both Telegram channels');
        assert.deepEqual(await search({ platform: 'mattermost' }), { ids: [d7, d5, d3], total: 3 });
        assert.deepEqual(await search({ platform: 'slack' }), { ids: [], total: 0 });
        assert.deepEqual(await search({ status: 'failed' }), { ids: [d5, d2], total: 2 });
        assert.deepEqual(await search({ status: 'queued' }), { ids: [d4], total: 1 });
        assert.deepEqual(await search({ status: 'withdrawn' }), { ids: [], total: 0 });

        assert.deepEqual(await search({ text: 'blocked' }), { ids: [d2], total: 1 }, 'the last error, whatever its case');
        assert.deepEqual(await search({ text: 'bot WAS' }), { ids: [d2], total: 1 });
        assert.deepEqual(await search({ text: 'GitLab:Issue' }), { ids: [d6], total: 1 }, 'the event key and subject');
        assert.deepEqual(await search({ text: 'post:3' }), { ids: [d3], total: 1 }, 'the subject alone');
        assert.deepEqual(await search({ text: 'post-1' }), { ids: [d1], total: 1 }, 'the event key alone');
        assert.deepEqual(await search({ text: '100%' }), { ids: [d5], total: 1 }, '% is a character, not a wildcard');
        assert.deepEqual(await search({ text: '%' }), { ids: [d5], total: 1 });
        assert.deepEqual(await search({ text: '_' }), { ids: [], total: 0 }, '_ is a character, not a wildcard');
        assert.deepEqual(await search({ text: '!' }), { ids: [], total: 0 });
        assert.deepEqual(await search({ text: 'nowhere' }), { ids: [], total: 0 });

        assert.deepEqual(await search({ platform: 'telegram', status: 'delivered' }), { ids: [d6, d1, d0], total: 3 });
        assert.deepEqual(await search({ channelId: mm.id, status: 'failed', text: 'mattermost' }), { ids: [d5], total: 1 });
        assert.deepEqual(await search({ platform: 'mattermost', text: 'blocked' }), { ids: [], total: 0 }, 'every filter given must match');
        assert.deepEqual(await search({ channelId: tg.id, platform: 'mattermost' }), { ids: [], total: 0 });
        assert.deepEqual(await search({ platform: 'telegram' }, 2, 1), { ids: [d4, d2], total: 5 }, 'a filtered page counts the whole filter');
      }));

    void test('deliveries: perHour counts delivered and failed per UTC hour and platform since a time', () =>
      withStore(backend, async (store) => {
        const tg = (await store.channels.ensure(telegram('-100'))).channel;
        const tg2 = (await store.channels.ensure(telegram('-200'))).channel;
        const mm = (await store.channels.ensure({ ...telegram('town'), platform: 'mattermost' })).channel;
        let n = 0;
        const add = async (channelId: number, at: string, status: 'queued' | 'delivered' | 'failed' | 'cancelled') => {
          n += 1;
          const { delivery } = await store.deliveries.create({ jobId: `j${n}`, eventKey: `post-${n}`, channelId, subject: `discourse:post:${n}`, thread: 'discourse:topic:1', opens: false, createdAt: new Date(at) });
          if (status !== 'queued') await store.deliveries.update(delivery.jobId, { status });
        };
        await add(tg.id, '2026-03-01T09:59:59.999Z', 'delivered');
        await add(tg.id, '2026-03-01T10:00:00.000Z', 'delivered');
        await add(tg.id, '2026-03-01T10:59:59.999Z', 'delivered');
        await add(tg.id, '2026-03-01T10:30:00.000Z', 'failed');
        await add(tg2.id, '2026-03-01T10:15:00.000Z', 'delivered');
        await add(mm.id, '2026-03-01T10:05:00.000Z', 'failed');
        await add(mm.id, '2026-03-01T10:10:00.000Z', 'queued');
        await add(mm.id, '2026-03-01T11:00:00.000Z', 'delivered');
        await add(mm.id, '2026-03-01T11:20:00.000Z', 'cancelled');
        await add(tg.id, '2026-03-01T11:45:00.000Z', 'failed');
        await add(tg.id, '2026-03-01T12:00:00.000Z', 'queued');

        const hour = (h: string) => new Date(`2026-03-01T${h}:00:00.000Z`);
        assert.deepEqual(await store.deliveries.perHour(new Date('2026-03-01T10:00:00.000Z')), [
          { hour: hour('10'), platform: 'mattermost', delivered: 0, failed: 1 },
          { hour: hour('10'), platform: 'telegram', delivered: 3, failed: 1 },
          { hour: hour('11'), platform: 'mattermost', delivered: 1, failed: 0 },
          { hour: hour('11'), platform: 'telegram', delivered: 0, failed: 1 },
        ], 'both Telegram channels in one row; the 09:59 delivery and the queued-only 12:00 hour absent');
        assert.deepEqual(await store.deliveries.perHour(new Date('2026-03-01T10:30:00.000Z')), [
          { hour: hour('10'), platform: 'telegram', delivered: 1, failed: 1 },
          { hour: hour('11'), platform: 'mattermost', delivered: 1, failed: 0 },
          { hour: hour('11'), platform: 'telegram', delivered: 0, failed: 1 },
        ], 'since is a moment, not an hour: what came before it in its hour is left out');
        assert.deepEqual(await store.deliveries.perHour(new Date('2026-03-01T12:00:00.000Z')), []);
      }));

    void test('topics: upsert replaces, tags and unicode round-trip, remove forgets', () =>
      withStore(backend, async (store) => {
        assert.equal(await store.topics.get(1), undefined);
        const before = new Date();
        await store.topics.upsert({ topicId: 1, title: 'Привет, мир — “quotes” & <tags>', tags: ['release', 'π'], categoryId: 4 });
        const after = new Date();
        const got = await store.topics.get(1);
        assert.equal(got?.title, 'Привет, мир — “quotes” & <tags>');
        assert.deepEqual(got?.tags, ['release', 'π']);
        assert.equal(got?.categoryId, 4);
        assertRecent(got.updatedAt, before, after);

        await store.topics.upsert({ topicId: 1, title: 'Renamed', tags: [], categoryId: null });
        const replaced = await store.topics.get(1);
        assert.equal(replaced?.title, 'Renamed');
        assert.deepEqual(replaced?.tags, []);
        assert.equal(replaced?.categoryId, null);

        await store.topics.upsert({ topicId: 2, title: 'Other', tags: ['x'], categoryId: 1 });
        await store.topics.remove(1);
        assert.equal(await store.topics.get(1), undefined);
        assert.equal((await store.topics.get(2))?.title, 'Other');
        await store.topics.remove(1);
      }));

    void test('categories: replaceAll, upsert, remove, list; restricted is a boolean', () =>
      withStore(backend, async (store) => {
        assert.deepEqual(await store.categories.list(), []);
        const meta = { id: 1, slug: 'meta', name: 'Méta', parentId: null, color: '0088CC', restricted: false };
        const staff = { id: 3, slug: 'staff', name: 'Staff', parentId: null, color: null, restricted: true };
        const billing = { id: 7, slug: 'billing', name: 'Billing', parentId: 1, color: 'FF0000', restricted: false };
        await store.categories.replaceAll([staff, meta, billing]);
        assert.deepEqual(await store.categories.list(), [meta, staff, billing]);

        await store.categories.upsert({ ...staff, name: 'Staff only', restricted: false });
        await store.categories.upsert({ id: 9, slug: 'new', name: '新しい', parentId: null, color: null, restricted: true });
        await store.categories.remove(7);
        assert.deepEqual(await store.categories.list(), [meta, { ...staff, name: 'Staff only', restricted: false }, { id: 9, slug: 'new', name: '新しい', parentId: null, color: null, restricted: true }]);

        // A big forum: more rows than one insert statement carries.
        const many = Array.from({ length: 1234 }, (_, i) => ({ id: i + 1, slug: `c${i + 1}`, name: `Category ${i + 1}`, parentId: i % 10 === 0 ? null : 1, color: null, restricted: i % 7 === 0 }));
        await store.categories.replaceAll(many);
        assert.deepEqual(await store.categories.list(), many);

        await store.categories.replaceAll([]);
        assert.deepEqual(await store.categories.list(), []);
      }));

    void test('identities: set replaces, get, list by platform, remove', () =>
      withStore(backend, async (store) => {
        const before = new Date();
        await store.identities.set({ platform: 'telegram', userId: '42', source: 'discourse', username: 'søren', createdBy: 'admin' });
        const after = new Date();
        const got = await store.identities.get('telegram', '42', 'discourse');
        assert.equal(got?.username, 'søren');
        assert.equal(got?.source, 'discourse');
        assert.equal(got?.createdBy, 'admin');
        assertRecent(got.createdAt, before, after);

        await store.identities.set({ platform: 'telegram', userId: '42', source: 'discourse', username: 'soren', createdBy: 'cli' });
        assert.equal((await store.identities.get('telegram', '42', 'discourse'))?.username, 'soren');
        assert.equal((await store.identities.get('telegram', '42', 'discourse'))?.createdBy, 'cli');
        await store.identities.set({ platform: 'mattermost', userId: '42', source: 'discourse', username: 'other', createdBy: null });
        await store.identities.set({ platform: 'telegram', userId: '7', source: 'discourse', username: 'seven', createdBy: null });

        assert.equal(await store.identities.get('slack', '42', 'discourse'), undefined);
        assert.deepEqual((await store.identities.list()).map((i) => `${i.platform}:${i.userId}:${i.username}`), ['mattermost:42:other', 'telegram:42:soren', 'telegram:7:seven']);
        assert.deepEqual((await store.identities.list({ platform: 'telegram' })).map((i) => i.userId), ['42', '7']);

        // Per source: the same chat user is someone else on GitLab, and removing one link keeps the other.
        await store.identities.set({ platform: 'telegram', userId: '42', source: 'gitlab', username: 'soren-gl', createdBy: 'cli' });
        assert.equal((await store.identities.get('telegram', '42', 'gitlab'))?.username, 'soren-gl');
        assert.deepEqual((await store.identities.list({ source: 'gitlab' })).map((i) => i.username), ['soren-gl']);
        assert.equal(await store.identities.remove('telegram', '42', 'discourse'), true);
        assert.equal(await store.identities.remove('telegram', '42', 'discourse'), false);
        assert.equal((await store.identities.get('telegram', '42', 'gitlab'))?.username, 'soren-gl');
        assert.equal(await store.identities.get('telegram', '42', 'discourse'), undefined);
        assert.equal((await store.identities.get('mattermost', '42', 'discourse'))?.username, 'other');
      }));

    void test('inbound events: a replay is recognised; prune forgets the old', () =>
      withStore(backend, async (store) => {
        assert.equal(await store.inboundEvents.seen('discourse', 'evt-1'), false);
        assert.equal(await store.inboundEvents.record('discourse', 'evt-1'), true);
        assert.equal(await store.inboundEvents.seen('discourse', 'evt-1'), true);
        assert.equal(await store.inboundEvents.record('discourse', 'evt-1'), false);
        assert.equal(await store.inboundEvents.seen('gitlab', 'evt-1'), false, 'ids are per source');
        assert.equal(await store.inboundEvents.record('gitlab', 'evt-1'), true, 'ids are per source');
        assert.equal(await store.inboundEvents.record('discourse', 'evt-2'), true);

        assert.equal(await store.inboundEvents.prune(new Date('2000-01-01T00:00:00Z')), 0);
        assert.equal(await store.inboundEvents.record('discourse', 'evt-1'), false, 'still remembered');
        assert.equal(await store.inboundEvents.prune(new Date(Date.now() + 60_000)), 3);
        assert.equal(await store.inboundEvents.seen('discourse', 'evt-1'), false, 'forgotten after pruning');
        assert.equal(await store.inboundEvents.record('discourse', 'evt-1'), true, 'forgotten after pruning');
      }));

    void test('platform state: set replaces, get and delete by key, list by prefix in key order, per platform', () =>
      withStore(backend, async (store) => {
        const state = store.platformState;
        assert.equal(await state.get('matrix', 'sync'), undefined);
        await state.set('matrix', 'sync', 's1');
        await state.set('matrix', 'sync', 's2');
        assert.equal(await state.get('matrix', 'sync'), 's2', 'the newer value wins');
        assert.equal(await state.get('irc', 'sync'), undefined, 'keys are per platform');
        await state.set('matrix', 'invite:!b:x', '{"by":"@b:x"}');
        await state.set('matrix', 'invite:!a:x', '{"by":"@a:x"}');
        await state.set('matrix', 'INVITE:!c:x', 'other case');
        await state.set('matrix', 'invite_%', 'no wildcard');
        assert.deepEqual(await state.list('matrix', 'invite:'), [
          { key: 'invite:!a:x', value: '{"by":"@a:x"}' },
          { key: 'invite:!b:x', value: '{"by":"@b:x"}' },
        ]);
        assert.deepEqual(await state.list('matrix', 'invité'), []);
        assert.equal(await state.delete('matrix', 'invite:!a:x'), true);
        assert.equal(await state.delete('matrix', 'invite:!a:x'), false);
        assert.deepEqual((await state.list('matrix', 'invite')).map((r) => r.key), ['invite:!b:x', 'invite_%']);
      }));

    void test('message log: append is idempotent per channel and message (the newer text wins); fields round-trip', () =>
      withStore(backend, async (store) => {
        const sentAt = new Date('2026-03-01T10:00:00.000Z');
        await store.messageLog.append('telegram', '-100', chat('7', sentAt, 'first *draft*', { id: '42', username: 'søren', displayName: 'Søren 🚀', isBot: false }));
        const edited = chat('7', new Date('2026-03-01T10:05:00.000Z'), 'final text — ünïcødé 日本語', { id: '42', username: 'søren', displayName: 'Søren 🚀', isBot: false }, [
          { name: 'log "1".txt', url: 'https://files.example.org/a?b=1&c=2' },
        ]);
        await store.messageLog.append('telegram', '-100', edited);
        await store.messageLog.append('telegram', '-100', chat('8', new Date('2026-03-01T10:01:00.000Z'), 'from a bot', { id: '1', username: 'parleybot', displayName: 'Parley', isBot: true }));

        const all = await store.messageLog.latest('telegram', '-100', 10, new Date('2026-03-02T00:00:00Z'));
        assert.deepEqual(all, [
          { ...edited, sentAt, markdown: 'final text — ünïcødé 日本語' },
          chat('8', new Date('2026-03-01T10:01:00.000Z'), 'from a bot', { id: '1', username: 'parleybot', displayName: 'Parley', isBot: true }),
        ]);
        assert.deepEqual(all[0]?.sentAt, sentAt, 'an edit keeps the message in its place in time');
        // The same message id in another chat, or on another platform, is another message.
        assert.deepEqual(await store.messageLog.latest('telegram', '-200', 10, new Date('2026-03-02T00:00:00Z')), []);
        await store.messageLog.append('irc', '-100', chat('7', sentAt, 'irc'));
        assert.equal((await store.messageLog.latest('telegram', '-100', 10, new Date('2026-03-02T00:00:00Z'))).length, 2);
      }));

    void test('message log: latest gives the newest N before a time, oldest first; same-second ids sort as numbers', () =>
      withStore(backend, async (store) => {
        const t0 = Date.parse('2026-03-01T10:00:00.000Z');
        // Out of order on purpose; 9, 10 and 11 share one second, as Telegram's one-second dates make them.
        const ids = ['11', '3', '9', '1', '10', '2', '12'];
        const at: Record<string, number> = { '1': 0, '2': 1, '3': 2, '9': 3, '10': 3, '11': 3, '12': 4 };
        for (const id of ids) await store.messageLog.append('telegram', '-100', chat(id, new Date(t0 + at[id]! * 1000), `m${id}`));

        const latest = (n: number, before: Date) => store.messageLog.latest('telegram', '-100', n, before).then((ms) => ms.map((m) => m.id));
        assert.deepEqual(await latest(3, new Date(t0 + 60_000)), ['10', '11', '12']);
        assert.deepEqual(await latest(100, new Date(t0 + 60_000)), ['1', '2', '3', '9', '10', '11', '12']);
        assert.deepEqual(await latest(2, new Date(t0 + 3000)), ['2', '3'], 'before is exclusive');
        assert.deepEqual(await latest(0, new Date(t0 + 60_000)), []);
        assert.deepEqual(await latest(5, new Date(t0)), []);

        // Ids that are not numbers (IRC's are Parley's own) tie-break byte by byte on every database.
        for (const id of ['b', 'B', 'a', 'A', 'é']) await store.messageLog.append('irc', '#parley', chat(id, new Date(t0), id));
        assert.deepEqual((await store.messageLog.latest('irc', '#parley', 10, new Date(t0 + 1))).map((m) => m.id), ['A', 'B', 'a', 'b', 'é']);
      }));

    void test('message log: between pages with a cursor, across many messages of one time, without loss or repeats', () =>
      withStore(backend, async (store) => {
        const t0 = Date.parse('2026-03-01T10:00:00.000Z');
        const expected: string[] = [];
        // 3 messages before the range, 25 in it (12 of them in one second), 3 after.
        await store.messageLog.append('telegram', '-100', chat('1', new Date(t0 - 2000), 'before'));
        await store.messageLog.append('telegram', '-100', chat('2', new Date(t0 - 1), 'before'));
        await store.messageLog.append('telegram', '-100', chat('3', new Date(t0 - 1000), 'before'));
        for (let i = 0; i < 25; i++) {
          const id = String(100 + i * 7 - (i % 2) * 95); // mixed lengths: 2- and 3-digit ids
          const second = i >= 6 && i < 18 ? 6 : i;
          await store.messageLog.append('telegram', '-100', chat(id, new Date(t0 + second * 1000), `in ${i}`));
          expected.push(id);
        }
        await store.messageLog.append('telegram', '-100', chat('900', new Date(t0 + 24_001), 'after'));
        await store.messageLog.append('telegram', '-100', chat('901', new Date(t0 + 3_600_000), 'after'));
        // Another channel's messages in the same range stay out.
        await store.messageLog.append('telegram', '-200', chat('150', new Date(t0 + 6000), 'elsewhere'));

        const inOrder = [...expected].sort((a, b) => {
          const sa = at(a);
          const sb = at(b);
          return sa - sb || a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
        });
        function at(id: string): number {
          const i = expected.indexOf(id);
          return i >= 6 && i < 18 ? 6 : i;
        }

        const from = new Date(t0);
        const to = new Date(t0 + 24_000);
        for (const limit of [1, 4, 5, 100]) {
          const seen: string[] = [];
          let after: { sentAt: Date; id: string } | undefined;
          for (let pages = 0; pages < 100; pages++) {
            const page = await store.messageLog.between('telegram', '-100', from, to, { limit, ...(after ? { after } : {}) });
            assert.ok(page.length <= limit);
            seen.push(...page.map((m) => m.id));
            const last = page.at(-1);
            if (!last || page.length < limit) break;
            after = { sentAt: last.sentAt, id: last.id };
          }
          assert.deepEqual(seen, inOrder, `pages of ${limit}`);
        }
        const ninetyFive = inOrder.filter((id) => at(id) === 6);
        assert.ok(ninetyFive.some((id) => id.length === 2) && ninetyFive.some((id) => id.length === 3), 'the tie spans ids of two lengths');
        assert.deepEqual(await store.messageLog.between('telegram', '-100', new Date(t0 + 30_000), new Date(t0 + 40_000), { limit: 10 }), []);
      }));

    void test('message log: prune deletes what was sent before the cutoff, in every channel', () =>
      withStore(backend, async (store) => {
        const t0 = Date.parse('2026-03-01T10:00:00.000Z');
        await store.messageLog.append('telegram', '-100', chat('1', new Date(t0 - 8 * 86_400_000), 'old'));
        await store.messageLog.append('irc', '#parley', chat('a', new Date(t0 - 86_400_001), 'old'));
        await store.messageLog.append('telegram', '-100', chat('2', new Date(t0 - 86_400_000), 'exactly at the cutoff'));
        await store.messageLog.append('telegram', '-100', chat('3', new Date(t0), 'new'));
        assert.equal(await store.messageLog.prune(new Date(t0 - 86_400_000)), 2);
        assert.deepEqual((await store.messageLog.latest('telegram', '-100', 10, new Date(t0 + 1))).map((m) => m.id), ['2', '3']);
        assert.deepEqual(await store.messageLog.latest('irc', '#parley', 10, new Date(t0 + 1)), []);
        assert.equal(await store.messageLog.prune(new Date(t0 - 86_400_000)), 0);
      }));

    void test('transcripts: create is idempotent on the job id; get and update', () =>
      withStore(backend, async (store) => {
        const ch = (await store.channels.ensure(telegram('-100'))).channel;
        const before = new Date();
        const first = await store.transcripts.create({ id: 'transcript:abc', channelId: ch.id, requestedBy: 'telegram:42', forumUsername: 'ada' });
        const after = new Date();
        assert.equal(first.created, true);
        assert.deepEqual({ ...first.record, createdAt: null }, {
          id: 'transcript:abc',
          channelId: ch.id,
          requestedBy: 'telegram:42',
          forumUsername: 'ada',
          status: 'queued',
          title: null,
          topicUrl: null,
          secret: null,
          markdown: null,
          error: null,
          expiresAt: null,
          createdAt: null,
        });
        assertRecent(first.record.createdAt, before, after);

        const again = await store.transcripts.create({ id: 'transcript:abc', channelId: ch.id, requestedBy: 'telegram:7', forumUsername: 'someone' });
        assert.equal(again.created, false);
        assert.deepEqual(again.record, first.record);
        const racing = await Promise.all(Array.from({ length: 10 }, () => store.transcripts.create({ id: 'transcript:race', channelId: ch.id, requestedBy: 'x', forumUsername: 'y' })));
        assert.equal(racing.filter((r) => r.created).length, 1);

        assert.equal(await store.transcripts.get('no-such'), undefined);
        await store.transcripts.update('transcript:abc', { status: 'posted', title: 'Outage review — “quotes”', topicUrl: 'https://forum.example.org/t/outage-review/12' });
        let got = await store.transcripts.get('transcript:abc');
        assert.equal(got?.status, 'posted');
        assert.equal(got?.title, 'Outage review — “quotes”');
        assert.equal(got?.topicUrl, 'https://forum.example.org/t/outage-review/12');
        assert.equal(got?.error, null);
        await store.transcripts.update('transcript:abc', { status: 'failed', error: 'the post is 40,123 characters; the forum takes 32,000' });
        got = await store.transcripts.get('transcript:abc');
        assert.equal(got?.status, 'failed');
        assert.equal(got?.title, 'Outage review — “quotes”', 'fields not in the patch are kept');
        await store.transcripts.update('transcript:abc', { error: null, title: null });
        got = await store.transcripts.get('transcript:abc');
        assert.equal(got?.error, null);
        assert.equal(got?.title, null);
        await store.transcripts.update('transcript:abc', {});
        assert.deepEqual(await store.transcripts.get('transcript:abc'), got);

        // A transcript goes with its channel.
        await store.channels.remove(ch.id);
        assert.equal(await store.transcripts.get('transcript:abc'), undefined);
      }));

    void test('transcripts: a preview page is found by its secret until it expires; pruneExpired forgets its text and key', () =>
      withStore(backend, async (store) => {
        const ch = (await store.channels.ensure(telegram('-100'))).channel;
        const t0 = new Date('2026-03-01T10:00:00.000Z');
        const expiresAt = new Date(t0.getTime() + 3_600_000);
        const body = '# Transcript\n\n**Søren**: hello 🚀\n'.repeat(2000);
        await store.transcripts.create({ id: 'p1', channelId: ch.id, requestedBy: 'telegram:42', forumUsername: 'ada' });
        await store.transcripts.update('p1', { status: 'previewed', title: 'Preview', secret: 's3cr3t-one', markdown: body, expiresAt });
        await store.transcripts.create({ id: 'p2', channelId: ch.id, requestedBy: 'telegram:42', forumUsername: 'ada' });
        await store.transcripts.update('p2', { status: 'previewed', secret: 's3cr3t-two', markdown: 'later', expiresAt: new Date(t0.getTime() + 7_200_000) });
        await store.transcripts.create({ id: 'posted', channelId: ch.id, requestedBy: 'telegram:42', forumUsername: 'ada' });

        const found = await store.transcripts.bySecret('s3cr3t-one', t0);
        assert.equal(found?.id, 'p1');
        assert.equal(found?.markdown, body);
        assert.deepEqual(found?.expiresAt, expiresAt);
        assert.equal(await store.transcripts.bySecret('s3cr3t-ONE', t0), undefined, 'secrets are exact');
        assert.equal(await store.transcripts.bySecret('nope', t0), undefined);
        assert.equal((await store.transcripts.bySecret('s3cr3t-one', new Date(expiresAt.getTime() - 1)))?.id, 'p1');
        assert.equal(await store.transcripts.bySecret('s3cr3t-one', expiresAt), undefined, 'expired at its expiry time');

        await assert.rejects(store.transcripts.update('p2', { secret: 's3cr3t-one' }), 'a secret names one page');

        assert.equal(await store.transcripts.pruneExpired(t0), 0);
        assert.equal(await store.transcripts.pruneExpired(new Date(expiresAt.getTime() + 1)), 1);
        const pruned = await store.transcripts.get('p1');
        assert.equal(pruned?.secret, null);
        assert.equal(pruned?.markdown, null);
        assert.equal(pruned?.status, 'previewed', 'the record stays');
        assert.equal(pruned?.title, 'Preview');
        assert.equal((await store.transcripts.bySecret('s3cr3t-two', new Date(expiresAt.getTime() + 1)))?.markdown, 'later');
        assert.equal(await store.transcripts.pruneExpired(new Date(expiresAt.getTime() + 1)), 0, 'nothing left to forget');
        assert.equal(await store.transcripts.pruneExpired(new Date(t0.getTime() + 86_400_000)), 1);
        assert.equal((await store.transcripts.get('posted'))?.status, 'queued', 'a transcript without a page is untouched');
      }));

    void test('transcripts: list pages through all of them, newest first, with the full count', () =>
      withStore(backend, async (store) => {
        assert.deepEqual(await store.transcripts.list({ limit: 10, offset: 0 }), { transcripts: [], total: 0 });
        const a = (await store.channels.ensure(telegram('-100'))).channel;
        const b = (await store.channels.ensure({ ...telegram('town'), platform: 'mattermost' })).channel;
        // Made in the reverse of their ids' order, a moment apart, so that newest first is not id order.
        for (const [id, channelId] of [['t-e', a.id], ['t-d', b.id], ['t-c', a.id], ['t-b', b.id], ['t-a', a.id]] as const) {
          await store.transcripts.create({ id, channelId, requestedBy: 'telegram:42', forumUsername: 'ada' });
          await new Promise((resolve) => setTimeout(resolve, 3));
        }
        await store.transcripts.update('t-c', { status: 'failed', error: 'forum said 422' });

        const ids = async (limit: number, offset: number) => {
          const { transcripts, total } = await store.transcripts.list({ limit, offset });
          return { ids: transcripts.map((t) => t.id), total };
        };
        assert.deepEqual(await ids(10, 0), { ids: ['t-a', 't-b', 't-c', 't-d', 't-e'], total: 5 }, 'every channel, newest first');
        assert.deepEqual(await ids(2, 0), { ids: ['t-a', 't-b'], total: 5 });
        assert.deepEqual(await ids(2, 2), { ids: ['t-c', 't-d'], total: 5 });
        assert.deepEqual(await ids(2, 4), { ids: ['t-e'], total: 5 });
        assert.deepEqual(await ids(2, 6), { ids: [], total: 5 });
        const [failed] = (await store.transcripts.list({ limit: 1, offset: 2 })).transcripts;
        assert.deepEqual(failed, await store.transcripts.get('t-c'), 'whole records');
        assert.equal(failed?.error, 'forum said 422');
      }));

    void test('concurrency: 20 identical creates at once make one row each, and never throw', () =>
      withStore(backend, async (store) => {
        const v0 = await store.rules.version();
        const channels = await Promise.all(Array.from({ length: 20 }, () => store.channels.ensure(telegram('race', 'Race'))));
        assert.equal(channels.filter((c) => c.created).length, 1);
        assert.equal(new Set(channels.map((c) => c.channel.id)).size, 1);
        assert.equal((await store.channels.list()).length, 1);
        const channelId = channels[0]!.channel.id;

        const v1 = await store.rules.version();
        const rules = await Promise.all(Array.from({ length: 20 }, () => store.rules.add({ channelId, source: 'discourse', filter: 'watch', scope: { type: 'category', path: 'meta' }, createdBy: null })));
        assert.equal(rules.filter((r) => r.created).length, 1);
        assert.equal(new Set(rules.map((r) => r.rule.id)).size, 1);
        assert.equal((await store.rules.list(channelId)).length, 1);
        assert.ok(v1 > v0);
        assert.equal(await store.rules.version(), v1 + 1, 'one rule added, one bump');

        const deliveries = await Promise.all(
          Array.from({ length: 20 }, () => store.deliveries.create({ jobId: `post-5:${channelId}`, eventKey: 'post-5', channelId, subject: 'discourse:post:5', thread: 'discourse:topic:2', opens: true })),
        );
        assert.equal(deliveries.filter((d) => d.created).length, 1);
        assert.equal(new Set(deliveries.map((d) => d.delivery.id)).size, 1);
        assert.equal((await store.deliveries.findBySubject('discourse:post:5')).length, 1);

        const seen = await Promise.all(Array.from({ length: 20 }, () => store.inboundEvents.record('discourse', 'same-event')));
        assert.equal(seen.filter(Boolean).length, 1);
      }));

    void test('migrations: reopening and migrating again change nothing', async (t) => {
      const fresh = await backend.fresh();
      try {
        if (!fresh.persistent) {
          // A :memory: database cannot be reopened; the migrator still runs once per open.
          const store = await openStore(fresh.target);
          await store.ping();
          await store.close();
          t.diagnostic('reopen needs a persistent database');
          return;
        }
        const store = await openStore(fresh.target);
        const ch = (await store.channels.ensure(telegram('1'))).channel;
        await store.rules.add({ channelId: ch.id, source: 'discourse', filter: 'watch', scope: { type: 'all' }, createdBy: null });
        const version = await store.rules.version();
        await store.close();

        const db = fresh.kysely();
        try {
          assert.deepEqual(await migrateToLatest(db, fresh.target.kind), [], 'nothing pending');
        } finally {
          await db.destroy();
        }

        const reopened = await openStore(fresh.target);
        try {
          assert.deepEqual(await reopened.channels.get(ch.id), ch);
          assert.equal((await reopened.rules.list(ch.id)).length, 1);
          assert.equal(await reopened.rules.version(), version);
        } finally {
          await reopened.close();
        }
      } finally {
        await fresh.drop();
      }
    });

    void test('migration 0004 (sources): rules, identities and deliveries of an older Parley become Discourse\'s, ids and threads kept', async (t) => {
      const fresh = await backend.fresh();
      try {
        if (!fresh.persistent) {
          t.diagnostic('needs a database that outlives one connection');
          return;
        }
        // The database as Parley left it before sources: migrated to 0003, rows in the old shape.
        if (fresh.target.kind === 'sqlite') mkdirSync(path.dirname(fresh.target.path), { recursive: true });
        const db = fresh.kysely() as Kysely<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
        try {
          await migrateToLatest(db, fresh.target.kind, { upTo: '0003_platform_state' });
          const at = new Date().toISOString();
          await db.insertInto('channels').values({ platform: 'telegram', external_id: '-1', name: 'old', status: 'active', created_at: at }).execute();
          const channelId = (await db.selectFrom('channels').select('id').executeTakeFirstOrThrow()).id as number;
          await db.insertInto('rules').values([
            { id: 7, channel_id: channelId, filter: 'watch', scope_type: 'all', scope_value: '', created_at: at },
            { id: 9, channel_id: channelId, filter: 'thread', scope_type: 'category', scope_value: 'support', created_at: at },
          ]).execute();
          const delivery = (jobId: string, postId: number, postNumber: number) => ({
            job_id: jobId, event_key: `post-${postId}`, channel_id: channelId, post_id: postId, topic_id: 3, post_number: postNumber,
            status: 'delivered', attempts: 1, message_ref: `ref-${postId}`, created_at: at, updated_at: at,
          });
          await db.insertInto('deliveries').values([delivery('a', 30, 1), delivery('b', 31, 2)]).execute();
          await db.insertInto('identities').values({ platform: 'telegram', user_id: '5', forum_username: 'ada', created_at: at }).execute();
          if (fresh.target.kind === 'postgres') await db.executeQuery(sql`select setval(pg_get_serial_sequence('rules', 'id'), 9)`.compile(db));
        } finally {
          await db.destroy();
        }

        const store = await openStore(fresh.target);
        try {
          const rules = await store.rules.list(channelId0(await store.channels.list()));
          assert.deepEqual(rules.map((r) => [r.id, r.source, r.filter, r.scope]), [
            [7, 'discourse', 'watch', { type: 'all' }],
            [9, 'discourse', 'thread', { type: 'category', path: 'support' }],
          ]);
          // The unique key now has the source in it: GitLab's `all` beside Discourse's, with a new id after the old ones.
          const gitlabAll = await store.rules.add({ channelId: rules[0]!.channelId, source: 'gitlab', filter: 'watch', scope: { type: 'all' }, createdBy: null });
          assert.equal(gitlabAll.created, true);
          assert.ok(gitlabAll.rule.id > 9);
          assert.deepEqual((await store.deliveries.findBySubject('discourse:post:31')).map((d) => [d.jobId, d.thread, d.opens]), [['b', 'discourse:topic:3', false]]);
          assert.equal(await store.deliveries.threadRoot(rules[0]!.channelId, 'discourse:topic:3'), 'ref-30');
          assert.equal((await store.identities.get('telegram', '5', 'discourse'))?.username, 'ada');
          assert.equal(await store.identities.get('telegram', '5', 'gitlab'), undefined);
        } finally {
          await store.close();
        }
      } finally {
        await fresh.drop();
      }
    });

    void test('migration 0006 (admin settings): a channel in error of an older Parley keeps its error, with no raw answer; no settings', async (t) => {
      const fresh = await backend.fresh();
      try {
        if (!fresh.persistent) {
          t.diagnostic('needs a database that outlives one connection');
          return;
        }
        if (fresh.target.kind === 'sqlite') mkdirSync(path.dirname(fresh.target.path), { recursive: true });
        const db = fresh.kysely() as Kysely<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
        const at = new Date().toISOString();
        try {
          await migrateToLatest(db, fresh.target.kind, { upTo: '0005_admin_lists' });
          await db
            .insertInto('channels')
            .values({ platform: 'telegram', external_id: '-1', name: 'old', status: 'error', last_error_code: 'bot_removed', last_error_message: 'kicked', last_error_at: at, created_at: at })
            .execute();
        } finally {
          await db.destroy();
        }
        const store = await openStore(fresh.target);
        try {
          const [channel] = await store.channels.list();
          assert.deepEqual(channel?.lastError, { code: 'bot_removed', message: 'kicked', at: new Date(at), raw: null });
          assert.equal(await store.settings.get('transcriptGroups'), undefined);
        } finally {
          await store.close();
        }
      } finally {
        await fresh.drop();
      }
    });

    void test('several processes opening a new database at once: one migration, one channel, one rule', async (t) => {
      const fresh = await backend.fresh();
      try {
        if (!fresh.persistent) {
          t.diagnostic('processes cannot share a :memory: database');
          return;
        }
        const results = await racingProcesses(fresh.target, 3);
        assert.equal(results.filter((r) => r.channelCreated).length, 1);
        assert.equal(results.filter((r) => r.ruleCreated).length, 1);
        assert.equal(new Set(results.map((r) => r.channelId)).size, 1);
        assert.equal(new Set(results.map((r) => r.ruleId)).size, 1);

        const store = await openStore(fresh.target);
        try {
          assert.equal((await store.channels.list()).length, 1);
          assert.equal((await store.rules.all()).length, 1);
          assert.equal(await store.rules.version(), 2, 'one channel and one rule added');
        } finally {
          await store.close();
        }
      } finally {
        await fresh.drop();
      }
    });
  });
}

void describe('store', () => {
  storeSuite(sqliteFile());
  storeSuite(sqliteMemory());
  storeSuite(postgres());

  void test('two stores opening one SQLite file at once in one process both work', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'parley-store-'));
    try {
      const target: DatabaseTarget = { kind: 'sqlite', path: path.join(dir, 'parley.db') };
      const [a, b] = await Promise.all([openStore(target), openStore(target)]);
      try {
        await a.channels.ensure(telegram('1'));
        assert.equal((await b.channels.list()).length, 1);
      } finally {
        await a.close();
        await b.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
