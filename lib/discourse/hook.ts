// POST /hooks/discourse: checks a webhook and hands it to the queue, fast. Nothing is parsed before the
// signature over the raw bytes has been checked, and nothing unsigned gets past it.
import type { FastifyInstance } from 'fastify';
import { ErrorCode } from '../errors.js';
import { fail, handOn, header, parseJsonObject, registerWebhookRoute } from '../http/webhook.js';
import type { Logger } from '../log.js';
import { verifySignature } from './signature.js';

export interface DiscourseDelivery {
  /** X-Discourse-Event-Id: unique per forum, used to drop repeats. */
  eventId: string;
  /** X-Discourse-Event: post_created, topic_edited, … */
  event: string;
  /** X-Discourse-Event-Type: post, topic, category, … */
  eventType: string;
  /** X-Discourse-Instance: the forum's base URL as it sees itself. */
  instance: string | null;
  body: unknown;
}

export interface DiscourseHookOptions {
  /** PARLEY_DISCOURSE_WEBHOOK_SECRET. */
  secret: string | null;
  /** Without a secret, accept unsigned deliveries (testing only). Ignored when a secret is set: then all must be signed. */
  allowUnsigned: boolean;
  /** Default 1 MiB: a long post's raw and cooked text together stay well under it. */
  maxBodyBytes?: number;
  log: Logger;
  /** Queues the delivery. Throwing makes the answer 503, so Discourse tries again later. */
  accept(delivery: DiscourseDelivery): Promise<void>;
}

export const DISCOURSE_HOOK_PATH = '/hooks/discourse';
const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
// Event ids end up in job ids and logs: keep them to what Discourse sends (integers), with some room.
const EVENT_ID = /^[A-Za-z0-9._:-]{1,100}$/;
const EVENT_NAME = /^[A-Za-z0-9_.:-]{1,100}$/;

export function registerDiscourseHook(app: FastifyInstance, opts: DiscourseHookOptions): void {
  const maxBodyBytes = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const log = opts.log;

  const route = {
    path: DISCOURSE_HOOK_PATH,
    contentTypes: ['application/json', 'application/x-www-form-urlencoded'],
    unsupportedMediaType: 'send Content-Type application/json or application/x-www-form-urlencoded (the Discourse webhook setting)',
    maxBodyBytes,
    log,
    source: 'discourse',
  };
  registerWebhookRoute(app, route, async (req, reply, raw) => {
    if (opts.secret) {
      const signature = header(req, 'x-discourse-event-signature');
      if (!verifySignature(raw, signature, opts.secret)) {
        log.warn({ ip: req.ip, event: header(req, 'x-discourse-event'), signed: signature !== undefined }, 'discourse webhook refused: bad signature');
        return fail(
          reply,
          401,
          ErrorCode.SignatureInvalid,
          signature === undefined
            ? 'X-Discourse-Event-Signature is missing: set a secret on the Discourse webhook, equal to PARLEY_DISCOURSE_WEBHOOK_SECRET'
            : 'X-Discourse-Event-Signature does not match the body: the Discourse webhook secret must equal PARLEY_DISCOURSE_WEBHOOK_SECRET',
        );
      }
    } else if (!opts.allowUnsigned) {
      return fail(reply, 503, 'parley_webhook_not_configured', 'PARLEY_DISCOURSE_WEBHOOK_SECRET must be set (the same secret as on the Discourse webhook) before webhooks are accepted');
    }

    const parsed = parseBody(raw, header(req, 'content-type') ?? '');
    if (!parsed.ok) return fail(reply, 400, 'parley_bad_request', parsed.error);

    const eventId = header(req, 'x-discourse-event-id');
    const event = header(req, 'x-discourse-event');
    if (!eventId || !EVENT_ID.test(eventId)) {
      return fail(reply, 400, 'parley_bad_request', eventId ? 'X-Discourse-Event-Id is not an event id' : 'X-Discourse-Event-Id header is missing');
    }
    if (!event || !EVENT_NAME.test(event)) {
      return fail(reply, 400, 'parley_bad_request', event ? 'X-Discourse-Event is not an event name' : 'X-Discourse-Event header is missing');
    }
    const eventType = header(req, 'x-discourse-event-type') || (Object.keys(parsed.body)[0] ?? 'unknown');

    if (event === 'ping' || eventType === 'ping') return reply.code(200).send({ ok: true, ping: 'pong' });

    const delivery = { eventId, event, eventType, instance: header(req, 'x-discourse-instance') || null, body: parsed.body };
    return handOn(reply, () => opts.accept(delivery), log, { eventId, event }, 'discourse');
  });
}

/**
 * JSON, or form-encoded with the JSON in the `payload` field. Some Discourse versions send the JSON
 * itself under the form content type, so a form body without `payload` is read as JSON.
 */
function parseBody(raw: Buffer, contentType: string): { ok: true; body: Record<string, unknown> } | { ok: false; error: string } {
  let text = raw.toString('utf8');
  if (/^application\/x-www-form-urlencoded\b/i.test(contentType) && !text.trimStart().startsWith('{')) {
    const payload = new URLSearchParams(text).get('payload');
    if (payload === null) return { ok: false, error: 'form-encoded body has no payload field' };
    text = payload;
  }
  return parseJsonObject(text);
}
