// A small stateful Slack Web API for tests, driven by a real @slack/web-api WebClient (`slackApiUrl: fake.url`):
// users, channels, messages with threads, history with cursors, faults, Slack's slow tier for history, the
// response_url endpoints of slash commands, and (with `socket: true`) Socket Mode (fake-slack-socket.ts).
//
// Every Web API request is checked against Slack's own OpenAPI document (../shared/specs, read at run time,
// never copied): an unknown method, a missing required parameter, a parameter the method does not define or a
// value of the wrong type lands in `violations`, which tests expect to stay empty.
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { attachFakeSocketMode, type FakeSocketMode } from './fake-slack-socket.js';
import { readBody } from './http.js';

// ---------------------------------------------------------------------------------------------------------
// The spec check

const SPEC_URL = new URL('../../../shared/specs/slack-web-openapi-v2.patched.json', import.meta.url);

interface SpecParameter {
  name: string;
  in: string;
  required?: boolean;
  type?: string;
}
interface MethodSpec {
  parameters: Map<string, SpecParameter>;
}

// Real methods the 2020 spec lacks (specs/SOURCES.md). apps.connections.open takes nothing but the app-level
// token (Slack docs, "apps.connections.open": required argument `token` only).
const NOT_IN_SPEC: Record<string, SpecParameter[]> = {
  'apps.connections.open': [],
};

let specMethods: Promise<Map<string, MethodSpec>> | undefined;

/** The spec's methods and their parameters, read once per process. */
function loadSpec(): Promise<Map<string, MethodSpec>> {
  specMethods ??= readFile(SPEC_URL, 'utf8').then((text) => {
    const spec = JSON.parse(text) as { paths: Record<string, Record<string, { parameters?: SpecParameter[] }>> };
    const methods = new Map<string, MethodSpec>();
    for (const [path, operations] of Object.entries(spec.paths)) {
      // One operation per method (get or post): Slack takes any method over either verb, and the WebClient
      // always POSTs a form, so where the spec puts a parameter (query or formData) says nothing here.
      const operation = Object.values(operations)[0];
      const parameters = new Map((operation?.parameters ?? []).map((p) => [p.name, p]));
      methods.set(path.replace(/^\//u, ''), { parameters });
    }
    for (const [method, parameters] of Object.entries(NOT_IN_SPEC)) methods.set(method, { parameters: new Map(parameters.map((p) => [p.name, p])) });
    return methods;
  });
  return specMethods;
}

export interface SpecViolation {
  /** The Slack method (`chat.postMessage`), or `socket` for the Socket Mode fake. */
  method: string;
  kind: 'unknown_method' | 'missing_parameter' | 'unknown_parameter' | 'bad_type' | 'no_token' | 'bad_body' | 'socket';
  parameter?: string;
  message: string;
}

const TYPE_CHECKS: Record<string, (value: string) => boolean> = {
  integer: (v) => /^-?\d+$/u.test(v),
  number: (v) => v.trim() !== '' && Number.isFinite(Number(v)),
  boolean: (v) => ['true', 'false', '1', '0'].includes(v),
};

function checkRequest(spec: Map<string, MethodSpec>, method: string, raw: Record<string, string>, headers: IncomingHttpHeaders): SpecViolation[] {
  const found = spec.get(method);
  if (!found) return [{ method, kind: 'unknown_method', message: `${method} is not a method in Slack's Web API spec` }];
  const violations: SpecViolation[] = [];
  const bearer = /^Bearer \S+/u.test(headers.authorization ?? '');
  if (!bearer && raw.token === undefined) violations.push({ method, kind: 'no_token', message: `${method} was called without a token (Authorization: Bearer …)` });
  for (const p of found.parameters.values()) {
    // The patched spec keeps a required `token` query parameter on some methods: the header carries it.
    if (p.required && p.name !== 'token' && raw[p.name] === undefined) {
      violations.push({ method, kind: 'missing_parameter', parameter: p.name, message: `${method} needs ${p.name}` });
    }
  }
  for (const [name, value] of Object.entries(raw)) {
    // Slack takes the token as a parameter of any method, though the WebClient sends it as a header.
    if (name === 'token') continue;
    const p = found.parameters.get(name);
    if (!p) {
      violations.push({ method, kind: 'unknown_parameter', parameter: name, message: `${method} defines no parameter ${name}` });
      continue;
    }
    const check = p.type ? TYPE_CHECKS[p.type] : undefined;
    if (check && !check(value)) violations.push({ method, kind: 'bad_type', parameter: name, message: `${method}: ${name} should be ${p.type}, got ${JSON.stringify(value)}` });
  }
  return violations;
}

// ---------------------------------------------------------------------------------------------------------
// State

export interface FakeSlackUser {
  id: string;
  name: string;
  real_name?: string;
  display_name?: string;
  is_admin?: boolean;
  is_owner?: boolean;
  is_primary_owner?: boolean;
  is_bot?: boolean;
  tz?: string;
}

export interface FakeSlackChannel {
  id: string;
  name: string;
  is_private?: boolean;
  is_archived?: boolean;
  is_im?: boolean;
  /** False: the bot is not a member (history and posting answer not_in_channel). Default true. */
  is_member?: boolean;
}

/** A message as Slack returns it; the fake adds `type`, and on thread parents `reply_count` and `latest_reply`. */
export interface FakeSlackMessage {
  ts: string;
  text?: string;
  user?: string;
  subtype?: string;
  bot_id?: string;
  username?: string;
  bot_profile?: { id?: string; name?: string };
  /** A reply names its parent's ts here; a parent's own thread_ts is added by the fake. */
  thread_ts?: string;
  files?: { id: string; name?: string; title?: string }[];
  hidden?: boolean;
  [field: string]: unknown;
}

export interface RecordedSlackRequest {
  /** The Slack method (`chat.postMessage`), or `response_url`. */
  method: string;
  /** The parameters as sent; JSON-encoded ones (blocks, attachments, metadata…) decoded. */
  args: Record<string, unknown>;
  headers: IncomingHttpHeaders;
  /** Date.now() when the request arrived. */
  at: number;
}

/** A canned answer, given instead of the normal one to the next request (of `method`, when set). */
export interface FakeSlackFault {
  /** The method (or methods: the first of them to be called takes it). */
  method?: string | readonly string[];
  /** HTTP status; 200 by default. */
  status?: number;
  /** JSON body; for a 200 `{ ok: false, error: 'internal_error' }`, for a 429 `{ ok: false, error: 'ratelimited' }`. */
  body?: unknown;
  headers?: Record<string, string>;
}

export interface HistoryLimit {
  /** The most messages one conversations.history / .replies page holds, whatever `limit` asks. */
  perPage: number;
  /** Requests per window and method; more answer 429 with Retry-After. */
  perWindow: number;
  windowMs: number;
}

/**
 * Slack's limit for commercially distributed apps not approved for the Marketplace (docs.slack.dev changelog,
 * 2025-05-29, "Rate limit changes for non-Marketplace apps"): conversations.history and conversations.replies
 * fall from Tier 3 to 1 request a minute, and the maximum (and default) `limit` to 15. It applies to apps
 * created since 2025-05-29 and to new installs; internal, customer-built apps keep Tier 3.
 */
export const NON_MARKETPLACE_HISTORY_LIMIT: HistoryLimit = { perPage: 15, perWindow: 1, windowMs: 60_000 };

export interface ResponseUrlPost {
  id: string;
  body: Record<string, unknown>;
  at: number;
}

export interface EphemeralMessage {
  channel: string;
  user: string;
  text?: string;
  blocks?: unknown;
  thread_ts?: string;
  message_ts: string;
}

export interface FakeSlackOptions {
  users?: FakeSlackUser[];
  channels?: FakeSlackChannel[];
  /** Per channel id, in any order; replies carry `thread_ts` (their parent's ts). */
  messages?: Record<string, FakeSlackMessage[]>;
  /** Slack's slow tier for conversations.history / .replies (NON_MARKETPLACE_HISTORY_LIMIT, or faster for tests). */
  historyLimit?: HistoryLimit;
  /** The bot's identity (auth.test, and the author of what it posts). */
  bot?: { userId: string; botId: string; name: string };
  team?: { id: string; name: string };
  /** Also serve Socket Mode: apps.connections.open and a WebSocket at /link. */
  socket?: boolean;
}

export interface FakeSlack {
  /** Ends with `/api/`: give it to the WebClient as `slackApiUrl`. */
  url: string;
  requests: RecordedSlackRequest[];
  violations: SpecViolation[];
  /** Consumed before normal answers: the first fault whose method matches (or that names none). */
  queue: FakeSlackFault[];
  /** Posts to response_url endpoints that were accepted. */
  responses: ResponseUrlPost[];
  ephemerals: EphemeralMessage[];
  /** Present with `socket: true`. */
  socket: FakeSocketMode | undefined;
  /** The channel's top-level messages and thread replies, oldest first (replies after their parent). */
  messages(channelId: string): FakeSlackMessage[];
  /** Someone deletes a message in Slack (a thread parent takes its replies with it); false when there was none. */
  removeMessage(channelId: string, ts: string): boolean;
  /** Adds a message (a reply when it has thread_ts); returns its ts. */
  addMessage(channelId: string, message: Omit<FakeSlackMessage, 'ts'> & { ts?: string }): string;
  addUser(user: FakeSlackUser): void;
  /** Adds a channel, or changes one (archive it, take the bot out of it). */
  setChannel(channel: FakeSlackChannel): void;
  /** A response_url on this server, usable 5 times within 30 minutes like Slack's. */
  responseUrl(id: string): string;
  /** Requests of one method. */
  calls(method: string): RecordedSlackRequest[];
  stop(): Promise<void>;
}

// Parameters the WebClient JSON-encodes into one form field (its serializeBody): decoded for `args`.
const JSON_ENCODED = new Set(['blocks', 'attachments', 'metadata', 'unfurls', 'view', 'user_auth_blocks']);

/** What a response_url takes (Slack docs, "Handling user interaction": responding with response_url). */
const RESPONSE_URL_USES = 5;
const RESPONSE_URL_LIFETIME_MS = 30 * 60_000;

/** Slack's `ts`: seconds, a dot, six digits of microseconds. */
export function slackTs(ms: number, micros = 0): string {
  const seconds = Math.floor(ms / 1000);
  const us = (ms % 1000) * 1000 + micros;
  return `${seconds}.${String(us).padStart(6, '0')}`;
}

/** Orders two ts strings as Slack does (numerically). */
function compareTs(a: string, b: string): number {
  const [as = '0', af = '0'] = a.split('.');
  const [bs = '0', bf = '0'] = b.split('.');
  return Number(as) - Number(bs) || Number(af.padEnd(6, '0')) - Number(bf.padEnd(6, '0'));
}

// Slack's history cursors are base64 of `next_ts:<ts>`: tied to a message, so stable while messages arrive.
const encodeCursor = (ts: string): string => Buffer.from(`next_ts:${ts}`).toString('base64');
function decodeCursor(cursor: string): string | null {
  const text = Buffer.from(cursor, 'base64').toString('utf8');
  return text.startsWith('next_ts:') ? text.slice('next_ts:'.length) : null;
}

interface ChannelState {
  info: FakeSlackChannel;
  /** Top-level messages (and thread broadcasts, which show in the channel too). */
  messages: FakeSlackMessage[];
  /** Replies by parent ts, broadcasts included. */
  threads: Map<string, FakeSlackMessage[]>;
}

interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

const ok = (body: Record<string, unknown>): Answer => ({ status: 200, body: { ok: true, ...body } });
const fail = (error: string, extra: Record<string, unknown> = {}): Answer => ({ status: 200, body: { ok: false, error, ...extra } });

function parseBody(raw: string, contentType: string | undefined): Record<string, string> | null {
  if (raw === '') return {};
  if ((contentType ?? '').startsWith('application/json')) {
    try {
      const parsed = JSON.parse(raw) as unknown;
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return null;
      // As if form-encoded, so that one check serves both.
      return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
    } catch {
      return null;
    }
  }
  return Object.fromEntries(new URLSearchParams(raw));
}

function decodeArgs(raw: Record<string, string>): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (JSON_ENCODED.has(name)) {
      try {
        args[name] = JSON.parse(value);
        continue;
      } catch {
        // Kept as sent: the spec check does not judge JSON, the test can.
      }
    }
    args[name] = value;
  }
  return args;
}

function send(res: ServerResponse, answer: Answer): void {
  const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
  const type = typeof answer.body === 'string' ? 'text/plain' : 'application/json; charset=utf-8';
  res.writeHead(answer.status, { 'content-type': type, ...answer.headers });
  res.end(text);
}

export async function startFakeSlack(opts: FakeSlackOptions = {}): Promise<FakeSlack> {
  const spec = await loadSpec();
  const bot = opts.bot ?? { userId: 'UBOT000001', botId: 'B0000000001', name: 'parley' };
  const team = opts.team ?? { id: 'T0000000001', name: 'Acme' };
  const users = new Map((opts.users ?? []).map((u) => [u.id, u]));
  const channels = new Map<string, ChannelState>();
  const requests: RecordedSlackRequest[] = [];
  const violations: SpecViolation[] = [];
  const queue: FakeSlackFault[] = [];
  const responses: ResponseUrlPost[] = [];
  const ephemerals: EphemeralMessage[] = [];
  const responseUrls = new Map<string, { uses: number; createdAt: number }>();
  /** Per method, when the requests Slack let through in the current window arrived. */
  const windowLog = new Map<string, number[]>();
  let lastTs = '0.000000';

  const channelState = (info: FakeSlackChannel): ChannelState => {
    const existing = channels.get(info.id);
    if (existing) {
      existing.info = { ...existing.info, ...info };
      return existing;
    }
    const state: ChannelState = { info, messages: [], threads: new Map() };
    channels.set(info.id, state);
    return state;
  };
  for (const c of opts.channels ?? []) channelState(c);

  const bump = (ts: string): string => {
    const [s = '0', f = '0'] = ts.split('.');
    const micros = Number(f.padEnd(6, '0')) + 1;
    return micros >= 1_000_000 ? `${Number(s) + 1}.000000` : `${s}.${String(micros).padStart(6, '0')}`;
  };
  /** A ts after every other, near now (as Slack stamps what is posted). */
  const nextTs = (): string => {
    const candidate = slackTs(Date.now());
    lastTs = compareTs(candidate, lastTs) > 0 ? candidate : bump(lastTs);
    return lastTs;
  };

  const addMessage = (channelId: string, message: Omit<FakeSlackMessage, 'ts'> & { ts?: string }): string => {
    const state = channels.get(channelId) ?? channelState({ id: channelId, name: channelId.toLowerCase() });
    const ts = message.ts ?? nextTs();
    if (compareTs(ts, lastTs) > 0) lastTs = ts;
    const stored: FakeSlackMessage = { ...message, ts };
    const parent = stored.thread_ts !== undefined && stored.thread_ts !== ts ? stored.thread_ts : undefined;
    if (parent === undefined) {
      state.messages.push(stored);
    } else {
      const replies = state.threads.get(parent) ?? [];
      replies.push(stored);
      state.threads.set(parent, replies);
      if (stored.subtype === 'thread_broadcast') state.messages.push(stored);
    }
    return ts;
  };
  for (const [channelId, list] of Object.entries(opts.messages ?? {})) for (const m of list) addMessage(channelId, m);

  /** A message as Slack shows it: `type`, and on a thread parent its thread fields. */
  const view = (state: ChannelState, m: FakeSlackMessage): Record<string, unknown> => {
    const replies = state.threads.get(m.ts);
    const shown: Record<string, unknown> = { type: 'message', ...m };
    if (replies && replies.length > 0) {
      const sorted = [...replies].sort((a, b) => compareTs(a.ts, b.ts));
      Object.assign(shown, {
        thread_ts: m.ts,
        reply_count: sorted.length,
        reply_users: [...new Set(sorted.map((r) => r.user).filter((u) => u !== undefined))],
        reply_users_count: new Set(sorted.map((r) => r.user).filter((u) => u !== undefined)).size,
        latest_reply: sorted.at(-1)!.ts,
      });
    }
    return shown;
  };

  const findMessage = (state: ChannelState, ts: string): { list: FakeSlackMessage[]; index: number } | null => {
    let index = state.messages.findIndex((m) => m.ts === ts);
    if (index !== -1) return { list: state.messages, index };
    for (const list of state.threads.values()) {
      index = list.findIndex((m) => m.ts === ts);
      if (index !== -1) return { list, index };
    }
    return null;
  };

  /** 429 when the method's window is full (slow tier only). */
  const rateLimited = (method: string, now: number): Answer | null => {
    const limit = opts.historyLimit;
    if (!limit || (method !== 'conversations.history' && method !== 'conversations.replies')) return null;
    const recent = (windowLog.get(method) ?? []).filter((at) => at > now - limit.windowMs);
    windowLog.set(method, recent);
    if (recent.length < limit.perWindow) {
      recent.push(now);
      return null;
    }
    // Whole seconds, at least 1, as Slack's Retry-After.
    const seconds = Math.max(1, Math.ceil((recent[0]! + limit.windowMs - now) / 1000));
    return { status: 429, body: { ok: false, error: 'ratelimited' }, headers: { 'retry-after': String(seconds) } };
  };

  /** One page of an ascending or descending list, after `oldest`/`latest`, from the cursor on. */
  const page = (list: FakeSlackMessage[], args: Record<string, string>, defaultLimit: number): { items: FakeSlackMessage[]; next: string | null } | Answer => {
    const inclusive = args.inclusive === 'true' || args.inclusive === '1';
    const inRange = (ts: string): boolean => {
      if (args.oldest !== undefined) {
        const c = compareTs(ts, args.oldest);
        if (c < 0 || (c === 0 && !inclusive)) return false;
      }
      if (args.latest !== undefined) {
        const c = compareTs(ts, args.latest);
        if (c > 0 || (c === 0 && !inclusive)) return false;
      }
      return true;
    };
    let items = list.filter((m) => inRange(m.ts));
    if (args.cursor !== undefined && args.cursor !== '') {
      const from = decodeCursor(args.cursor);
      const at = from === null ? -1 : items.findIndex((m) => m.ts === from);
      if (at === -1) return fail('invalid_cursor');
      items = items.slice(at);
    }
    const asked = args.limit !== undefined ? Number(args.limit) : defaultLimit;
    let limit = Math.min(Math.max(1, asked || defaultLimit), 999);
    if (opts.historyLimit) limit = Math.min(limit, opts.historyLimit.perPage);
    const next = items.length > limit ? items[limit]!.ts : null;
    return { items: items.slice(0, limit), next };
  };

  const memberChannel = (args: Record<string, string>): ChannelState | Answer => {
    const state = args.channel !== undefined ? channels.get(args.channel) : undefined;
    if (!state) return fail('channel_not_found');
    if (state.info.is_member === false) return fail('not_in_channel');
    return state;
  };
  /** A JSON-encoded parameter, or undefined when it is not JSON (Slack then answers invalid_<name>). */
  const json = (value: string): unknown => {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return undefined;
    }
  };
  const isAnswer = (x: unknown): x is Answer => typeof x === 'object' && x !== null && 'status' in x && 'body' in x;

  const handlers: Record<string, (args: Record<string, string>, headers: IncomingHttpHeaders) => Answer> = {
    'auth.test': () => ok({ url: 'https://acme.slack.com/', team: team.name, user: bot.name, team_id: team.id, user_id: bot.userId, bot_id: bot.botId, is_enterprise_install: false }),
    'users.info': (args) => {
      const user = args.user !== undefined ? users.get(args.user) : undefined;
      if (!user) return fail('user_not_found');
      return ok({
        user: {
          id: user.id,
          team_id: team.id,
          name: user.name,
          real_name: user.real_name ?? user.name,
          deleted: false,
          tz: user.tz ?? 'Europe/London',
          is_admin: user.is_admin ?? false,
          is_owner: user.is_owner ?? false,
          is_primary_owner: user.is_primary_owner ?? false,
          is_bot: user.is_bot ?? false,
          is_app_user: false,
          profile: { display_name: user.display_name ?? '', real_name: user.real_name ?? user.name },
        },
      });
    },
    'conversations.info': (args) => {
      const state = args.channel !== undefined ? channels.get(args.channel) : undefined;
      if (!state) return fail('channel_not_found');
      const { id, name, is_private = false, is_archived = false, is_im = false, is_member = true } = state.info;
      return ok({ channel: { id, name, is_channel: !is_private && !is_im, is_private, is_archived, is_im, is_member } });
    },
    'conversations.history': (args) => {
      const state = memberChannel(args);
      if (isAnswer(state)) return state;
      const newestFirst = [...state.messages].sort((a, b) => compareTs(b.ts, a.ts));
      const result = page(newestFirst, args, opts.historyLimit?.perPage ?? 100);
      if (isAnswer(result)) return result;
      return ok({
        messages: result.items.map((m) => view(state, m)),
        has_more: result.next !== null,
        pin_count: 0,
        channel_actions_ts: null,
        channel_actions_count: 0,
        ...(result.next !== null ? { response_metadata: { next_cursor: encodeCursor(result.next) } } : {}),
      });
    },
    'conversations.replies': (args) => {
      const state = memberChannel(args);
      if (isAnswer(state)) return state;
      const parent = args.ts !== undefined ? state.messages.find((m) => m.ts === args.ts) : undefined;
      if (!parent) return fail('thread_not_found');
      const replies = [...(state.threads.get(parent.ts) ?? [])].sort((a, b) => compareTs(a.ts, b.ts));
      const result = page([parent, ...replies], args, opts.historyLimit?.perPage ?? 1000);
      if (isAnswer(result)) return result;
      return ok({
        messages: result.items.map((m) => (m === parent ? view(state, m) : { type: 'message', ...m, parent_user_id: parent.user })),
        has_more: result.next !== null,
        ...(result.next !== null ? { response_metadata: { next_cursor: encodeCursor(result.next) } } : {}),
      });
    },
    'chat.postMessage': (args) => {
      const state = memberChannel(args);
      if (isAnswer(state)) return state;
      if (state.info.is_archived) return fail('is_archived');
      if (args.thread_ts !== undefined && !state.messages.some((m) => m.ts === args.thread_ts)) return fail('thread_not_found');
      if (args.blocks !== undefined && !Array.isArray(json(args.blocks))) return fail('invalid_blocks');
      const message: FakeSlackMessage = {
        ts: '',
        user: bot.userId,
        bot_id: bot.botId,
        text: args.text ?? '',
        ...(args.blocks !== undefined ? { blocks: json(args.blocks) } : {}),
        ...(args.attachments !== undefined ? { attachments: json(args.attachments) } : {}),
        ...(args.thread_ts !== undefined ? { thread_ts: args.thread_ts } : {}),
        ...(args.thread_ts !== undefined && args.reply_broadcast === 'true' ? { subtype: 'thread_broadcast' } : {}),
      };
      const { ts: _unset, ...rest } = message;
      const ts = addMessage(state.info.id, rest);
      return ok({ channel: state.info.id, ts, message: { type: 'message', ...message, ts } });
    },
    'chat.update': (args) => {
      const state = memberChannel(args);
      if (isAnswer(state)) return state;
      const found = args.ts !== undefined ? findMessage(state, args.ts) : null;
      if (!found) return fail('message_not_found');
      const message = found.list[found.index]!;
      if (message.user !== bot.userId) return fail('cant_update_message');
      if (args.blocks !== undefined && !Array.isArray(json(args.blocks))) return fail('invalid_blocks');
      if (args.text !== undefined) message.text = args.text;
      if (args.blocks !== undefined) message.blocks = json(args.blocks);
      if (args.attachments !== undefined) message.attachments = json(args.attachments);
      message.edited = { user: bot.userId, ts: nextTs() };
      return ok({ channel: state.info.id, ts: message.ts, text: message.text ?? '', message: { type: 'message', ...message } });
    },
    'chat.delete': (args) => {
      const state = memberChannel(args);
      if (isAnswer(state)) return state;
      const found = args.ts !== undefined ? findMessage(state, args.ts) : null;
      if (!found) return fail('message_not_found');
      if (found.list[found.index]!.user !== bot.userId) return fail('cant_delete_message');
      found.list.splice(found.index, 1);
      state.threads.delete(args.ts!);
      return ok({ channel: state.info.id, ts: args.ts! });
    },
    'chat.postEphemeral': (args) => {
      const state = memberChannel(args);
      if (isAnswer(state)) return state;
      if (args.user === undefined || !users.has(args.user)) return fail('user_not_in_channel');
      const message_ts = nextTs();
      ephemerals.push({
        channel: state.info.id,
        user: args.user,
        message_ts,
        ...(args.text !== undefined ? { text: args.text } : {}),
        ...(args.blocks !== undefined ? { blocks: json(args.blocks) } : {}),
        ...(args.thread_ts !== undefined ? { thread_ts: args.thread_ts } : {}),
      });
      return ok({ message_ts });
    },
    'apps.connections.open': (_args, headers) => {
      if (!socket) return fail('unknown_method');
      // Only an app-level token opens a Socket Mode connection.
      if (!/^Bearer xapp-/u.test(headers.authorization ?? '')) return fail('not_allowed_token_type');
      return ok({ url: socket.linkUrl });
    },
  };

  const answerFaultOrState = (method: string, raw: Record<string, string>, headers: IncomingHttpHeaders, now: number): Answer => {
    const faultAt = queue.findIndex((f) => f.method === undefined || f.method === method || (Array.isArray(f.method) && f.method.includes(method)));
    if (faultAt !== -1) {
      const fault = queue.splice(faultAt, 1)[0]!;
      const status = fault.status ?? 200;
      const body = fault.body ?? { ok: false, error: status === 429 ? 'ratelimited' : 'internal_error' };
      return { status, body, ...(fault.headers ? { headers: fault.headers } : {}) };
    }
    if (!/^Bearer \S+/u.test(headers.authorization ?? '') && raw.token === undefined) return fail('not_authed');
    const limited = rateLimited(method, now);
    if (limited) return limited;
    const handler = handlers[method];
    return handler ? handler(raw, headers) : fail('unknown_method');
  };

  const handleResponseUrl = (id: string, raw: string, headers: IncomingHttpHeaders, now: number): Answer => {
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      body = undefined;
    }
    requests.push({ method: 'response_url', args: body && typeof body === 'object' ? (body as Record<string, unknown>) : { raw }, headers, at: now });
    const url = responseUrls.get(id);
    if (!url) return { status: 404, body: 'invalid_url' };
    if (now - url.createdAt > RESPONSE_URL_LIFETIME_MS) return { status: 404, body: 'expired_url' };
    if (url.uses >= RESPONSE_URL_USES) return { status: 404, body: 'used_url' };
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      violations.push({ method: 'response_url', kind: 'bad_body', message: `a response_url takes a JSON object, got ${JSON.stringify(raw.slice(0, 100))}` });
      return { status: 400, body: 'invalid_payload' };
    }
    url.uses++;
    responses.push({ id, body: body as Record<string, unknown>, at: now });
    return { status: 200, body: 'ok' };
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const now = Date.now();
      const raw = await readBody(req);
      const path = new URL(req.url ?? '/', 'http://fake').pathname;
      const responseMatch = /^\/response\/([^/]+)$/u.exec(path);
      if (responseMatch && req.method === 'POST') return send(res, handleResponseUrl(decodeURIComponent(responseMatch[1]!), raw, req.headers, now));
      const methodMatch = /^\/api\/([a-zA-Z0-9._]+)$/u.exec(path);
      if (!methodMatch) return send(res, { status: 404, body: 'not_found' });
      const method = methodMatch[1]!;
      const query = Object.fromEntries(new URL(req.url ?? '/', 'http://fake').searchParams);
      const form = parseBody(raw, req.headers['content-type']);
      if (form === null) {
        violations.push({ method, kind: 'bad_body', message: `${method}: the body is neither a form nor a JSON object` });
        return send(res, fail('invalid_form_data'));
      }
      const args = { ...query, ...form };
      requests.push({ method, args: decodeArgs(args), headers: req.headers, at: now });
      violations.push(...checkRequest(spec, method, args, req.headers));
      send(res, answerFaultOrState(method, args, req.headers, now));
    })().catch((err: unknown) => send(res, { status: 500, body: { ok: false, error: 'fatal_error', detail: String(err) } }));
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const socket = opts.socket ? attachFakeSocketMode(server, base.replace(/^http/u, 'ws'), violations) : undefined;

  return {
    url: `${base}/api/`,
    requests,
    violations,
    queue,
    responses,
    ephemerals,
    socket,
    messages: (channelId) => {
      const state = channels.get(channelId);
      if (!state) return [];
      const top = [...state.messages].filter((m) => m.subtype !== 'thread_broadcast' || m.thread_ts === m.ts).sort((a, b) => compareTs(a.ts, b.ts));
      return top.flatMap((m) => [m, ...[...(state.threads.get(m.ts) ?? [])].sort((a, b) => compareTs(a.ts, b.ts))]);
    },
    addMessage,
    removeMessage: (channelId, ts) => {
      const state = channels.get(channelId);
      const found = state ? findMessage(state, ts) : null;
      if (!state || !found) return false;
      found.list.splice(found.index, 1);
      state.threads.delete(ts);
      return true;
    },
    addUser: (user) => void users.set(user.id, user),
    setChannel: (channel) => void channelState(channel),
    responseUrl: (id) => {
      if (!responseUrls.has(id)) responseUrls.set(id, { uses: 0, createdAt: Date.now() });
      return `${base}/response/${encodeURIComponent(id)}`;
    },
    calls: (method) => requests.filter((r) => r.method === method),
    stop: async () => {
      await socket?.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
