// Mattermost's custom slash commands on the wire: the request Mattermost POSTs (form-encoded, or JSON), the
// invocation the core gets from it, and the JSON answer Mattermost shows. Pure functions; the HTTP route is
// receiver-slash-command.ts, later answers are sender.ts.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { CommandInvocation, CommandReply } from '../../lib/seams/invocation.js';
import type { MattermostContext } from './context.js';
import { escapeMarkdown } from './format.js';

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

/** Mattermost's answer to a slash command, at once or later through response_url. */
export interface CommandResponse {
  response_type: 'ephemeral' | 'in_channel';
  text: string;
}

const FIELDS = ['token', 'channel_id', 'channel_name', 'team_id', 'team_domain', 'user_id', 'user_name', 'command', 'text', 'response_url'] as const;

/** The request's fields, each a string ('' when missing); null when the body is not an object. */
export function readPayload(body: unknown): SlashCommandPayload | null {
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

export function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
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

export function toInvocation(p: SlashCommandPayload, word: string, receivedAt = Date.now()): CommandInvocation<MattermostContext> {
  const invocation: CommandInvocation<MattermostContext> = {
    platform: 'mattermost',
    command: word,
    args: p.text,
    channel: describeChannel(p),
    // The request carries no display name; the username stands in for it.
    user: { id: p.user_id, username: p.user_name, displayName: p.user_name },
  };
  // For role checks (teamId) and for replyLater: response_url takes later answers for a while after receivedAt.
  const context: MattermostContext = {};
  if (p.team_id) context.teamId = p.team_id;
  if (isHttpUrl(p.response_url)) {
    context.responseUrl = p.response_url;
    context.receivedAt = receivedAt;
  }
  if (Object.keys(context).length > 0) invocation.platformContext = context;
  return invocation;
}

export function toResponse(reply: CommandReply): CommandResponse {
  return { response_type: reply.visibility === 'channel' ? 'in_channel' : 'ephemeral', text: escapeMarkdown(reply.text) };
}
