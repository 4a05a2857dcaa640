// POST /hooks/gitlab: checks a webhook and hands it to the queue, fast. The secret token (and the Standard
// Webhooks signature, when the request is signed and a signing token is set) is checked before the body is read.
// Every request that passes answers 2xx, also for events Parley ignores: GitLab disables a webhook after repeated
// failures, and a 4xx counts as one (issue 11).
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { ErrorCode } from '../errors.js';
import { fail, handOn, header, parseJsonObject, registerWebhookRoute } from '../http/webhook.js';
import type { Logger } from '../log.js';
import { normalizeGitLabWebhook } from './normalize.js';
import { checkGitLabToken, checkStandardWebhook, deliveryKey } from './signature.js';

export interface GitLabDelivery {
  /** deliveryKey: webhook-id, else Idempotency-Key, else the object and its updated_at; repeats share it. */
  key: string;
  /** X-Gitlab-Event (Issue Hook, …); null when absent. */
  event: string | null;
  body: unknown;
}

export interface GitLabHookOptions {
  /** PARLEY_GITLAB_WEBHOOK_SECRET, compared with X-Gitlab-Token. */
  secret: string;
  /** PARLEY_GITLAB_SIGNING_TOKEN (`whsec_…`): signed requests are checked with it. */
  signingToken: string | null;
  /** Default 1 MiB, as for Discourse; GitLab's own limit on a webhook body is larger, but issues and notes are not. */
  maxBodyBytes?: number;
  log: Logger;
  /** Queues the delivery. Throwing makes the answer 503, so GitLab tries again. */
  accept(delivery: GitLabDelivery): Promise<void>;
}

export const GITLAB_HOOK_PATH = '/hooks/gitlab';
const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
// Keys end up in job ids, logs and the inbound_events table: a longer one is stored by its hash.
const MAX_KEY_LENGTH = 200;

export function registerGitLabHook(app: FastifyInstance, opts: GitLabHookOptions): void {
  const maxBodyBytes = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const log = opts.log;

  // GitLab sends application/json; any other type is read the same way rather than refused with a 4xx.
  registerWebhookRoute(app, { path: GITLAB_HOOK_PATH, contentTypes: '*', maxBodyBytes, log, source: 'gitlab' }, async (req, reply, raw) => {
    const event = header(req, 'x-gitlab-event')?.slice(0, 100) || null;

    const token = checkGitLabToken(opts.secret, header(req, 'x-gitlab-token'));
    if (!token.ok) {
      log.warn({ ip: req.ip, event, code: token.code }, 'gitlab webhook refused: bad token');
      return fail(
        reply,
        401,
        ErrorCode.SignatureInvalid,
        token.code === 'missing_token'
          ? 'X-Gitlab-Token is missing: set a secret token on the GitLab webhook, equal to PARLEY_GITLAB_WEBHOOK_SECRET'
          : 'X-Gitlab-Token does not match: the GitLab webhook secret token must equal PARLEY_GITLAB_WEBHOOK_SECRET',
      );
    }
    if (opts.signingToken) {
      // GitLab before 19.0 signs nothing: the token above is then the whole check.
      const signature = checkStandardWebhook(req.headers, raw, opts.signingToken);
      if (!signature.ok && signature.code !== 'unsigned') {
        log.warn({ ip: req.ip, event, code: signature.code }, 'gitlab webhook refused: bad signature');
        return fail(reply, 401, ErrorCode.SignatureInvalid, `webhook-signature refused (${signature.code}): ${signature.message}. The webhook's signing token must equal PARLEY_GITLAB_SIGNING_TOKEN`);
      }
    }

    const parsed = parseJsonObject(raw.toString('utf8'));
    if (!parsed.ok) return fail(reply, 400, 'parley_bad_request', parsed.error);

    const normalized = normalizeGitLabWebhook(parsed.body, event ?? undefined);
    if (!normalized.ok) {
      // Not a shape Parley reads: logged, and answered 2xx so that GitLab keeps the webhook enabled.
      log.warn({ event, reason: normalized.error }, 'gitlab webhook body not understood: ignored');
      return reply.code(200).send({ ok: true, ignored: normalized.error });
    }
    const key = deliveryKey(req.headers, normalized.value);
    if (key === null || normalized.value.kind === 'ignored') {
      const reason = normalized.value.kind === 'ignored' ? normalized.value.reason : 'nothing to deliver';
      log.debug({ event, reason }, 'gitlab webhook ignored');
      return reply.code(200).send({ ok: true, ignored: reason });
    }

    const delivery = { key: key.length > MAX_KEY_LENGTH ? `sha256:${createHash('sha256').update(key).digest('hex')}` : key, event, body: parsed.body };
    return handOn(reply, () => opts.accept(delivery), log, { key: delivery.key, event }, 'gitlab');
  });
}
