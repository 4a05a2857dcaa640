// End to end from GitLab: webhooks at POST /hooks/gitlab of a whole Parley (HTTP server, Redis, BullMQ, SQLite)
// with GitLab configured against the fake GitLab, delivered by the real Telegram adapter to telegram-test-api.
// Bodies are GitLab's published examples from ../shared/fixtures/gitlab-webhooks/, moved into the test's projects
// (path, id, visibility, iid); confidential issues and title edits are derived from issue.open, as GitLab
// publishes no example of them.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { ingestJobId } from '../../jobs/queues.js';
import type { Filter, Scope } from '../../lib/rules.js';
import { GITLAB_WEBHOOK_SECRET, startGitLabParley, type GitLabParley } from '../helpers/gitlab-parley.js';
import { eventually, type TestParley } from '../helpers/parley.js';
import type { BotMessage, TelegramEmulator } from '../helpers/telegram-server.js';

const TOKEN = '123456:e2e-gitlab-telegram-token';
const SECRET = GITLAB_WEBHOOK_SECRET;
const SIGNING_TOKEN = `whsec_${randomBytes(32).toString('base64')}`;
const FIXTURES = new URL('../../../shared/fixtures/gitlab-webhooks/', import.meta.url);
type Body = Record<string, unknown>;
const fixture = (name: string): Body => JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8')) as Body;

const PUBLIC = { id: 700, path: 'group/project', visibility: 20 };
const PRIVATE = { id: 701, path: 'group/secret', visibility: 0 };
type Project = typeof PUBLIC;

function project(p: Project): Body {
  return { ...(fixture('issue.open.body.json').project as Body), id: p.id, path_with_namespace: p.path, web_url: `http://gitlab.example/${p.path}`, visibility_level: p.visibility };
}

/** issue.open in project `p` as issue `iid`, with `attrs` patched (action, title, confidential…) and `top` fields. */
function issueBody(p: Project, iid: number, attrs: Body = {}, top: Body = {}): Body {
  const body = fixture('issue.open.body.json');
  const url = `http://gitlab.example/${p.path}/-/issues/${iid}`;
  return { ...body, project: project(p), object_attributes: { ...(body.object_attributes as Body), id: 10_000 + iid, iid, url, ...attrs }, ...top };
}

/** note.issue as comment `noteId` on issue `iid` of project `p`. */
function noteBody(p: Project, iid: number, noteId: number, text: string): Body {
  const body = fixture('note.issue.body.json');
  const issueUrl = `http://gitlab.example/${p.path}/-/issues/${iid}`;
  return {
    ...body,
    project: project(p),
    object_attributes: { ...(body.object_attributes as Body), id: noteId, note: text, url: `${issueUrl}#note_${noteId}` },
    issue: { ...(body.issue as Body), id: 10_000 + iid, iid, title: `Issue ${iid}`, url: issueUrl },
  };
}

describe('GitLab end to end', () => {
  let world: GitLabParley | undefined;
  let emulator: TelegramEmulator;
  let parley: TestParley;
  let chatCounter = 0;

  before(async () => {
    world = await startGitLabParley({ telegramToken: TOKEN, env: { PARLEY_GITLAB_SIGNING_TOKEN: SIGNING_TOKEN } });
    ({ emulator, parley } = world);
  });

  after(async () => {
    await world?.stop();
  });

  /** A new Telegram group chat with these GitLab rules; returns its chat id and channel id. */
  async function chatWith(rules: [Filter, Scope][]): Promise<{ chatId: string; channelId: number }> {
    const chatId = `-100${700 + ++chatCounter}`;
    const { channel } = await parley.app.store.channels.ensure({ platform: 'telegram', externalId: chatId, name: chatId, status: 'active', addedBy: 'cli' });
    for (const [filter, scope] of rules) await parley.app.store.rules.add({ channelId: channel.id, source: 'gitlab', filter, scope, createdBy: 'cli' });
    return { chatId, channelId: channel.id };
  }
  const projectScope = (p: Project): Scope => ({ type: 'project', path: p.path });

  interface Send {
    event?: string;
    /** webhook-id and Idempotency-Key (GitLab sets both to the same value). Default: a new UUID. */
    id?: string;
    token?: string | null;
    /** `good` (default): a Standard Webhooks signature with the signing token; `bad`: with another key; `none`: GitLab before 19.0. */
    signature?: 'good' | 'bad' | 'stale' | 'none';
  }

  /** POSTs a webhook as GitLab does; returns the status, the answer and the delivery key Parley files it under. */
  async function send(body: unknown, o: Send = {}): Promise<{ status: number; answer: unknown; key: string }> {
    const id = o.id ?? randomUUID();
    const raw = JSON.stringify(body);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'GitLab/19.1.0',
      'x-gitlab-event': o.event ?? 'Issue Hook',
      'x-gitlab-instance': 'http://gitlab.example',
      'x-gitlab-webhook-uuid': randomUUID(),
      'x-gitlab-event-uuid': randomUUID(),
      'idempotency-key': id,
    };
    if (o.token !== null) headers['x-gitlab-token'] = o.token ?? SECRET;
    const signature = o.signature ?? 'good';
    if (signature !== 'none') {
      const at = new Date(Date.now() - (signature === 'stale' ? 10 * 60_000 : 0));
      const key = signature === 'bad' ? `whsec_${randomBytes(32).toString('base64')}` : SIGNING_TOKEN;
      headers['webhook-id'] = id;
      headers['webhook-timestamp'] = String(Math.floor(at.getTime() / 1000));
      headers['webhook-signature'] = new Webhook(key).sign(id, at, raw);
    }
    const res = await fetch(`${parley.url}/hooks/gitlab`, { method: 'POST', headers, body: raw });
    const text = await res.text();
    return { status: res.status, answer: text ? (JSON.parse(text) as unknown) : null, key: `delivery:${id}` };
  }

  /** Waits until the ingest job of a delivery key has finished. */
  async function ingested(key: string): Promise<void> {
    const job = await eventually(() => parley.app.queues.ingest.getJob(ingestJobId('gitlab', key)), `the ingest job of ${key}`);
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(25)) {
      const state = await job.getState();
      if (state === 'completed') return;
      if (state === 'failed') throw new Error(`ingest of ${key} failed: ${job.failedReason}`);
    }
    throw new Error(`ingest of ${key} did not finish`);
  }

  /** Sends, expects 202, waits for the ingest job. */
  async function deliver(body: unknown, o: Send = {}): Promise<string> {
    const sent = await send(body, o);
    assert.equal(sent.status, 202, JSON.stringify(sent.answer));
    await ingested(sent.key);
    return sent.key;
  }

  const messages = (chatId: string): Promise<BotMessage[]> => emulator.botMessages(TOKEN, chatId);
  /** Waits for the deliveries of a subject to settle (none queued) and returns them. */
  async function settled(subject: string) {
    return eventually(async () => {
      const all = await parley.app.store.deliveries.findBySubject(subject);
      return all.every((d) => d.status !== 'queued') ? all : undefined;
    }, `the deliveries of ${subject}`);
  }

  test('a signed issue webhook becomes a Telegram notification in a channel watching p/group/project', async () => {
    const { chatId } = await chatWith([['watch', projectScope(PUBLIC)]]);
    const other = await chatWith([['watch', { type: 'project', path: 'group/other' }]]);
    await deliver(issueBody(PUBLIC, 1, { title: 'Crash on <save>', description: 'Steps: @everyone press save' }));
    const [note] = await emulator.waitForBotMessages(TOKEN, chatId, 1);
    assert.equal(note!.params.parse_mode, 'HTML');
    assert.match(String(note!.params.text), /<a href="http:\/\/gitlab\.example\/group\/project\/-\/issues\/1">#1 Crash on &lt;save&gt;<\/a>/);
    assert.match(note!.text, /group\/project/);
    assert.match(note!.text, /#API/, 'labels as hashtags');
    assert.doesNotMatch(note!.text, /@everyone/, 'mass mention neutralised');
    assert.deepEqual(await settled('gitlab:issue:700:1').then((d) => d.map((x) => [x.channelId, x.status])), [[(await parley.app.store.channels.find('telegram', chatId))!.id, 'delivered']]);
    assert.deepEqual(await messages(other.chatId), [], 'a channel watching another project gets nothing');
  });

  test('a wrong or missing X-Gitlab-Token is a 401, and nothing is stored or queued', async () => {
    const { chatId } = await chatWith([['watch', { type: 'all' }]]);
    const wrong = await send(issueBody(PUBLIC, 2), { token: 'not-the-secret-at-all' });
    assert.equal(wrong.status, 401);
    assert.equal((wrong.answer as { error: { code: string } }).error.code, 'parley_signature_invalid');
    assert.match(JSON.stringify(wrong.answer), /PARLEY_GITLAB_WEBHOOK_SECRET/);
    const missing = await send(issueBody(PUBLIC, 2), { token: null });
    assert.equal(missing.status, 401);
    await sleep(300);
    assert.equal(await parley.app.queues.ingest.getJob(ingestJobId('gitlab', wrong.key)), undefined);
    assert.equal(await parley.app.store.inboundEvents.record('gitlab', wrong.key), true, 'the delivery id was never recorded');
    assert.deepEqual(await parley.app.store.deliveries.findBySubject('gitlab:issue:700:2'), []);
    assert.deepEqual(await messages(chatId), []);
  });

  test('the same delivery twice (and the same issue from a second hook) is one message', async () => {
    const { chatId, channelId } = await chatWith([['watch', projectScope(PUBLIC)]]);
    const id = randomUUID();
    const body = issueBody(PUBLIC, 3);
    const first = await send(body, { id });
    const again = await send(body, { id });
    assert.deepEqual([first.status, again.status], [202, 202]);
    await ingested(first.key);
    // A group hook and a project hook both sending it: other ids, the same announcement.
    await deliver(body);
    await emulator.waitForBotMessages(TOKEN, chatId, 1);
    await settled('gitlab:issue:700:3');
    await sleep(500);
    assert.equal((await messages(chatId)).length, 1);
    assert.equal((await parley.app.store.deliveries.findBySubject('gitlab:issue:700:3')).filter((d) => d.channelId === channelId).length, 1);
  });

  test('a confidential issue reaches no one, even a channel naming its project', async () => {
    const { chatId } = await chatWith([['watch', { type: 'all' }], ['watch', projectScope(PUBLIC)]]);
    await deliver(issueBody(PUBLIC, 4, { confidential: true, title: 'Security hole' }), { event: 'Confidential Issue Hook' });
    // Sent by the confidential hook without the flag set: still confidential.
    await deliver(issueBody(PUBLIC, 5, { title: 'Another hole' }), { event: 'Confidential Issue Hook' });
    await sleep(500);
    assert.deepEqual(await parley.app.store.deliveries.findBySubject('gitlab:issue:700:4'), []);
    assert.deepEqual(await parley.app.store.deliveries.findBySubject('gitlab:issue:700:5'), []);
    assert.deepEqual(await messages(chatId), []);
  });

  test("a private project's issue goes through a rule naming the project, not through all or its group", async () => {
    const broad = await chatWith([['watch', { type: 'all' }], ['watch', { type: 'group', path: 'group' }]]);
    const named = await chatWith([['watch', projectScope(PRIVATE)]]);
    await deliver(issueBody(PRIVATE, 1, { title: 'Private roadmap' }));
    const [note] = await emulator.waitForBotMessages(TOKEN, named.chatId, 1);
    assert.match(note!.text, /#1 Private roadmap/);
    const deliveries = await settled('gitlab:issue:701:1');
    assert.deepEqual(deliveries.map((d) => d.channelId), [named.channelId]);
    assert.deepEqual(await messages(broad.chatId), []);
  });

  test('a comment goes under its issue’s announcement for a thread rule; a title edit edits the sent message', async () => {
    const { chatId } = await chatWith([['thread', projectScope(PUBLIC)]]);
    await deliver(issueBody(PUBLIC, 6, { title: 'Slow search' }));
    const [root] = await emulator.waitForBotMessages(TOKEN, chatId, 1);

    await deliver(noteBody(PUBLIC, 6, 90_001, 'Reproduced on 2.3'), { event: 'Note Hook' });
    const [, reply] = await emulator.waitForBotMessages(TOKEN, chatId, 2);
    assert.match(reply!.text, /New reply in <b><a [^>]+>#6 Issue 6</);
    assert.match(reply!.text, /Reproduced on 2\.3/);
    const replyTo = reply!.params.reply_parameters;
    const parameters = (typeof replyTo === 'string' ? JSON.parse(replyTo) : replyTo) as { message_id?: number } | undefined;
    assert.equal(parameters?.message_id, root!.messageId, 'a reply to the issue announcement');

    const retitled = issueBody(PUBLIC, 6, { action: 'update', title: 'Slow search on large projects' }, { changes: { title: { previous: 'Slow search', current: 'Slow search on large projects' } } });
    await deliver(retitled);
    const edited = await eventually(async () => (await messages(chatId)).find((m) => m.messageId === root!.messageId && /large projects/.test(m.text)), 'the edited announcement');
    assert.match(edited.text, /#6 Slow search on large projects/);
    assert.equal((await messages(chatId)).length, 2, 'an edit sends nothing new');
  });

  test('an event kind Parley ignores (push) is answered 2xx and sends nothing', async () => {
    const { chatId } = await chatWith([['watch', { type: 'all' }]]);
    const push = await send(fixture('push.body.json'), { event: 'Push Hook' });
    assert.equal(push.status, 200);
    assert.match((push.answer as { ignored: string }).ignored, /"push" is not an event Parley delivers/);
    await sleep(300);
    assert.equal(await parley.app.queues.ingest.getJob(ingestJobId('gitlab', push.key)), undefined, 'nothing queued');
    assert.deepEqual(await messages(chatId), []);
    // Malformed JSON is the one body refused (400).
    const res = await fetch(`${parley.url}/hooks/gitlab`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-gitlab-token': SECRET }, body: '{"object_kind":' });
    assert.equal(res.status, 400);
    assert.match(await res.text(), /parley_bad_request/);
  });

  test('Standard Webhooks: a good signature is accepted, a bad or stale one is a 401; an unsigned request (GitLab before 19.0) passes on its token', async () => {
    const { chatId } = await chatWith([['watch', projectScope(PUBLIC)]]);
    const bad = await send(issueBody(PUBLIC, 7), { signature: 'bad' });
    assert.equal(bad.status, 401);
    assert.match(JSON.stringify(bad.answer), /bad_signature/);
    const stale = await send(issueBody(PUBLIC, 7), { signature: 'stale' });
    assert.equal(stale.status, 401);
    assert.match(JSON.stringify(stale.answer), /stale_timestamp/);
    await sleep(300);
    assert.equal(await parley.app.queues.ingest.getJob(ingestJobId('gitlab', bad.key)), undefined);

    await deliver(issueBody(PUBLIC, 7, { title: 'Signed' }), { signature: 'good' });
    await deliver(issueBody(PUBLIC, 8, { title: 'Unsigned' }), { signature: 'none' });
    const sent = await emulator.waitForBotMessages(TOKEN, chatId, 2);
    assert.deepEqual(sent.map((m) => /#7 Signed|#8 Unsigned/.exec(m.text)?.[0]).sort(), ['#7 Signed', '#8 Unsigned']);
  });
});
