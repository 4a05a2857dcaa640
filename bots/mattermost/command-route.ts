// Mattermost custom slash commands: Mattermost POSTs the command (form-encoded, or JSON) to
// POST /hooks/mattermost/command and shows our JSON answer. It waits 3 s at most, so a slow command is
// answered "working on it" at once and for real later, through the request's response_url.
import { createHash, timingSafeEqual } from 'node:crypto';
import formbody from '@fastify/formbody';
import type { FastifyInstance } from 'fastify';
import type { AdapterDeps } from '../adapter.js';
import type { Logger } from '../../lib/log.js';
import type { CommandInvocation, CommandReply } from '../../commands/types.js';
import { postJson } from './client.js';
import { escapeMarkdown } from './format.js';

export const COMMAND_PATH = '/hooks/mattermost/command';

/**
 * The command words this endpoint answers. Each is its own Mattermost slash command with its own token
 * (PARLEY_MATTERMOST_COMMAND_TOKEN lists them, comma-separated), both posting to COMMAND_PATH.
 */
export const COMMAND_WORDS: readonly string[] = ['discourse', 'topic'];

/** Mattermost gives up after 3 s; answer well before that. */
export const DEFAULT_DEADLINE_MS = 2500;

export interface CommandResponse {
  response_type: 'ephemeral' | 'in_channel';
  text: string;
}

export interface CommandRouteOptions {
  /** Every slash command has its own token; empty means none configured (503). */
  tokens: readonly string[];
  handleCommand: AdapterDeps['handleCommand'];
  log: Logger;
  commandWords?: readonly string[];
  deadlineMs?: number;
  /** Keeps late answers in sight so stop() can wait for them. */
  track(work: Promise<void>): void;
}

/** The fields of Mattermost's slash command request that Parley reads. */
export interface SlashCommandPayload {
  token: string;
  channel_id: string;
  channel_name: string;
  team_id: string;
  team_domain: string;
  user_id: string;
  user_name: string;
  command: string;
  text: string;
  response_url: string;
}

const FIELDS = ['token', 'channel_id', 'channel_name', 'team_id', 'team_domain', 'user_id', 'user_name', 'command', 'text', 'response_url'] as const;

function readPayload(body: unknown): SlashCommandPayload | null {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return null;
  const raw = body as Record<string, unknown>;
  const out = {} as SlashCommandPayload;
  for (const key of FIELDS) {
    const value = raw[key];
    out[key] = typeof value === 'string' ? value : '';
  }
  return out;
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Constant time whatever the lengths: both sides are hashed first, and every token is compared. */
export function tokenMatches(given: string, tokens: readonly string[]): boolean {
  if (!given) return false;
  const g = digest(given);
  let ok = false;
  for (const t of tokens) ok = timingSafeEqual(g, digest(t)) || ok;
  return ok;
}

// A direct message channel is named `<user id>__<user id>`, a group message by a 40-digit hex hash.
const DIRECT_NAME = /^[a-z0-9]{26}__[a-z0-9]{26}$/u;
const GROUP_NAME = /^[a-f0-9]{40}$/u;

/**
 * The channel as the core sees it. The request does not say whether a named channel is private (type P),
 * so only direct and group messages count as private here.
 */
export function describeChannel(p: Pick<SlashCommandPayload, 'channel_id' | 'channel_name' | 'team_domain' | 'user_name'>): CommandInvocation['channel'] {
  const team = p.team_domain ? `${p.team_domain}/` : '';
  if (DIRECT_NAME.test(p.channel_name)) return { externalId: p.channel_id, name: `${team}direct message with @${p.user_name}`, isPrivate: true };
  if (GROUP_NAME.test(p.channel_name)) return { externalId: p.channel_id, name: `${team}group message`, isPrivate: true };
  return { externalId: p.channel_id, name: `${team}${p.channel_name || p.channel_id}`, isPrivate: false };
}

export function toInvocation(p: SlashCommandPayload, word: string, receivedAt = Date.now()): CommandInvocation {
  const invocation: CommandInvocation = {
    platform: 'mattermost',
    command: word,
    args: p.text,
    channel: describeChannel(p),
    // The request carries no display name; the username stands in for it.
    user: { id: p.user_id, username: p.user_name, displayName: p.user_name },
  };
  // For role checks (teamId) and for replyLater: response_url takes later answers for a while after receivedAt.
  const context: Record<string, string> = {};
  if (p.team_id) context.teamId = p.team_id;
  if (isHttpUrl(p.response_url)) {
    context.responseUrl = p.response_url;
    context.receivedAt = String(receivedAt);
  }
  if (Object.keys(context).length > 0) invocation.platformContext = context;
  return invocation;
}

export function toResponse(reply: CommandReply): CommandResponse {
  return { response_type: reply.visibility === 'channel' ? 'in_channel' : 'ephemeral', text: escapeMarkdown(reply.text) };
}

const WORKING: CommandResponse = { response_type: 'ephemeral', text: 'Working on it…' };
const FAILED: CommandResponse = { response_type: 'ephemeral', text: 'Sorry, Parley failed to run this command. The error is in its log.' };

export function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

async function answerLate(log: Logger, responseUrl: string, response: CommandResponse): Promise<void> {
  if (!isHttpUrl(responseUrl)) {
    log.warn('mattermost: a slow command finished but the request had no response_url; the answer is lost');
    return;
  }
  try {
    await postJson(responseUrl, response, { action: 'command-response' });
  } catch (err) {
    // The URL itself is a credential: log what went wrong, not where.
    log.warn({ err: (err as Error).message }, 'mattermost: could not post a late command answer to response_url');
  }
}

export function registerCommandRoute(app: FastifyInstance, opts: CommandRouteOptions): void {
  const words = opts.commandWords ?? COMMAND_WORDS;
  const deadlineMs = opts.deadlineMs ?? DEFAULT_DEADLINE_MS;
  const log = opts.log;

  // Encapsulated: the form parser exists for this route only, not for the rest of the server.
  void app.register(async (scope) => {
    if (!scope.hasContentTypeParser('application/x-www-form-urlencoded')) await scope.register(formbody);

    scope.post(COMMAND_PATH, async (req, reply) => {
      if (opts.tokens.length === 0) {
        return reply.code(503).send({ error: 'Mattermost slash commands are not set up: PARLEY_MATTERMOST_COMMAND_TOKEN must be set to the slash command token' });
      }
      const payload = readPayload(req.body);
      // Mattermost sends the token in the body and as `Authorization: Token …`; either will do.
      const header = /^Token\s+(\S+)$/iu.exec(req.headers.authorization ?? '')?.[1] ?? '';
      if (!payload || !(tokenMatches(payload.token, opts.tokens) || tokenMatches(header, opts.tokens))) {
        log.warn({ ip: req.ip }, 'mattermost: slash command with a wrong or missing token refused');
        return reply.code(401).send({ error: 'invalid or missing slash command token' });
      }
      const missing = (['channel_id', 'user_id', 'command'] as const).filter((k) => !payload[k]);
      if (missing.length > 0) return reply.code(400).send({ error: `missing field(s): ${missing.join(', ')}` });

      const word = payload.command.replace(/^\//u, '').toLowerCase();
      if (!words.includes(word)) {
        return { response_type: 'ephemeral', text: escapeMarkdown(`Parley does not answer /${word} here; it answers ${words.map((w) => `/${w}`).join(', ')}.`) } satisfies CommandResponse;
      }

      const work: Promise<CommandResponse> = opts
        .handleCommand(toInvocation(payload, word))
        .then(toResponse)
        .catch((err: unknown) => {
          log.error({ err }, 'mattermost: command handler failed');
          return FAILED;
        });

      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<null>((resolve) => {
        timer = setTimeout(() => resolve(null), deadlineMs);
      });
      const first = await Promise.race([work, late]);
      clearTimeout(timer);
      if (first) return first;

      opts.track(work.then((response) => answerLate(log, payload.response_url, response)));
      return WORKING;
    });
  });
}
