// The admin page (/admin) in a real browser (Debian's Chromium through playwright-core) against a whole Parley:
// a fake forum with topics, categories and tags, and Telegram through the real grammY adapter and telegram-test-api.
// Everything a user can do on the page is done on the page, found by the accessible names the page promises
// (docs/architecture.md#admin); the platform's side is what the emulator received. Screenshots of every screen,
// at desktop and phone width, go to test-artifacts/admin/.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { checkAccessibility, DESKTOP, launchBrowser, PHONE, screenshot, type TestBrowser } from '../helpers/browser.js';
import { startFakeForum, type FakeForum } from '../helpers/fake-forum.js';
import { readBody } from '../helpers/http.js';
import { eventually, postBody, startParley, type TestParley } from '../helpers/parley.js';
import { startTelegramServer, type TelegramEmulator } from '../helpers/telegram-server.js';

const PASSWORD = 'correct horse battery staple';
const TOKEN = '123456:admin-page-telegram-token';

const CATEGORIES = [
  { id: 4, slug: 'support', name: 'Support', color: '25AAE2' },
  { id: 6, slug: 'alerts', name: 'Alerts', color: 'E45735' },
  { id: 7, slug: 'releases', name: 'Releases', color: '3AB54A' },
];
const TOPICS = [
  { id: 310, title: 'How do I reset my password?', tags: ['howto'], category_id: 4 },
  { id: 311, title: 'Parley 2.0 is out', tags: ['release'], category_id: 7 },
  { id: 312, title: 'Spam wave on the forum', tags: ['spam'], category_id: 6 },
];

/** Telegram groups of the tests: ids as Telegram gives supergroups. */
const GROUPS = {
  pending: { id: -100_100_001, title: 'Newcomers lounge' },
  rules: { id: -100_100_002, title: 'Support desk' },
  kicked: { id: -100_100_003, title: 'Alerts room' },
  flaky: { id: -100_100_004, title: 'Release watchers' },
  test: { id: -100_100_005, title: 'Test bench' },
};

// ---- Telegram as the bot sees it: telegram-test-api behind a thin layer that answers, for one chat at a time, as
// the real Bot API answers when it refuses (the emulator cannot), and hands out my_chat_member updates (the bot
// added to a group), which the emulator cannot make either, with the next getUpdates. ----

interface BotApiAnswer {
  status: number;
  body: unknown;
}
const botApiError = (error_code: number, description: string): BotApiAnswer => ({ status: error_code, body: { ok: false, error_code, description } });
/** Bodies as api.telegram.org sends them. */
const KICKED = botApiError(403, 'Forbidden: bot was kicked from the supergroup chat');
const SERVER_ERROR = botApiError(500, 'Internal Server Error');

/** Who telegram-test-api's getMe says the bot is. */
const EMULATOR_BOT = { id: 666, is_bot: true, first_name: 'Test First name', username: 'TestNameBot' };

interface TelegramDouble {
  apiRoot: string;
  /** Every sendMessage to this chat is answered so until `null` is given. */
  answerChat(chatId: number, answer: BotApiAnswer | null): void;
  /** Someone adds the bot to a group: Telegram tells the bot with my_chat_member. */
  addBotToGroup(group: { id: number; title: string }): void;
  close(): Promise<void>;
}

async function startTelegramDouble(emulator: TelegramEmulator): Promise<TelegramDouble> {
  const refusals = new Map<string, BotApiAnswer>();
  const updates: object[] = [];
  let nextUpdateId = 1_000_000;

  async function answer(method: string, path: string, raw: string, contentType: string | undefined): Promise<BotApiAnswer> {
    if (method === 'sendMessage') {
      const chatId = String((JSON.parse(raw || '{}') as { chat_id?: unknown }).chat_id);
      const refusal = refusals.get(chatId);
      if (refusal) return refusal;
    }
    const res = await fetch(`${emulator.apiRoot}${path}`, { method: 'POST', headers: contentType ? { 'content-type': contentType } : {}, ...(raw ? { body: raw } : {}) });
    const body = (await res.json()) as { result?: unknown };
    if (method === 'getUpdates' && updates.length > 0 && Array.isArray(body.result)) return { status: res.status, body: { ok: true, result: [...updates.splice(0), ...(body.result as unknown[])] } };
    return { status: res.status, body };
  }

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      let reply: BotApiAnswer;
      try {
        const path = req.url ?? '/';
        reply = await answer(path.split('?')[0]!.split('/').pop() ?? '', path, await readBody(req), req.headers['content-type']);
      } catch (err) {
        reply = { status: 502, body: { message: `telegram double: ${(err as Error).message}` } };
      }
      if (!res.destroyed) res.writeHead(reply.status, { 'content-type': 'application/json' }).end(JSON.stringify(reply.body));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    apiRoot: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    answerChat(chatId, refusal) {
      if (refusal) refusals.set(String(chatId), refusal);
      else refusals.delete(String(chatId));
    },
    addBotToGroup(group) {
      updates.push({
        update_id: nextUpdateId++,
        my_chat_member: {
          chat: { id: group.id, type: 'supergroup', title: group.title },
          from: { id: 4711, is_bot: false, first_name: 'Stranger', username: 'stranger' },
          date: Math.floor(Date.now() / 1000),
          old_chat_member: { status: 'left', user: EMULATOR_BOT },
          new_chat_member: { status: 'member', user: EMULATOR_BOT },
        },
      });
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// ---- What a user does and sees on the page. ----

const SECTIONS = [
  { name: 'Overview', hash: '#/overview' },
  { name: 'Platforms and sources', hash: '#/platforms' },
  { name: 'Channels', hash: '#/channels' },
  { name: 'Rules', hash: '#/rules' },
  { name: 'Identities', hash: '#/identities' },
  { name: 'Transcripts', hash: '#/transcripts' },
  { name: 'Deliveries', hash: '#/deliveries' },
] as const;
type SectionName = (typeof SECTIONS)[number]['name'];

const heading = (page: Page, name: string): Locator => page.getByRole('heading', { level: 1, name, exact: true });
const table = (page: Page, caption: string): Locator => page.getByRole('table', { name: caption, exact: true });
/** The body rows of a table (the header row has no cells). */
const bodyRows = (t: Locator): Locator => t.getByRole('row').filter({ has: t.page().getByRole('cell') });
const rowWith = (t: Locator, text: string): Locator => bodyRows(t).filter({ hasText: text });

/** The row's cells as shown, its header cell included. */
async function cellTexts(row: Locator): Promise<string[]> {
  return (await row.locator(':scope > th, :scope > td').allInnerTexts()).map((s) => s.trim());
}

describe('the admin page in a browser', () => {
  let emulator: TelegramEmulator;
  let telegram: TelegramDouble;
  let forum: FakeForum;
  let parley: TestParley;
  let browser: TestBrowser;
  let page: Page;

  before(async () => {
    emulator = await startTelegramServer();
    telegram = await startTelegramDouble(emulator);
    forum = await startFakeForum({ categories: CATEGORIES });
    for (const t of TOPICS) forum.topics.set(t.id, t);
    parley = await startParley({
      env: {
        PARLEY_ADMIN_PASSWORD: PASSWORD,
        PARLEY_DISCOURSE_URL: forum.url,
        PARLEY_DISCOURSE_API_KEY: forum.apiKey,
        PARLEY_TELEGRAM_TOKEN: TOKEN,
        PARLEY_TELEGRAM_API_ROOT: telegram.apiRoot,
        // One try: a delivery the platform refuses with a 500 fails for good at once, for the retry test.
        PARLEY_DELIVERY_ATTEMPTS: '1',
      },
    });
    browser = await launchBrowser(parley.url);
    page = browser.page;
  });

  after(async () => {
    await browser?.close();
    if (parley) {
      // The sessions and the login limiter of this run.
      const keys = await parley.app.redis.keys(`${parley.env.PARLEY_QUEUE_PREFIX}:admin*`);
      if (keys.length > 0) await parley.app.redis.del(...keys);
      await parley.stop();
    }
    await telegram?.close();
    await forum?.stop();
    await emulator?.stop();
  });

  /** Opens /admin at a section, logging in first when the page asks for it. */
  async function open(section: SectionName, query = ''): Promise<void> {
    const { hash } = SECTIONS.find((s) => s.name === section)!;
    const target = `${parley.url}/admin${hash}${query}`;
    // The same address again is no navigation at all: reload, as a user would, to see what changed since.
    if (page.url() === target) await page.reload();
    else await page.goto(target);
    const nav = page.getByRole('navigation', { name: 'Sections' });
    const password = page.getByLabel('Password', { exact: true });
    await nav.or(password).first().waitFor();
    if (await password.isVisible()) {
      await password.fill(PASSWORD);
      await page.getByRole('button', { name: 'Log in' }).click();
      await nav.waitFor();
      // After login the page shows where the address says, or the Overview.
      if (!(await heading(page, section).isVisible())) await nav.getByRole('link', { name: section, exact: true }).click();
    }
    await heading(page, section).waitFor();
  }

  /** A wrong or right password typed into the login form; resolves with the server's answer's status. */
  async function tryPassword(password: string): Promise<number> {
    await page.getByLabel('Password', { exact: true }).fill(password);
    const [answer] = await Promise.all([page.waitForResponse((r) => new URL(r.url()).pathname === '/admin/login'), page.getByRole('button', { name: 'Log in' }).click()]);
    return answer.status();
  }

  /** What the API says, with the page's own session (GET needs no CSRF token). */
  async function apiGet<T>(path: string): Promise<T> {
    const res = await page.request.get(`${parley.url}/api/${path}`);
    assert.equal(res.status(), 200, `GET /api/${path}: ${await res.text()}`);
    return (await res.json()) as T;
  }

  async function channelIdOf(group: { id: number }): Promise<number> {
    const channel = await parley.app.store.channels.find('telegram', String(group.id));
    assert.ok(channel, `a channel for Telegram chat ${group.id}`);
    return channel.id;
  }

  /** The "Add channel" form on the Channels section, for a Telegram group. */
  async function addChannel(group: { id: number; title: string }): Promise<number> {
    await open('Channels');
    const form = page.locator('form').filter({ has: page.getByRole('button', { name: 'Add channel' }) });
    await form.getByLabel('Platform').selectOption('telegram');
    await form.getByLabel(/channel id/i).fill(String(group.id));
    await form.getByLabel(/^name$/i).fill(group.title);
    await form.getByRole('button', { name: 'Add channel' }).click();
    await rowWith(table(page, 'Active'), group.title).waitFor();
    return channelIdOf(group);
  }

  /** From the channel's row in Channels, its rules; then the "Add rule" form. */
  async function addRule(channelName: string, filter: string, scope: string): Promise<void> {
    if (!(await page.getByRole('heading', { level: 2, name: `Rules of ${channelName}`, exact: true }).isVisible())) {
      await open('Channels');
      await rowWith(table(page, 'Active'), channelName).getByRole('button', { name: 'Rules' }).click();
      await heading(page, 'Rules').waitFor();
    }
    const rules = table(page, 'Rules');
    await page.getByLabel('Source', { exact: true }).selectOption('discourse');
    await page.getByLabel('Filter', { exact: true }).selectOption(filter);
    await page.getByLabel('Scope', { exact: true }).fill(scope);
    await page.getByRole('button', { name: 'Add rule' }).click();
    await rowWith(rules, scope).waitFor();
  }

  test('log in: a wrong password is refused with the server\'s message, the right one shows the Overview, log out goes back', async () => {
    await page.goto(`${parley.url}/admin`);
    // The static page says "Loading…" under the same heading until the script has asked for a session.
    await page.getByLabel('Password', { exact: true }).waitFor();
    await page.getByRole('heading', { name: 'Parley admin' }).waitFor();
    for (const [size, width] of [[DESKTOP, 'desktop'], [PHONE, 'phone']] as const) {
      await page.setViewportSize(size);
      await checkAccessibility(page, `the login screen (${width})`);
      await screenshot(page, `login-${width}`);
    }
    await page.setViewportSize(DESKTOP);

    assert.equal(await tryPassword('not the password'), 401);
    const alert = page.getByRole('alert');
    await alert.filter({ hasText: 'Wrong password.' }).waitFor();
    await checkAccessibility(page, 'the login screen with its error');
    assert.ok(!(await page.getByRole('navigation', { name: 'Sections' }).isVisible()), 'still logged out');

    assert.equal(await tryPassword(PASSWORD), 200);
    await heading(page, 'Overview').waitFor();
    const nav = page.getByRole('navigation', { name: 'Sections' });
    assert.deepEqual((await nav.getByRole('link').allInnerTexts()).map((s) => s.trim()), SECTIONS.map((s) => s.name));

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('heading', { name: 'Parley admin' }).waitFor();
    await page.getByLabel('Password', { exact: true }).waitFor();
    const session = await page.request.get(`${parley.url}/api/session`);
    assert.equal(session.status(), 401, 'the session is over on the server too');
  });

  test('a pending channel, accepted, moves from Pending to Active', async () => {
    const group = GROUPS.pending;
    telegram.addBotToGroup(group);
    // The bot was added by someone Parley cannot vouch for: the channel waits for an admin.
    await eventually(async () => ((await parley.app.store.channels.find('telegram', String(group.id)))?.status === 'pending' ? true : undefined), 'the group registered as pending');

    await open('Channels');
    const pending = rowWith(table(page, 'Pending'), group.title);
    await pending.waitFor();
    assert.equal(await rowWith(table(page, 'Active'), group.title).count(), 0);
    await pending.getByRole('button', { name: 'Accept' }).click();

    await rowWith(table(page, 'Active'), group.title).waitFor();
    await pending.waitFor({ state: 'detached' });
    assert.equal((await parley.app.store.channels.find('telegram', String(group.id)))?.status, 'active');
  });

  test('rules added through the form show in precedence order; a nonsense scope shows the API\'s error', async () => {
    const group = GROUPS.rules;
    const channelId = await addChannel(group);
    await addRule(group.title, 'watch', 'c/support');
    await addRule(group.title, 'mute', 't/spam');

    const rows = bodyRows(table(page, 'Rules'));
    await rows.nth(1).waitFor();
    const shown: string[][] = [];
    for (const row of await rows.all()) shown.push((await cellTexts(row)).slice(0, 4));
    const api = await apiGet<{ number: number; source: string; filter: string; scope: string }[]>(`channels/${channelId}/rules`);
    assert.deepEqual(
      shown,
      api.map((r) => [String(r.number), r.source, r.filter, r.scope]),
      'the table lists the rules as the API orders them',
    );
    // The mute, added last, comes first: the more restrictive rule wins.
    assert.deepEqual(shown.map((r) => `${r[2]} ${r[3]}`), ['mute t/spam', 'watch c/support']);

    await page.getByLabel('Filter', { exact: true }).selectOption('watch');
    await page.getByLabel('Scope', { exact: true }).fill('nonsense!!');
    await page.getByRole('button', { name: 'Add rule' }).click();
    // The API's own words: the scope grammar's explanation.
    await page.getByRole('alert').filter({ hasText: '"nonsense!!" is not a scope' }).waitFor();
    assert.equal(await bodyRows(table(page, 'Rules')).count(), 2, 'nothing was added');
    await checkAccessibility(page, 'Rules with a refused scope');
    await screenshot(page, 'rules-refused-scope');
  });

  test('send a test message: pick a forum topic, Send, the page says delivered and the chat has it', async () => {
    const group = GROUPS.test;
    const topic = TOPICS[1]!;
    await addChannel(group);
    await rowWith(table(page, 'Active'), group.title).getByRole('button', { name: 'Send test message' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    const picker = dialog.getByLabel('Forum topic');
    await picker.locator('option', { hasText: topic.title }).waitFor({ state: 'attached' });
    await picker.selectOption({ label: topic.title });
    await checkAccessibility(page, 'the test message dialog');
    await dialog.getByRole('button', { name: 'Send', exact: true }).click();
    await dialog.getByRole('status').filter({ hasText: `Delivered to ${group.title}` }).waitFor();
    await screenshot(page, 'channels-test-message-delivered');
    await dialog.getByRole('button', { name: 'Close', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });

    const [message] = await emulator.waitForBotMessages(TOKEN, group.id, 1);
    assert.ok(message!.text.includes(topic.title), `the chat got: ${message!.text}`);
  });

  test('a channel the platform refused for good is In error, with the reason and the platform\'s answer', async () => {
    const group = GROUPS.kicked;
    const channelId = await addChannel(group);
    await addRule(group.title, 'watch', 'c/alerts');
    telegram.answerChat(group.id, KICKED);
    const sent = await parley.sendWebhook('post_created', postBody({ id: 9001, topicId: 312, categoryId: 6, title: TOPICS[2]!.title }));
    assert.equal(sent.status, 202);
    await eventually(async () => ((await parley.app.store.channels.get(channelId))?.status === 'error' ? true : undefined), 'the channel marked in error');

    await open('Channels');
    const row = rowWith(table(page, 'In error'), group.title);
    await row.waitFor();
    await row.getByText(/removed from this chat/i).waitFor();
    const answer = row.locator('details').filter({ has: page.locator('summary', { hasText: "Platform's answer" }) });
    const raw = answer.getByText(/bot was kicked/);
    assert.equal(await raw.isVisible(), false, 'the raw answer waits behind its toggle');
    await answer.locator('summary').click();
    await raw.waitFor();
    await checkAccessibility(page, 'Channels with one in error');
    await screenshot(page, 'channels-in-error');
  });

  test('a failed delivery, retried once the platform is back, is delivered', async () => {
    const group = GROUPS.flaky;
    await addChannel(group);
    await addRule(group.title, 'watch', 'c/releases');
    telegram.answerChat(group.id, SERVER_ERROR);
    await parley.sendWebhook('post_created', postBody({ id: 9002, topicId: 311, categoryId: 7, title: TOPICS[1]!.title }));
    const jobId = `post-9002-ch-${await channelIdOf(group)}`;
    await eventually(async () => ((await parley.app.store.deliveries.getByJobId(jobId))?.status === 'failed' ? true : undefined), 'the delivery failed');
    telegram.answerChat(group.id, null);
    const before = (await emulator.botMessages(TOKEN, group.id)).length;

    await open('Deliveries');
    const deliveries = table(page, 'Deliveries');
    const failed = rowWith(deliveries, group.title).filter({ hasText: 'failed' });
    await failed.waitFor();
    await failed.getByText(/Internal Server Error/).waitFor();
    await failed.getByRole('button', { name: 'Retry' }).click();
    await rowWith(deliveries, group.title).filter({ hasText: 'queued' }).waitFor();
    await eventually(async () => ((await parley.app.store.deliveries.getByJobId(jobId))?.status === 'delivered' ? true : undefined), 'the retried delivery done');
    // The page looks again by itself once, a few seconds after the retry; a slower delivery needs the user to search again.
    const delivered = rowWith(deliveries, group.title).filter({ hasText: 'delivered' });
    if (!(await delivered.isVisible())) await page.getByRole('button', { name: 'Search' }).click();
    await delivered.waitFor();
    const messages = await emulator.waitForBotMessages(TOKEN, group.id, before + 1);
    assert.match(messages.at(-1)!.text, /Parley 2\.0 is out/);
  });

  // After the others, so that the tables have rows to check.
  test('every section passes axe-core at desktop and phone width; screenshots kept; no request to another host', async () => {
    const rulesChannel = await channelIdOf(GROUPS.rules);
    // What each section shows once its data is in.
    const loaded: Record<SectionName, (p: Page) => Locator> = {
      Overview: (p) => table(p, 'Health'),
      'Platforms and sources': (p) => table(p, 'Variables of Telegram'),
      Channels: (p) => table(p, 'Active'),
      Rules: (p) => table(p, 'Rules'),
      Identities: (p) => table(p, 'Identities'),
      Transcripts: (p) => table(p, 'Transcripts'),
      Deliveries: (p) => table(p, 'Deliveries'),
    };
    for (const [size, width] of [[DESKTOP, 'desktop'], [PHONE, 'phone']] as const) {
      await page.setViewportSize(size);
      for (const section of SECTIONS) {
        await open(section.name, section.name === 'Rules' ? `?channel=${rulesChannel}` : '');
        await loaded[section.name](page).waitFor();
        await page.locator('main p').filter({ hasText: /^Loading/ }).first().waitFor({ state: 'detached' });
        await checkAccessibility(page, `${section.name} (${width})`);
        await screenshot(page, `${section.hash.slice(2)}-${width}`);
      }
    }
    await page.setViewportSize(DESKTOP);
    assert.deepEqual(browser.foreignRequests, [], 'the page asked no other host for anything');
  });

  // Last: it locks this browser's address out of logging in.
  test('after five wrong passwords, the sixth try is refused as too many', async () => {
    await page.goto(`${parley.url}/admin`);
    const nav = page.getByRole('navigation', { name: 'Sections' });
    const password = page.getByLabel('Password', { exact: true });
    await nav.or(password).first().waitFor();
    if (await nav.isVisible()) await page.getByRole('button', { name: 'Log out' }).click();
    for (let i = 1; i <= 5; i++) {
      assert.equal(await tryPassword(`wrong guess ${i}`), 401, `try ${i}`);
      await page.getByRole('alert').filter({ hasText: 'Wrong password.' }).waitFor();
    }
    assert.equal(await tryPassword(`wrong guess 6`), 429);
    await page.getByRole('alert').filter({ hasText: /Too many login attempts/ }).waitFor();
    assert.equal(await tryPassword(PASSWORD), 429, 'even the right password waits now');
    await page.getByRole('alert').filter({ hasText: /Too many login attempts/ }).waitFor();
    assert.ok(!(await nav.isVisible()), 'not logged in');
    await screenshot(page, 'login-too-many-attempts');
    assert.deepEqual(browser.foreignRequests, [], 'the page asked no other host for anything');
  });
});
