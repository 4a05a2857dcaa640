// Requests as Slack sends them to Parley over HTTP: a slash command (form-encoded) or an Events API callback
// (JSON), signed with the app's signing secret (v0: HMAC-SHA256 over `v0:timestamp:body`).
import { createHmac } from 'node:crypto';
import { COMMANDS_PATH, EVENTS_PATH } from '../../bots/slack/paths.js';
import { jsonOrText } from './http.js';

export const SIGNING_SECRET = 'test-slack-signing-secret-8d1c0f';

export function slackSignature(body: string, timestamp: number, secret = SIGNING_SECRET): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export interface SignOptions {
  /** Seconds since the epoch; now by default. */
  timestamp?: number;
  /** Sent instead of the right signature. */
  signature?: string;
  secret?: string;
  headers?: Record<string, string>;
}

export interface SlackAnswer {
  status: number;
  /** The JSON answer, or the text when it is not JSON. */
  body: unknown;
  signature: string;
  timestamp: number;
}

/** POSTs `body` (already encoded) to Parley, signed; resolves to Parley's answer. */
export async function postSigned(baseUrl: string, path: string, body: string, contentType: string, opts: SignOptions = {}): Promise<SlackAnswer> {
  const timestamp = opts.timestamp ?? Math.floor(Date.now() / 1000);
  const signature = opts.signature ?? slackSignature(body, timestamp, opts.secret);
  const res = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': contentType, 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': signature, ...opts.headers },
    body,
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, body: await jsonOrText(res), signature, timestamp };
}

/** The fields of a slash command request, as Slack sends them. */
export interface SlashCommand {
  command: string;
  text: string;
  channel_id: string;
  channel_name?: string;
  user_id: string;
  user_name: string;
  response_url: string;
  team_id?: string;
  team_domain?: string;
}

export function slashCommandBody(c: SlashCommand): string {
  return new URLSearchParams({
    token: 'deprecated-verification-token',
    team_id: c.team_id ?? 'T0001',
    team_domain: c.team_domain ?? 'acme',
    channel_id: c.channel_id,
    channel_name: c.channel_name ?? 'general',
    user_id: c.user_id,
    user_name: c.user_name,
    command: c.command,
    text: c.text,
    api_app_id: 'A0001',
    is_enterprise_install: 'false',
    response_url: c.response_url,
    trigger_id: '13345224609.738474920.8088930838d88f008e0',
  }).toString();
}

export function sendCommand(baseUrl: string, c: SlashCommand, opts?: SignOptions): Promise<SlackAnswer> {
  return postSigned(baseUrl, COMMANDS_PATH, slashCommandBody(c), 'application/x-www-form-urlencoded', opts);
}

let eventCount = 0;

/** An Events API callback around `event`, as Slack wraps it. */
export function eventCallback(event: Record<string, unknown>, opts: { eventId?: string; teamId?: string } = {}): Record<string, unknown> {
  return {
    token: 'deprecated-verification-token',
    team_id: opts.teamId ?? 'T0001',
    api_app_id: 'A0001',
    event: { event_ts: `${Math.floor(Date.now() / 1000)}.000${++eventCount}`, ...event },
    type: 'event_callback',
    event_id: opts.eventId ?? `Ev${Date.now()}${eventCount}`,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ enterprise_id: null, team_id: opts.teamId ?? 'T0001', user_id: 'UBOT', is_bot: true, is_enterprise_install: false }],
  };
}

export function sendEvent(baseUrl: string, body: Record<string, unknown>, opts?: SignOptions): Promise<SlackAnswer> {
  return postSigned(baseUrl, EVENTS_PATH, JSON.stringify(body), 'application/json', opts);
}
