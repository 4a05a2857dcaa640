// POST /hooks/discourse: checks a webhook and hands it to the queue, fast. Nothing is parsed before the
// signature over the raw bytes has been checked, and nothing unsigned gets past it.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCode } from '../errors.js';
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

type ErrorBody = { error: { code: string; message: string } };

function fail(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.code(status).send({ error: { code, message } } satisfies ErrorBody);
}

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  const s = Array.isArray(v) ? v[0] : v;
  return s === undefined ? undefined : s.trim();
}

export function registerDiscourseHook(app: FastifyInstance, opts: DiscourseHookOptions): void {
  const maxBodyBytes = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const log = opts.log;

  // Its own encapsulated scope: the raw-Buffer parsers and the error format apply to this route only.
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(['application/json', 'application/x-www-form-urlencoded'], { parseAs: 'buffer', bodyLimit: maxBodyBytes }, (_req, body, done) => {
      done(null, body);
    });

    scope.setErrorHandler((err: FastifyError, _req, reply) => {
      const status = err.statusCode ?? 500;
      if (status === 413) return fail(reply, 413, 'parley_payload_too_large', `body larger than ${maxBodyBytes} bytes`);
      if (status === 415) {
        return fail(reply, 415, 'parley_unsupported_media_type', 'send Content-Type application/json or application/x-www-form-urlencoded (the Discourse webhook setting)');
      }
      if (status >= 400 && status < 500) return fail(reply, status, 'parley_bad_request', err.message);
      log.error({ err: { message: err.message, code: err.code } }, 'discourse webhook failed');
      return fail(reply, 500, 'parley_internal_error', 'internal error');
    });

    scope.post(DISCOURSE_HOOK_PATH, { bodyLimit: maxBodyBytes }, async (req, reply) => {
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);

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

      try {
        await opts.accept({ eventId, event, eventType, instance: header(req, 'x-discourse-instance') || null, body: parsed.body });
      } catch (err) {
        log.error({ eventId, event, err: { message: (err as Error)?.message } }, 'discourse webhook could not be queued; Discourse will retry');
        return fail(reply, 503, 'parley_unavailable', 'the event could not be queued; try again later');
      }
      return reply.code(202).send({ ok: true });
    });
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
  if (text.trim() === '') return { ok: false, error: 'body is empty: expected a JSON object' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `body is not valid JSON: ${(err as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, error: 'body must be a JSON object' };
  return { ok: true, body: value as Record<string, unknown> };
}
