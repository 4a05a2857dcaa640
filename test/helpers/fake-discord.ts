// A small stateful Discord (REST API v10, and with `gateway: true` the gateway of fake-discord-gateway.ts) for
// tests, driven by the real clients: `new REST({ api: fake.url, version: '10' })` from discord.js (which builds
// `${api}/v${version}${route}`), or a discord.js Client with `rest: { api: fake.url }`.
//
// State: the bot user, the application and its global commands, guilds with roles and members, channels (text 0,
// forum 15, threads 11/12) with messages, interactions with their callbacks, edits of the original response and
// follow-ups. Errors are Discord's own: HTTP status and `{ code, message }` (10003 Unknown Channel, 10008 Unknown
// Message, 50001 Missing Access, 50035 Invalid Form Body with `errors`, 10062 Unknown interaction, 40060 already
// acknowledged…). `queue` holds canned answers (429s with Discord's headers and body: `rateLimitFault`).
//
// Every request is checked against Discord's OpenAPI document (discord-spec.ts): an unknown path or method, a path
// parameter that is no snowflake, an unknown query parameter, a JSON body that breaks its schema land in
// `violations`, which tests expect to stay empty.
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkDiscordRequest, loadDiscordSpec, type DiscordSpecViolation } from './discord-spec.js';
import { attachFakeGateway, type FakeDiscordGateway, type FakeGatewayOptions } from './fake-discord-gateway.js';
import { readBody } from './http.js';

export type { DiscordSpecViolation } from './discord-spec.js';

/** Discord's epoch (2015-01-01T00:00:00Z), in ms. */
const DISCORD_EPOCH = 1420070400000n;

/** Channel types the fake knows (discord-api-types ChannelType). */
export const CHANNEL_TYPE = { text: 0, dm: 1, publicThread: 11, privateThread: 12, forum: 15 } as const;

/** Permission bits (Discord docs, "Permissions"). */
export const PERMISSIONS = {
  ADMINISTRATOR: 1n << 3n,
  MANAGE_CHANNELS: 1n << 4n,
  MANAGE_GUILD: 1n << 5n,
  VIEW_CHANNEL: 1n << 10n,
  SEND_MESSAGES: 1n << 11n,
  MANAGE_MESSAGES: 1n << 13n,
  READ_MESSAGE_HISTORY: 1n << 16n,
  USE_APPLICATION_COMMANDS: 1n << 31n,
  CREATE_PUBLIC_THREADS: 1n << 35n,
  SEND_MESSAGES_IN_THREADS: 1n << 38n,
} as const;
const ALL_PERMISSIONS = (1n << 53n) - 1n;

export interface FakeDiscordUser {
  id: string;
  username: string;
  global_name?: string | null;
  bot?: boolean;
}

export interface FakeDiscordRole {
  id: string;
  name: string;
  /** A permission bitfield, as Discord writes it (a decimal string). */
  permissions: string;
}

export interface FakeDiscordMember {
  user: FakeDiscordUser;
  /** Role ids besides @everyone (whose id is the guild's). */
  roles?: string[];
  nick?: string | null;
}

export interface FakeDiscordChannel {
  id: string;
  type: number;
  name: string;
  guild_id?: string;
  /** A thread's parent channel. */
  parent_id?: string;
  /** False: the bot cannot see it (every request answers 50001 Missing Access). Default true. */
  access?: boolean;
  /** False: the bot may not post here (50013 Missing Permissions). Default true. */
  send?: boolean;
}

export interface FakeDiscordGuild {
  id: string;
  name: string;
  owner_id?: string;
  /** Besides @everyone, which the fake adds (id = the guild's, VIEW_CHANNEL | SEND_MESSAGES | USE_APPLICATION_COMMANDS). */
  roles?: FakeDiscordRole[];
  members?: FakeDiscordMember[];
}

/** A message as Discord returns it (the fields the fake fills). */
export interface FakeDiscordMessage {
  id: string;
  channel_id: string;
  type: number;
  content: string;
  author: { id: string; username: string; global_name: string | null; discriminator: string; avatar: null; bot?: boolean };
  timestamp: string;
  edited_timestamp: string | null;
  tts: boolean;
  mention_everyone: boolean;
  mentions: unknown[];
  mention_roles: string[];
  attachments: unknown[];
  embeds: unknown[];
  components: unknown[];
  pinned: boolean;
  flags: number;
  nonce?: string | number;
  message_reference?: unknown;
  webhook_id?: string;
  application_id?: string;
  interaction_metadata?: unknown;
  thread?: unknown;
  [field: string]: unknown;
}

export interface RecordedDiscordRequest {
  method: string;
  /** The path after /api/v10, e.g. /channels/123/messages. */
  path: string;
  /** The spec's template, e.g. `POST /channels/{channel_id}/messages`. */
  route: string;
  query: Record<string, string>;
  body: unknown;
  headers: IncomingHttpHeaders;
  at: number;
}

/** A canned answer, given instead of the normal one to the next request whose route matches. */
export interface FakeDiscordFault {
  /** `POST /channels/{channel_id}/messages` (the spec's template) or a RegExp on `METHOD /path`; absent: any request. */
  route?: string | RegExp;
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** What a callback or a webhook request did to an interaction. */
export interface InteractionResponseRecord {
  interactionId: string;
  token: string;
  kind: 'callback' | 'edit_original' | 'delete_original' | 'followup';
  /** The callback type (4 message, 5 deferred, 6/7 component, 8 autocomplete result, 9 modal). */
  type?: number;
  body: Record<string, unknown>;
  /** ms since the interaction was created. */
  afterMs: number;
}

export interface FakeDiscordOptions {
  bot?: FakeDiscordUser;
  application?: { id: string; name?: string };
  /** The token the bot authenticates with (`Authorization: Bot TOKEN`); another answers 401. */
  token?: string;
  guilds?: FakeDiscordGuild[];
  channels?: FakeDiscordChannel[];
  /** Also serve a gateway (fake-discord-gateway.ts) at ws://…/gateway, named by GET /gateway/bot. */
  gateway?: boolean | FakeGatewayOptions;
  /** How long a nonce with enforce_nonce keeps returning its first message; Discord says "a few minutes". */
  nonceWindowMs?: number;
  /** A message's longest content (Discord: 2000 for bots). */
  contentLimit?: number;
  /** An interaction must be answered within this (Discord: 3 s), else 10062 Unknown interaction. */
  interactionDeadlineMs?: number;
}

export interface CreateInteractionInput {
  /** 2 application command (default), 4 autocomplete. */
  type?: 2 | 4;
  channelId: string;
  userId: string;
  /** The command's data: `{ name, options }` as Discord sends it; `id` and `type` are filled in. */
  data: { name: string; options?: unknown[]; [field: string]: unknown };
}

export interface FakeDiscord {
  /** Give it to REST as `api` (no version: the client adds /v10). */
  url: string;
  token: string;
  bot: FakeDiscordUser;
  application: { id: string; name: string };
  requests: RecordedDiscordRequest[];
  violations: DiscordSpecViolation[];
  queue: FakeDiscordFault[];
  interactionResponses: InteractionResponseRecord[];
  /** Present with `gateway`. */
  gateway: FakeDiscordGateway | undefined;
  /** The global commands as last PUT, with the ids Discord gave them. */
  commands(): Record<string, unknown>[];
  /** The channel's messages, oldest first (a thread's are in the thread's channel). */
  messages(channelId: string): FakeDiscordMessage[];
  channel(channelId: string): FakeDiscordChannel | undefined;
  /** Adds a channel or changes one (take the bot's access away, forbid posting). */
  setChannel(channel: FakeDiscordChannel): void;
  /** Someone deletes a channel in Discord (its messages and threads go too). */
  removeChannel(channelId: string): boolean;
  addGuild(guild: FakeDiscordGuild): void;
  removeGuild(guildId: string): boolean;
  /** A message written by someone (a user, by default the guild's first member); returns it. */
  addMessage(channelId: string, message: { content: string; author?: FakeDiscordUser } & Omit<Partial<FakeDiscordMessage>, 'author'>): FakeDiscordMessage;
  removeMessage(channelId: string, messageId: string): boolean;
  /** The member's permissions in a guild, from its roles (the owner and ADMINISTRATOR have all). */
  permissions(guildId: string, userId: string): bigint;
  /** An interaction as Discord sends it in INTERACTION_CREATE, its token registered for callbacks. */
  createInteraction(input: CreateInteractionInput): Record<string, unknown>;
  /** The guild payload of a GUILD_CREATE (channels, roles, members). */
  guildPayload(guildId: string): Record<string, unknown>;
  /** Requests of one route (the spec's template: `POST /channels/{channel_id}/messages`). */
  calls(route: string): RecordedDiscordRequest[];
  /** A fresh snowflake (later ones are larger). */
  snowflake(): string;
  stop(): Promise<void>;
}

/** A 429 as Discord sends it: `Retry-After` (whole seconds), `X-RateLimit-*` headers and a JSON body. */
export function rateLimitFault(opts: { route?: string | RegExp; retryAfter?: number; global?: boolean; scope?: 'user' | 'global' | 'shared'; bucket?: string } = {}): FakeDiscordFault {
  const retryAfter = opts.retryAfter ?? 1.5;
  const global = opts.global ?? false;
  const scope = opts.scope ?? (global ? 'global' : 'user');
  const headers: Record<string, string> = {
    'retry-after': String(Math.ceil(retryAfter)),
    'x-ratelimit-scope': scope,
  };
  if (!global) {
    Object.assign(headers, {
      'x-ratelimit-limit': '5',
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': ((Date.now() + retryAfter * 1000) / 1000).toFixed(3),
      'x-ratelimit-reset-after': retryAfter.toFixed(3),
      'x-ratelimit-bucket': opts.bucket ?? 'f4k3b0ck3t',
    });
  } else {
    headers['x-ratelimit-global'] = 'true';
  }
  return {
    ...(opts.route !== undefined ? { route: opts.route } : {}),
    status: 429,
    headers,
    body: { message: 'You are being rate limited.', retry_after: retryAfter, global, ...(global ? { code: 0 } : {}) },
  };
}

interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

const error = (status: number, code: number, message: string, errors?: unknown): Answer => ({ status, body: { message, code, ...(errors !== undefined ? { errors } : {}) } });
const UNKNOWN_CHANNEL = error(404, 10003, 'Unknown Channel');
const UNKNOWN_MESSAGE = error(404, 10008, 'Unknown Message');
const MISSING_ACCESS = error(403, 50001, 'Missing Access');
const MISSING_PERMISSIONS = error(403, 50013, 'Missing Permissions');
const UNAUTHORIZED: Answer = { status: 401, body: { message: '401: Unauthorized', code: 0 } };
/** Discord's 50035 with the field's error, as `errors.<field>._errors`. */
const invalidForm = (field: string, code: string, message: string): Answer => {
  const errors: Record<string, unknown> = {};
  let node = errors;
  const parts = field.split('.');
  for (const [i, part] of parts.entries()) {
    if (i === parts.length - 1) node[part] = { _errors: [{ code, message }] };
    else node = (node[part] = {});
  }
  return error(400, 50035, 'Invalid Form Body', errors);
};

/** Application command names (Discord docs, "Application Command Naming"). */
const COMMAND_NAME = /^[-_\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;

function send(res: ServerResponse, answer: Answer): void {
  if (answer.body === undefined) {
    res.writeHead(answer.status, { ...answer.headers });
    res.end();
    return;
  }
  res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
  res.end(JSON.stringify(answer.body));
}

interface ChannelState {
  info: FakeDiscordChannel;
  /** Oldest first. */
  messages: FakeDiscordMessage[];
  /** Thread fields, for thread channels. */
  thread?: { owner_id: string; auto_archive_duration: number; archived: boolean; created: string };
}

interface InteractionState {
  id: string;
  token: string;
  channelId: string;
  createdAt: number;
  acknowledged: boolean;
  /** The original response, once there is one. */
  original: FakeDiscordMessage | null;
  ephemeral: boolean;
}

export async function startFakeDiscord(opts: FakeDiscordOptions = {}): Promise<FakeDiscord> {
  const spec = await loadDiscordSpec();
  const bot: FakeDiscordUser = opts.bot ?? { id: '1000000000000000001', username: 'parley', bot: true };
  const application = { id: opts.application?.id ?? bot.id, name: opts.application?.name ?? 'Parley' };
  const token = opts.token ?? 'fake-bot-token';
  const nonceWindowMs = opts.nonceWindowMs ?? 5 * 60_000;
  const contentLimit = opts.contentLimit ?? 2000;
  const interactionDeadlineMs = opts.interactionDeadlineMs ?? 3000;
  const requests: RecordedDiscordRequest[] = [];
  const violations: DiscordSpecViolation[] = [];
  const queue: FakeDiscordFault[] = [];
  const interactionResponses: InteractionResponseRecord[] = [];
  const guilds = new Map<string, FakeDiscordGuild>();
  const channels = new Map<string, ChannelState>();
  const interactions = new Map<string, InteractionState>();
  const nonces = new Map<string, { message: FakeDiscordMessage; channelId: string; at: number }>();
  let commands: Record<string, unknown>[] = [];
  let lastSnowflake = 0n;
  let increment = 0n;

  const snowflake = (): string => {
    let id = ((BigInt(Date.now()) - DISCORD_EPOCH) << 22n) | (1n << 17n) | (increment++ & 0xfffn);
    if (id <= lastSnowflake) id = lastSnowflake + 1n;
    lastSnowflake = id;
    return id.toString();
  };

  const addGuild = (guild: FakeDiscordGuild): void => void guilds.set(guild.id, guild);
  for (const g of opts.guilds ?? []) addGuild(g);
  const setChannel = (info: FakeDiscordChannel): void => {
    const existing = channels.get(info.id);
    if (existing) existing.info = { ...existing.info, ...info };
    else channels.set(info.id, { info, messages: [] });
  };
  for (const c of opts.channels ?? []) setChannel(c);

  const userView = (u: FakeDiscordUser) => ({ id: u.id, username: u.username, global_name: u.global_name ?? null, discriminator: '0', avatar: null, ...(u.bot ? { bot: true } : {}) });
  const everyone = (guild: FakeDiscordGuild): FakeDiscordRole => ({
    id: guild.id,
    name: '@everyone',
    permissions: (PERMISSIONS.VIEW_CHANNEL | PERMISSIONS.SEND_MESSAGES | PERMISSIONS.READ_MESSAGE_HISTORY | PERMISSIONS.USE_APPLICATION_COMMANDS).toString(),
  });
  const rolesOf = (guild: FakeDiscordGuild): FakeDiscordRole[] => [everyone(guild), ...(guild.roles ?? [])];
  const roleView = (r: FakeDiscordRole, position: number) => ({ id: r.id, name: r.name, permissions: r.permissions, position, color: 0, colors: { primary_color: 0, secondary_color: null, tertiary_color: null }, hoist: false, managed: false, mentionable: false, icon: null, unicode_emoji: null, flags: 0 });
  const memberOf = (guild: FakeDiscordGuild, userId: string): FakeDiscordMember | undefined => guild.members?.find((m) => m.user.id === userId);
  const memberView = (m: FakeDiscordMember) => ({
    user: userView(m.user),
    nick: m.nick ?? null,
    avatar: null,
    banner: null,
    roles: m.roles ?? [],
    joined_at: '2024-01-01T00:00:00.000000+00:00',
    premium_since: null,
    deaf: false,
    mute: false,
    flags: 0,
    pending: false,
    communication_disabled_until: null,
  });
  const permissions = (guildId: string, userId: string): bigint => {
    const guild = guilds.get(guildId);
    if (!guild) return 0n;
    if (guild.owner_id === userId) return ALL_PERMISSIONS;
    const member = memberOf(guild, userId);
    const ids = new Set([guild.id, ...(member?.roles ?? [])]);
    let bits = 0n;
    for (const r of rolesOf(guild)) if (ids.has(r.id)) bits |= BigInt(r.permissions);
    return (bits & PERMISSIONS.ADMINISTRATOR) !== 0n ? ALL_PERMISSIONS : bits;
  };
  const channelView = (state: ChannelState): Record<string, unknown> => {
    const { id, type, name, guild_id, parent_id } = state.info;
    const view: Record<string, unknown> = { id, type, name, flags: 0, last_message_id: state.messages.at(-1)?.id ?? null };
    if (guild_id !== undefined) Object.assign(view, { guild_id, position: 0, permission_overwrites: [], nsfw: false, parent_id: parent_id ?? null, rate_limit_per_user: 0 });
    if (type === CHANNEL_TYPE.text) Object.assign(view, { topic: null });
    if (type === CHANNEL_TYPE.forum) Object.assign(view, { topic: null, available_tags: [], default_reaction_emoji: null, default_sort_order: null, default_forum_layout: 0 });
    if (state.thread) {
      Object.assign(view, {
        owner_id: state.thread.owner_id,
        message_count: state.messages.length,
        member_count: 1,
        total_message_sent: state.messages.length,
        thread_metadata: { archived: state.thread.archived, auto_archive_duration: state.thread.auto_archive_duration, archive_timestamp: state.thread.created, locked: false, create_timestamp: state.thread.created },
      });
    }
    return view;
  };

  const newMessage = (channelId: string, author: FakeDiscordUser, fields: Partial<FakeDiscordMessage>): FakeDiscordMessage => ({
    id: snowflake(),
    channel_id: channelId,
    type: 0,
    content: '',
    author: userView(author),
    timestamp: new Date().toISOString(),
    edited_timestamp: null,
    tts: false,
    mention_everyone: false,
    mentions: [],
    mention_roles: [],
    attachments: [],
    embeds: [],
    components: [],
    pinned: false,
    flags: 0,
    ...fields,
  });

  /** The channel the bot can see, or the error Discord gives. */
  const visibleChannel = (id: string | undefined): ChannelState | Answer => {
    const state = id === undefined ? undefined : channels.get(id);
    if (!state) return UNKNOWN_CHANNEL;
    if (state.info.access === false) return MISSING_ACCESS;
    const parent = state.info.parent_id !== undefined ? channels.get(state.info.parent_id) : undefined;
    if (parent?.info.access === false) return MISSING_ACCESS;
    return state;
  };
  const isAnswer = (x: unknown): x is Answer => typeof x === 'object' && x !== null && 'status' in x && !('info' in x);

  /** The fields a message body sets, or the 50035/50006 Discord answers. */
  const messageFields = (body: Record<string, unknown>, requireSomething: boolean): Partial<FakeDiscordMessage> | Answer => {
    const fields: Partial<FakeDiscordMessage> = {};
    if (typeof body.content === 'string') {
      if (Array.from(body.content).length > contentLimit) return invalidForm('content', 'BASE_TYPE_MAX_LENGTH', `Must be ${contentLimit} or fewer in length.`);
      fields.content = body.content;
    }
    if (Array.isArray(body.embeds)) fields.embeds = body.embeds;
    if (Array.isArray(body.components)) fields.components = body.components;
    if (typeof body.flags === 'number') fields.flags = body.flags;
    const empty = (fields.content ?? '') === '' && (fields.embeds?.length ?? 0) === 0 && (fields.components?.length ?? 0) === 0 && !Array.isArray(body.sticker_ids) && !body.poll;
    if (requireSomething && empty) return error(400, 50006, 'Cannot send an empty message');
    return fields;
  };

  const postMessage = (state: ChannelState, body: Record<string, unknown>, now: number): Answer => {
    if (state.info.type === CHANNEL_TYPE.forum) return error(400, 50008, 'Cannot send messages in a non-text channel');
    if (state.info.send === false) return MISSING_PERMISSIONS;
    const nonce = body.nonce;
    if (nonce !== undefined && nonce !== null && typeof nonce === 'string' && nonce.length > 25) return invalidForm('nonce', 'BASE_TYPE_MAX_LENGTH', 'Must be 25 or fewer in length.');
    if (body.enforce_nonce === true && (nonce === undefined || nonce === null)) return invalidForm('nonce', 'BASE_TYPE_REQUIRED', 'This field is required');
    if (body.enforce_nonce === true) {
      const seen = nonces.get(String(nonce));
      if (seen && now - seen.at <= nonceWindowMs) return { status: 200, body: seen.message };
    }
    const fields = messageFields(body, true);
    if (isAnswer(fields)) return fields;
    const reference = body.message_reference as { message_id?: string; fail_if_not_exists?: boolean } | undefined;
    if (reference?.message_id !== undefined && !state.messages.some((m) => m.id === reference.message_id) && reference.fail_if_not_exists !== false) {
      return invalidForm('message_reference', 'MESSAGE_REFERENCE_UNKNOWN_MESSAGE', 'Unknown message');
    }
    const message = newMessage(state.info.id, bot, {
      ...fields,
      ...(nonce !== undefined && nonce !== null ? { nonce: nonce as string | number } : {}),
      ...(reference?.message_id !== undefined ? { type: 19, message_reference: { type: 0, channel_id: state.info.id, message_id: reference.message_id, ...(state.info.guild_id ? { guild_id: state.info.guild_id } : {}) } } : {}),
    });
    state.messages.push(message);
    if (body.enforce_nonce === true) nonces.set(String(nonce), { message, channelId: state.info.id, at: now });
    return { status: 200, body: message };
  };

  const listMessages = (state: ChannelState, query: URLSearchParams): Answer => {
    const limitText = query.get('limit');
    const limit = limitText === null ? 50 : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) return invalidForm('limit', 'NUMBER_TYPE_MAX', 'int value should be less than or equal to 100.');
    const ordered = [...state.messages].sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
    const before = query.get('before');
    const after = query.get('after');
    const around = query.get('around');
    let picked: FakeDiscordMessage[];
    if (around !== null) {
      const older = ordered.filter((m) => BigInt(m.id) < BigInt(around)).slice(-Math.floor(limit / 2));
      const rest = ordered.filter((m) => BigInt(m.id) >= BigInt(around)).slice(0, limit - older.length);
      picked = [...older, ...rest];
    } else if (after !== null) {
      // The `limit` messages right after `after` (not the newest ones), shown newest first like every page.
      picked = ordered.filter((m) => BigInt(m.id) > BigInt(after)).slice(0, limit);
    } else {
      picked = (before !== null ? ordered.filter((m) => BigInt(m.id) < BigInt(before)) : ordered).slice(-limit);
    }
    return { status: 200, body: picked.reverse() };
  };

  const createThread = (parent: ChannelState, name: unknown, type: number, autoArchive: unknown, id: string): ChannelState | Answer => {
    if (typeof name !== 'string' || name.length === 0) return invalidForm('name', 'BASE_TYPE_REQUIRED', 'This field is required');
    if (Array.from(name).length > 100) return invalidForm('name', 'BASE_TYPE_MAX_LENGTH', 'Must be 100 or fewer in length.');
    const duration = typeof autoArchive === 'number' ? autoArchive : 4320;
    if (![60, 1440, 4320, 10080].includes(duration)) return invalidForm('auto_archive_duration', 'BASE_TYPE_CHOICES', 'Value must be one of {60, 1440, 4320, 10080}.');
    const state: ChannelState = {
      info: { id, type, name, ...(parent.info.guild_id !== undefined ? { guild_id: parent.info.guild_id } : {}), parent_id: parent.info.id },
      messages: [],
      thread: { owner_id: bot.id, auto_archive_duration: duration, archived: false, created: new Date().toISOString() },
    };
    channels.set(id, state);
    return state;
  };

  const json = (body: unknown): Record<string, unknown> => (body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {});

  const interactionFor = (id: string | undefined, tokenValue: string | undefined): InteractionState | undefined => {
    const state = tokenValue === undefined ? undefined : interactions.get(tokenValue);
    return state && (id === undefined || state.id === id) ? state : undefined;
  };
  const webhookMessage = (state: InteractionState, fields: Partial<FakeDiscordMessage>): FakeDiscordMessage =>
    newMessage(state.channelId, { id: application.id, username: application.name, bot: true }, { ...fields, webhook_id: application.id, application_id: application.id, type: 20 });
  /** Webhook tokens of interactions work for 15 minutes (Discord docs, "Receiving and Responding"). */
  const WEBHOOK_LIFETIME_MS = 15 * 60_000;

  const routes: Record<string, (p: Record<string, string>, body: unknown, query: URLSearchParams, now: number) => Answer> = {
    'GET /users/@me': () => ({ status: 200, body: { ...userView(bot), bot: true, verified: true, flags: 0, mfa_enabled: false } }),
    'GET /gateway/bot': () => ({
      status: 200,
      body: { url: gateway?.url ?? 'wss://gateway.invalid', shards: 1, session_start_limit: { total: 1000, remaining: 999, reset_after: 14_400_000, max_concurrency: 1 } },
    }),
    'GET /applications/{application_id}/commands': (p) => (p.application_id !== application.id ? error(403, 50001, 'Missing Access') : { status: 200, body: commands }),
    'PUT /applications/{application_id}/commands': (p, body) => {
      if (p.application_id !== application.id) return MISSING_ACCESS;
      if (!Array.isArray(body)) return invalidForm('_', 'BASE_TYPE_ARRAY', 'Must be an array.');
      const key = (c: Record<string, unknown>): string => JSON.stringify([c.type ?? 1, c.name]);
      const previous = new Map(commands.map((c) => [key(c), c]));
      for (const [i, c] of (body as Record<string, unknown>[]).entries()) {
        const names = [c.name, ...((c.options as { name?: unknown; options?: { name?: unknown }[] }[] | undefined) ?? []).flatMap((o) => [o.name, ...(o.options ?? []).map((x) => x.name)])];
        const bad = names.find((n) => typeof n !== 'string' || !COMMAND_NAME.test(n) || n !== n.toLowerCase());
        if (bad !== undefined) return invalidForm(`${i}.name`, 'APPLICATION_COMMAND_INVALID_NAME', `Command name is invalid: ${JSON.stringify(bad)}`);
      }
      commands = (body as Record<string, unknown>[]).map((c) => {
        const type = (c.type as number | undefined) ?? 1;
        const kept = previous.get(key({ type, name: c.name }));
        return {
          ...c,
          id: (kept?.id as string | undefined) ?? snowflake(),
          application_id: application.id,
          type,
          version: snowflake(),
          default_member_permissions: c.default_member_permissions ?? null,
          nsfw: false,
          description: c.description ?? '',
          dm_permission: true,
          integration_types: c.integration_types ?? [0],
          contexts: c.contexts ?? null,
        };
      });
      return { status: 200, body: commands };
    },
    'GET /channels/{channel_id}': (p) => {
      const state = visibleChannel(p.channel_id);
      return isAnswer(state) ? state : { status: 200, body: channelView(state) };
    },
    'GET /channels/{channel_id}/messages': (p, _body, query) => {
      const state = visibleChannel(p.channel_id);
      if (isAnswer(state)) return state;
      if (state.info.type === CHANNEL_TYPE.forum) return error(400, 50008, 'Cannot send messages in a non-text channel');
      return listMessages(state, query);
    },
    'GET /channels/{channel_id}/messages/{message_id}': (p) => {
      const state = visibleChannel(p.channel_id);
      if (isAnswer(state)) return state;
      const message = state.messages.find((m) => m.id === p.message_id);
      return message ? { status: 200, body: message } : UNKNOWN_MESSAGE;
    },
    'POST /channels/{channel_id}/messages': (p, body, _query, now) => {
      const state = visibleChannel(p.channel_id);
      return isAnswer(state) ? state : postMessage(state, json(body), now);
    },
    'PATCH /channels/{channel_id}/messages/{message_id}': (p, body) => {
      const state = visibleChannel(p.channel_id);
      if (isAnswer(state)) return state;
      const message = state.messages.find((m) => m.id === p.message_id);
      if (!message) return UNKNOWN_MESSAGE;
      if (message.author.id !== bot.id) return error(403, 50005, 'Cannot edit a message authored by another user');
      const fields = messageFields(json(body), false);
      if (isAnswer(fields)) return fields;
      Object.assign(message, fields, { edited_timestamp: new Date().toISOString() });
      return { status: 200, body: message };
    },
    'DELETE /channels/{channel_id}/messages/{message_id}': (p) => {
      const state = visibleChannel(p.channel_id);
      if (isAnswer(state)) return state;
      const at = state.messages.findIndex((m) => m.id === p.message_id);
      if (at === -1) return UNKNOWN_MESSAGE;
      // Another's message needs MANAGE_MESSAGES, which the fake's bot has.
      state.messages.splice(at, 1);
      return { status: 204 };
    },
    'POST /channels/{channel_id}/messages/{message_id}/threads': (p, body) => {
      const state = visibleChannel(p.channel_id);
      if (isAnswer(state)) return state;
      if (state.info.type !== CHANNEL_TYPE.text) return error(400, 50024, 'Cannot execute action on this channel type');
      const message = state.messages.find((m) => m.id === p.message_id);
      if (!message) return UNKNOWN_MESSAGE;
      // A thread started from a message takes the message's id.
      if (channels.has(message.id)) return error(400, 160004, 'A thread has already been created for this message');
      const b = json(body);
      const thread = createThread(state, b.name, CHANNEL_TYPE.publicThread, b.auto_archive_duration, message.id);
      if (isAnswer(thread)) return thread;
      message.thread = channelView(thread);
      message.flags |= 1 << 5; // HAS_THREAD
      return { status: 201, body: channelView(thread) };
    },
    'POST /channels/{channel_id}/threads': (p, body) => {
      const state = visibleChannel(p.channel_id);
      if (isAnswer(state)) return state;
      const b = json(body);
      if (state.info.type === CHANNEL_TYPE.forum) {
        const starter = json(b.message);
        if (b.message === undefined) return invalidForm('message', 'BASE_TYPE_REQUIRED', 'This field is required');
        const fields = messageFields(starter, true);
        if (isAnswer(fields)) return fields;
        // A forum post's starter message has the thread's id.
        const id = snowflake();
        const thread = createThread(state, b.name, CHANNEL_TYPE.publicThread, b.auto_archive_duration, id);
        if (isAnswer(thread)) return thread;
        const message = { ...newMessage(id, bot, fields), id };
        thread.messages.push(message);
        return { status: 201, body: { ...channelView(thread), message } };
      }
      if (state.info.type !== CHANNEL_TYPE.text) return error(400, 50024, 'Cannot execute action on this channel type');
      const type = b.type === CHANNEL_TYPE.publicThread ? CHANNEL_TYPE.publicThread : CHANNEL_TYPE.privateThread;
      const thread = createThread(state, b.name, type, b.auto_archive_duration, snowflake());
      return isAnswer(thread) ? thread : { status: 201, body: channelView(thread) };
    },
    'GET /guilds/{guild_id}': (p) => {
      const guild = p.guild_id === undefined ? undefined : guilds.get(p.guild_id);
      if (!guild) return error(404, 10004, 'Unknown Guild');
      return { status: 200, body: { id: guild.id, name: guild.name, owner_id: guild.owner_id ?? null, roles: rolesOf(guild).map(roleView), features: [], icon: null, emojis: [], stickers: [] } };
    },
    'GET /guilds/{guild_id}/roles': (p) => {
      const guild = p.guild_id === undefined ? undefined : guilds.get(p.guild_id);
      return guild ? { status: 200, body: rolesOf(guild).map(roleView) } : error(404, 10004, 'Unknown Guild');
    },
    'GET /guilds/{guild_id}/members/{user_id}': (p) => {
      const guild = p.guild_id === undefined ? undefined : guilds.get(p.guild_id);
      if (!guild) return error(404, 10004, 'Unknown Guild');
      const member = memberOf(guild, p.user_id ?? '');
      return member ? { status: 200, body: memberView(member) } : error(404, 10007, 'Unknown Member');
    },
    'POST /interactions/{interaction_id}/{interaction_token}/callback': (p, body, query, now) => {
      const state = interactionFor(p.interaction_id, p.interaction_token);
      if (!state || now - state.createdAt > interactionDeadlineMs) return error(404, 10062, 'Unknown interaction');
      if (state.acknowledged) return error(400, 40060, 'Interaction has already been acknowledged.');
      const b = json(body);
      const type = b.type as number;
      const data = json(b.data);
      if (type === 8) {
        const choices = Array.isArray(data.choices) ? (data.choices as { name?: unknown; value?: unknown }[]) : [];
        if (choices.length > 25) return invalidForm('data.choices', 'BASE_TYPE_MAX_LENGTH', 'Must be 25 or fewer in length.');
        const bad = choices.findIndex((c) => typeof c.name !== 'string' || c.name.length < 1 || Array.from(c.name).length > 100 || (typeof c.value === 'string' && Array.from(c.value).length > 100));
        if (bad !== -1) return invalidForm(`data.choices.${bad}`, 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.');
      }
      let message: FakeDiscordMessage | null = null;
      if (type === 4 || type === 5) {
        const fields = messageFields(data, type === 4);
        if (isAnswer(fields)) return fields;
        state.ephemeral = ((typeof data.flags === 'number' ? data.flags : 0) & 64) !== 0;
        message = webhookMessage(state, { ...fields, ...(type === 5 ? { flags: (state.ephemeral ? 64 : 0) | 128 } : {}) });
        state.original = message;
        const channel = channels.get(state.channelId);
        if (channel && !state.ephemeral) channel.messages.push(message);
      }
      state.acknowledged = true;
      interactionResponses.push({ interactionId: state.id, token: state.token, kind: 'callback', type, body: b, afterMs: now - state.createdAt });
      if (query.get('with_response') === 'true') {
        return { status: 200, body: { interaction: { id: state.id, type: 2, activity_instance_id: null, response_message_id: message?.id ?? null, response_message_loading: type === 5, response_message_ephemeral: state.ephemeral }, resource: { type, ...(message ? { message } : {}) } } };
      }
      return { status: 204 };
    },
    'GET /webhooks/{webhook_id}/{webhook_token}/messages/@original': (p, _body, _query, now) => {
      const state = interactionFor(undefined, p.webhook_token);
      if (p.webhook_id !== application.id || !state || now - state.createdAt > WEBHOOK_LIFETIME_MS) return error(404, 10015, 'Unknown Webhook');
      return state.original ? { status: 200, body: state.original } : UNKNOWN_MESSAGE;
    },
    'PATCH /webhooks/{webhook_id}/{webhook_token}/messages/@original': (p, body, _query, now) => {
      const state = interactionFor(undefined, p.webhook_token);
      if (p.webhook_id !== application.id || !state || now - state.createdAt > WEBHOOK_LIFETIME_MS) return error(404, 10015, 'Unknown Webhook');
      if (!state.original) return UNKNOWN_MESSAGE;
      const fields = messageFields(json(body), false);
      if (isAnswer(fields)) return fields;
      // An edit ends the "thinking…" state of a deferred response.
      Object.assign(state.original, fields, { flags: state.original.flags & ~128, edited_timestamp: new Date().toISOString() });
      interactionResponses.push({ interactionId: state.id, token: state.token, kind: 'edit_original', body: json(body), afterMs: now - state.createdAt });
      return { status: 200, body: state.original };
    },
    'DELETE /webhooks/{webhook_id}/{webhook_token}/messages/@original': (p, _body, _query, now) => {
      const state = interactionFor(undefined, p.webhook_token);
      if (p.webhook_id !== application.id || !state || now - state.createdAt > WEBHOOK_LIFETIME_MS) return error(404, 10015, 'Unknown Webhook');
      if (!state.original) return UNKNOWN_MESSAGE;
      const channel = channels.get(state.channelId);
      if (channel) channel.messages = channel.messages.filter((m) => m !== state.original);
      state.original = null;
      interactionResponses.push({ interactionId: state.id, token: state.token, kind: 'delete_original', body: {}, afterMs: now - state.createdAt });
      return { status: 204 };
    },
    'POST /webhooks/{webhook_id}/{webhook_token}': (p, body, _query, now) => {
      const state = interactionFor(undefined, p.webhook_token);
      if (p.webhook_id !== application.id || !state || now - state.createdAt > WEBHOOK_LIFETIME_MS) return error(404, 10015, 'Unknown Webhook');
      if (!state.acknowledged) return error(404, 10015, 'Unknown Webhook');
      const b = json(body);
      const fields = messageFields(b, true);
      if (isAnswer(fields)) return fields;
      const channel = channels.get(state.channelId);
      interactionResponses.push({ interactionId: state.id, token: state.token, kind: 'followup', body: b, afterMs: now - state.createdAt });
      // The first follow-up of a deferred response still "thinking" becomes that response: its flags are ignored,
      // it is ephemeral exactly when the deferral was (Discord docs, "Create Followup Message").
      if (state.original && (state.original.flags & 128) !== 0) {
        Object.assign(state.original, fields, { flags: state.ephemeral ? 64 : 0, edited_timestamp: new Date().toISOString() });
        return { status: 200, body: state.original };
      }
      const message = webhookMessage(state, fields);
      if (channel && ((fields.flags ?? 0) & 64) === 0) channel.messages.push(message);
      return { status: 200, body: message };
    },
  };

  const takeFault = (route: string, concrete: string): Answer | null => {
    const at = queue.findIndex((f) => f.route === undefined || (typeof f.route === 'string' ? f.route === route : f.route.test(concrete)));
    if (at === -1) return null;
    const fault = queue.splice(at, 1)[0]!;
    return { status: fault.status, body: fault.body ?? { message: 'Internal Server Error', code: 0 }, ...(fault.headers ? { headers: fault.headers } : {}) };
  };

  /** Routes that take no bot token: interaction callbacks and webhooks authenticate by their token. */
  const tokenRoute = (route: string): boolean => route.includes('{interaction_token}') || route.includes('{webhook_token}');

  const server: Server = createServer((req, res) => {
    void (async () => {
      const now = Date.now();
      const raw = await readBody(req);
      const url = new URL(req.url ?? '/', 'http://fake');
      const versioned = /^\/api\/v10(\/.*)$/u.exec(url.pathname);
      if (!versioned) return send(res, { status: 404, body: { message: '404: Not Found', code: 0 } });
      const path = versioned[1]!;
      const contentType = req.headers['content-type'];
      let body: unknown;
      if (raw !== '' && (contentType ?? '').startsWith('application/json')) {
        try {
          body = JSON.parse(raw);
        } catch {
          violations.push({ route: `${req.method ?? 'GET'} ${path}`, kind: 'bad_body', message: `the body is not JSON: ${raw.slice(0, 100)}` });
          return send(res, error(400, 50109, 'The request body contains invalid JSON.'));
        }
      }
      const checked = checkDiscordRequest(spec, { method: req.method ?? 'GET', path, query: url.searchParams, contentType, body });
      violations.push(...checked.violations);
      requests.push({ method: req.method ?? 'GET', path, route: checked.route, query: Object.fromEntries(url.searchParams), body, headers: req.headers, at: now });
      const fault = takeFault(checked.route, `${req.method ?? 'GET'} ${path}`);
      if (fault) return send(res, fault);
      if (!tokenRoute(checked.route) && req.headers.authorization !== `Bot ${token}`) return send(res, UNAUTHORIZED);
      const handler = routes[checked.route];
      if (!handler) return send(res, { status: 404, body: { message: '404: Not Found', code: 0 } });
      const params = matchParams(checked.route, path);
      const answer = handler(params, body, url.searchParams, now);
      // Discord's rate limit headers on every answer; the bucket never runs out unless a fault says so.
      send(res, { ...answer, headers: { 'x-ratelimit-limit': '50', 'x-ratelimit-remaining': '49', 'x-ratelimit-reset-after': '1.000', 'x-ratelimit-bucket': 'f4k3', ...answer.headers } });
    })().catch((err: unknown) => send(res, { status: 500, body: { message: `fake-discord: ${String(err)}`, code: 0 } }));
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const gatewayOptions = opts.gateway === true ? {} : opts.gateway || undefined;

  const guildPayload = (guildId: string): Record<string, unknown> => {
    const guild = guilds.get(guildId);
    if (!guild) throw new Error(`no guild ${guildId}`);
    const guildChannels = [...channels.values()].filter((c) => c.info.guild_id === guildId && !c.thread && c.info.access !== false);
    const threads = [...channels.values()].filter((c) => c.info.guild_id === guildId && c.thread);
    const members = [...(guild.members ?? [])];
    if (!members.some((m) => m.user.id === bot.id)) members.push({ user: bot });
    return {
      id: guild.id,
      name: guild.name,
      icon: null,
      owner_id: guild.owner_id ?? members[0]?.user.id ?? bot.id,
      roles: rolesOf(guild).map(roleView),
      emojis: [],
      stickers: [],
      features: [],
      unavailable: false,
      large: false,
      member_count: members.length,
      joined_at: '2024-01-01T00:00:00.000000+00:00',
      members: members.map(memberView),
      channels: guildChannels.map(channelView),
      threads: threads.map(channelView),
      presences: [],
      voice_states: [],
      stage_instances: [],
      guild_scheduled_events: [],
      soundboard_sounds: [],
      premium_tier: 0,
      preferred_locale: 'en-US',
      system_channel_flags: 0,
      verification_level: 0,
      default_message_notifications: 0,
      explicit_content_filter: 0,
      mfa_level: 0,
      nsfw_level: 0,
      afk_timeout: 300,
      afk_channel_id: null,
      system_channel_id: null,
      rules_channel_id: null,
      public_updates_channel_id: null,
      safety_alerts_channel_id: null,
      application_id: null,
      vanity_url_code: null,
      description: null,
      banner: null,
      splash: null,
      discovery_splash: null,
      premium_progress_bar_enabled: false,
    };
  };

  const gateway = gatewayOptions ? attachFakeGateway(server, base.replace(/^http/u, 'ws'), { token, bot: userView(bot), application, guildIds: () => [...guilds.keys()], guildPayload, violations, ...gatewayOptions }) : undefined;

  const fake: FakeDiscord = {
    url: `${base}/api`,
    token,
    bot,
    application,
    requests,
    violations,
    queue,
    interactionResponses,
    gateway,
    commands: () => commands,
    messages: (channelId) => [...(channels.get(channelId)?.messages ?? [])],
    channel: (channelId) => channels.get(channelId)?.info,
    setChannel,
    removeChannel: (channelId) => {
      if (!channels.delete(channelId)) return false;
      for (const [id, c] of channels) if (c.info.parent_id === channelId) channels.delete(id);
      return true;
    },
    addGuild,
    removeGuild: (guildId) => {
      if (!guilds.delete(guildId)) return false;
      for (const [id, c] of channels) if (c.info.guild_id === guildId) channels.delete(id);
      return true;
    },
    addMessage: (channelId, message) => {
      const state = channels.get(channelId);
      if (!state) throw new Error(`no channel ${channelId}`);
      const guild = state.info.guild_id !== undefined ? guilds.get(state.info.guild_id) : undefined;
      const author = message.author ?? guild?.members?.[0]?.user ?? { id: '2000000000000000001', username: 'someone' };
      const { author: _author, ...fields } = message;
      const stored = newMessage(channelId, author, { ...fields, ...(state.info.guild_id !== undefined ? { guild_id: state.info.guild_id } : {}) });
      state.messages.push(stored);
      return stored;
    },
    removeMessage: (channelId, messageId) => {
      const state = channels.get(channelId);
      const at = state?.messages.findIndex((m) => m.id === messageId) ?? -1;
      if (!state || at === -1) return false;
      state.messages.splice(at, 1);
      return true;
    },
    permissions,
    createInteraction: (input) => {
      const channel = channels.get(input.channelId);
      if (!channel) throw new Error(`no channel ${input.channelId}`);
      const guildId = channel.info.guild_id;
      const guild = guildId !== undefined ? guilds.get(guildId) : undefined;
      const member = guild ? memberOf(guild, input.userId) : undefined;
      const user = member?.user ?? { id: input.userId, username: `user${input.userId.slice(-4)}` };
      const id = snowflake();
      const interactionToken = `aW50ZXJhY3Rpb246${id}:${Math.random().toString(36).slice(2)}`;
      interactions.set(interactionToken, { id, token: interactionToken, channelId: channel.info.id, createdAt: Date.now(), acknowledged: false, original: null, ephemeral: false });
      const command = commands.find((c) => c.name === input.data.name);
      const appPermissions = guildId !== undefined ? permissions(guildId, bot.id) | PERMISSIONS.SEND_MESSAGES | PERMISSIONS.VIEW_CHANNEL : 0n;
      return {
        id,
        application_id: application.id,
        type: input.type ?? 2,
        data: { id: (command?.id as string | undefined) ?? snowflake(), type: 1, ...input.data, ...(guildId !== undefined ? { guild_id: guildId } : {}) },
        ...(guildId !== undefined
          ? { guild_id: guildId, guild: { id: guildId, locale: 'en-US', features: [] }, guild_locale: 'en-US', member: { ...memberView(member ?? { user }), permissions: permissions(guildId, user.id).toString() } }
          : { user: userView(user) }),
        channel: channelView(channel),
        channel_id: channel.info.id,
        token: interactionToken,
        version: 1,
        app_permissions: appPermissions.toString(),
        locale: 'en-US',
        entitlements: [],
        authorizing_integration_owners: guildId !== undefined ? { '0': guildId } : { '1': user.id },
        context: guildId !== undefined ? 0 : 1,
        attachment_size_limit: 10_485_760,
      };
    },
    guildPayload,
    calls: (route) => requests.filter((r) => r.route === route),
    snowflake,
    stop: async () => {
      await gateway?.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return fake;
}

/** The values of a template's `{names}` in a concrete path. */
function matchParams(route: string, path: string): Record<string, string> {
  const template = route.slice(route.indexOf(' ') + 1).split('/');
  const parts = path.split('/');
  const params: Record<string, string> = {};
  for (const [i, seg] of template.entries()) {
    const name = /^\{(.+)\}$/u.exec(seg)?.[1];
    if (name !== undefined) params[name] = decodeURIComponent(parts[i] ?? '');
  }
  return params;
}
