// What the sources' webhook routes share (lib/discourse/hook.ts, lib/gitlab/hook.ts): a scope of their own where
// the body arrives as raw bytes (signatures are over them), one error body shape, header reading, the JSON object
// check, and the 202 or 503 answer after handing the event on.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCode, StoreUnavailableError } from '../errors.js';
import type { Logger } from '../log.js';
import { metrics as processMetrics, type Metrics } from '../metrics.js';

type ErrorBody = { error: { code: string; message: string } };

export function fail(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.code(status).send({ error: { code, message } } satisfies ErrorBody);
}

/** One request header, trimmed; a repeated one by its first value. */
export function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  const s = Array.isArray(v) ? v[0] : v;
  return s === undefined ? undefined : s.trim();
}

export interface WebhookRoute {
  path: string;
  /** The content types read; '*' for any. Another type is a 415 with `unsupportedMediaType` as the message. */
  contentTypes: string[] | '*';
  unsupportedMediaType?: string;
  maxBodyBytes: number;
  log: Logger;
  /** `discourse`, `gitlab`: for logs and metrics. */
  source: string;
  /** Where answer times are counted; the process's registry unless a test gives its own. */
  metrics?: Metrics;
}

/** A POST route in its own encapsulated scope, so that the raw-Buffer parser and the error format apply to it only. */
export function registerWebhookRoute(
  app: FastifyInstance,
  route: WebhookRoute,
  handler: (req: FastifyRequest, reply: FastifyReply, raw: Buffer) => Promise<FastifyReply>,
): void {
  const metrics = route.metrics ?? processMetrics();
  void app.register(async (scope) => {
    // Every answer of the route, refusals and errors before the handler included.
    scope.addHook('onResponse', async (_req, reply) => metrics.webhookAnswered(route.source, reply.statusCode, reply.elapsedTime / 1000));
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(route.contentTypes, { parseAs: 'buffer', bodyLimit: route.maxBodyBytes }, (_req, body, done) => {
      done(null, body);
    });
    // Errors before the handler (body too large, a content type without a parser) in the same error body shape.
    scope.setErrorHandler((err: FastifyError, _req, reply) => {
      const status = err.statusCode ?? 500;
      if (status === 413) return fail(reply, 413, 'parley_payload_too_large', `body larger than ${route.maxBodyBytes} bytes`);
      if (status === 415 && route.unsupportedMediaType) return fail(reply, 415, 'parley_unsupported_media_type', route.unsupportedMediaType);
      if (status >= 400 && status < 500) return fail(reply, status, 'parley_bad_request', err.message);
      route.log.error({ err: { message: err.message, code: err.code } }, `${route.source} webhook failed`);
      return fail(reply, 500, 'parley_internal_error', 'internal error');
    });
    scope.post(route.path, { bodyLimit: route.maxBodyBytes }, (req, reply) => handler(req, reply, Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0)));
  });
}

/** What a 503 asks of the sender: a webhook refused while the database or the queue is down is worth sending again soon. */
const RETRY_AFTER_SECONDS = 10;

/**
 * Hands the event on and answers 202; 503 with Retry-After when that fails (the database or the queue cannot be
 * reached), so that the source sends it again: nothing is answered 2xx that is not safely kept.
 */
export async function handOn(reply: FastifyReply, accept: () => Promise<void>, log: Logger, context: Record<string, unknown>, source: string): Promise<FastifyReply> {
  try {
    await accept();
  } catch (err) {
    const message = (err as Error)?.message;
    reply.header('retry-after', String(RETRY_AFTER_SECONDS));
    if (err instanceof StoreUnavailableError) {
      log.error({ ...context, err: { message } }, `${source} webhook answered 503: the database cannot be reached; the sender will send it again`);
      return fail(reply, 503, ErrorCode.StoreUnavailable, 'the database cannot be reached; try again later');
    }
    log.error({ ...context, err: { message } }, `${source} webhook could not be queued; it will be sent again`);
    return fail(reply, 503, 'parley_unavailable', 'the event could not be queued; try again later');
  }
  return reply.code(202).send({ ok: true });
}

export function parseJsonObject(text: string): { ok: true; body: Record<string, unknown> } | { ok: false; error: string } {
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
