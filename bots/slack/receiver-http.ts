// Slack over HTTP, inside Parley's own server: Slack POSTs slash commands to COMMANDS_PATH (form-encoded) and
// events to EVENTS_PATH (JSON), each signed with the app's signing secret. This is a Bolt receiver: it checks
// the request with Bolt's own verifySlackRequest (HMAC-SHA256 `v0` over the raw body, five-minute window),
// answers `url_verification`, refuses a replayed request, and hands the rest to the Bolt app, whose ack()
// becomes the HTTP answer.
import type { App, Receiver as BoltReceiver, ReceiverEvent } from '@slack/bolt';
// The module itself, not Bolt's index, which loads receivers Parley does not use (see ./adapter.ts).
import { verifySlackRequest } from '@slack/bolt/dist/receivers/verify-request.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InFlight } from '../../lib/adapters/in-flight.js';
import { within } from '../../lib/adapters/within.js';
import { registerRawBodyRoutes } from '../../lib/http/raw-body.js';
import type { Logger } from '../../lib/log.js';
import type { Receiver } from '../../lib/seams/platform.js';
import type { Store } from '../../lib/seams/store.js';
import { COMMANDS_PATH, EVENTS_PATH } from './paths.js';

/** Slack waits 3 s for an answer; a request nothing acknowledged by then gets an empty 200. */
const ACK_TIMEOUT_MS = 2_900;
/** How long stop() waits for requests still being handled. */
const STOP_TIMEOUT_MS = 10_000;

export interface HttpReceiverOptions {
  signingSecret: string | null;
  /** Remembers the signatures of slash commands, to refuse a replayed one. */
  store: Store;
  log: Logger;
}

type Parsed = { ok: true; body: Record<string, unknown> } | { ok: false; error: string };

function parseForm(raw: string): Parsed {
  const body = Object.fromEntries(new URLSearchParams(raw));
  return typeof body.command === 'string' ? { ok: true, body } : { ok: false, error: 'not a slash command (no `command` field)' };
}

function parseJson(raw: string): Parsed {
  try {
    const body = JSON.parse(raw) as unknown;
    if (body && typeof body === 'object' && !Array.isArray(body)) return { ok: true, body: body as Record<string, unknown> };
  } catch {
    // answered below
  }
  return { ok: false, error: 'the body is not a JSON object' };
}

export class HttpReceiver implements BoltReceiver, Receiver {
  private app: App | null = null;
  private readonly handling = new InFlight();

  constructor(private readonly opts: HttpReceiverOptions) {}

  /** Bolt hands itself over when the app is created. */
  init(app: App): void {
    this.app = app;
  }

  registerRoutes(server: FastifyInstance): void {
    // The signature covers the raw body byte for byte.
    registerRawBodyRoutes(server, (scope) => {
      scope.post(COMMANDS_PATH, (req, reply) => this.handle(req, reply, 'command'));
      scope.post(EVENTS_PATH, (req, reply) => this.handle(req, reply, 'event'));
    });
  }

  // Bolt's Receiver asks for these; HTTP has no connection of its own.
  async start(): Promise<void> {}

  async stop(): Promise<void> {
    await this.handling.drain(STOP_TIMEOUT_MS);
  }

  private async handle(req: FastifyRequest, reply: FastifyReply, kind: 'command' | 'event'): Promise<unknown> {
    const { signingSecret, store, log } = this.opts;
    if (!signingSecret || !this.app) {
      return reply.code(503).send({ error: 'Slack over HTTP is not set up: set PARLEY_SLACK_SIGNING_SECRET (Basic Information → App Credentials)' });
    }
    const raw = typeof req.body === 'string' ? req.body : '';
    const signature = String(req.headers['x-slack-signature'] ?? '');
    try {
      verifySlackRequest({
        signingSecret,
        body: raw,
        headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': Number(req.headers['x-slack-request-timestamp']) },
      });
    } catch (err) {
      log.warn({ ip: req.ip, why: (err as Error).message }, 'slack: request with a wrong or stale signature refused');
      return reply.code(401).send({ error: 'invalid or stale Slack signature' });
    }

    const parsed = kind === 'command' ? parseForm(raw) : parseJson(raw);
    if (!parsed.ok) return reply.code(400).send({ error: parsed.error });
    const body = parsed.body;

    // Slack's retries of an event are dropped by event_id for both transports (inbound.ts).
    if (kind === 'event') {
      if (body.type === 'url_verification') return { challenge: body.challenge };
    } else if (!(await store.inboundEvents.record('slack-request', signature))) {
      // A signed request seen before, within its five minutes: someone replaying it. Slack never resends a command.
      log.warn({ ip: req.ip }, 'slack: a replayed slash command refused');
      return reply.code(401).send({ error: 'this request was already received' });
    }
    return this.dispatch(body, req, reply);
  }

  /** Hands the request to Bolt and answers with what its ack() says (or an empty 200 if nothing acks in time). */
  private async dispatch(body: Record<string, unknown>, req: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    let answer!: (response: unknown) => void;
    const acked = new Promise<unknown>((resolve) => (answer = resolve));
    const retryNum = Number(req.headers['x-slack-retry-num']);
    const event: ReceiverEvent = {
      body,
      ack: async (response?: unknown) => answer(response ?? ''),
      ...(Number.isInteger(retryNum) ? { retryNum } : {}),
      ...(typeof req.headers['x-slack-retry-reason'] === 'string' ? { retryReason: req.headers['x-slack-retry-reason'] } : {}),
    };
    const app = this.app!;
    void this.handling.track(app.processEvent(event).catch((err: unknown) => this.opts.log.error({ err }, 'slack: handling a request failed')));
    const response = await within(acked, ACK_TIMEOUT_MS);
    if (response === null || response === '' || response === undefined) return reply.code(200).send('');
    return typeof response === 'string' ? reply.type('text/plain').send(response) : reply.send(response);
  }
}
