// Checking that a webhook comes from GitLab, and the key its repeats are dropped by. Pure; results, not throws.
// - `X-Gitlab-Token`: the hook's secret token in plain text (every GitLab version).
// - Standard Webhooks (GitLab 19.0+): `webhook-signature` = space-separated `v1,<base64 HMAC-SHA256>` over
//   `<webhook-id>.<webhook-timestamp>.<raw body>`, keyed by the base64 after `whsec_`. Verified by the
//   `standardwebhooks` package, whose thrown errors are mapped to stable codes here.
import { createHash, timingSafeEqual } from 'node:crypto';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import type { GitLabEvent } from './normalize.js';

/** Request headers as Node and Fastify give them (any case is accepted here). */
export type Headers = Readonly<Record<string, string | readonly string[] | undefined>>;

export type TokenFailure = 'not_configured' | 'missing_token' | 'wrong_token';
export type TokenCheck = { ok: true } | { ok: false; code: TokenFailure; message: string };

/**
 * `X-Gitlab-Token` against PARLEY_GITLAB_WEBHOOK_SECRET, in constant time: both sides are hashed first so the
 * comparison is over equal lengths and does not reveal the secret's length either.
 */
export function checkGitLabToken(expected: string, header: string | undefined): TokenCheck {
  // GitLab strips line breaks from the token before sending it (`Gitlab::Utils.remove_line_breaks`).
  const secret = expected.replace(/\r?\n/g, '');
  if (secret === '') return { ok: false, code: 'not_configured', message: 'no GitLab webhook secret is configured' };
  if (header === undefined || header === '') return { ok: false, code: 'missing_token', message: 'no X-Gitlab-Token header' };
  const same = timingSafeEqual(sha256(header), sha256(secret));
  return same ? { ok: true } : { ok: false, code: 'wrong_token', message: 'X-Gitlab-Token does not match the configured secret' };
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

export type SignatureFailure =
  | 'unsigned'
  | 'missing_signature_headers'
  | 'malformed_timestamp'
  | 'stale_timestamp'
  | 'future_timestamp'
  | 'bad_signature'
  | 'malformed_secret';

export type SignatureCheck =
  | { ok: true; id: string; timestamp: number }
  | { ok: false; code: SignatureFailure; message: string };

export const SIGNATURE_HEADERS = ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const;

/**
 * The Standard Webhooks signature of a GitLab 19.0+ request, over the raw body exactly as received.
 * - none of the three headers: `unsigned` (GitLab before 19.0): the caller decides whether that is enough.
 * - some but not all (19.x sends `webhook-id` and `webhook-timestamp` always, the signature only when the hook
 *   has a signing token): `missing_signature_headers`.
 * - the timestamp must be within the package's tolerance (5 minutes) of the clock, either way.
 */
export function checkStandardWebhook(headers: Headers, rawBody: Buffer | string, signingToken: string): SignatureCheck {
  const [id, timestamp, signature] = SIGNATURE_HEADERS.map((name) => header(headers, name));
  if (id === undefined && timestamp === undefined && signature === undefined) {
    return { ok: false, code: 'unsigned', message: 'no webhook-id, webhook-timestamp or webhook-signature header (GitLab before 19.0)' };
  }
  if (id === undefined || timestamp === undefined || signature === undefined) {
    const missing = SIGNATURE_HEADERS.filter((name) => header(headers, name) === undefined);
    return { ok: false, code: 'missing_signature_headers', message: `missing ${missing.join(', ')}` };
  }
  // The package reads the timestamp with parseInt, which would take `1744578123abc`: be strict first.
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, code: 'malformed_timestamp', message: `webhook-timestamp is not a Unix time: ${JSON.stringify(timestamp.slice(0, 20))}` };
  let verifier: Webhook;
  try {
    verifier = new Webhook(signingToken.trim());
  } catch (err) {
    return { ok: false, code: 'malformed_secret', message: `the signing token is not whsec_<base64>: ${(err as Error).message}` };
  }
  try {
    // jsonParse off: the package would otherwise JSON.parse the body after a match and throw a SyntaxError.
    verifier.verify(rawBody, { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signature }, { jsonParse: false });
    return { ok: true, id, timestamp: Number(timestamp) };
  } catch (err) {
    return { ok: false, code: failureCode(err), message: (err as Error).message };
  }
}

// The messages `standardwebhooks` 1.1.1 throws WebhookVerificationError with (dist/index.js).
const PACKAGE_MESSAGES: Record<string, SignatureFailure> = {
  'Missing required headers': 'missing_signature_headers',
  'Invalid Signature Headers': 'malformed_timestamp',
  'Message timestamp too old': 'stale_timestamp',
  'Message timestamp too new': 'future_timestamp',
  'No matching signature found': 'bad_signature',
};

function failureCode(err: unknown): SignatureFailure {
  // Anything unexpected is a failed verification: never a pass.
  if (!(err instanceof WebhookVerificationError)) return 'bad_signature';
  return PACKAGE_MESSAGES[err.message] ?? 'bad_signature';
}

/** Whether a PARLEY_GITLAB_SIGNING_TOKEN can be used at all, for checking configuration at start. */
export function validSigningToken(token: string): boolean {
  try {
    new Webhook(token.trim());
    return token.trim().startsWith('whsec_');
  } catch {
    return false;
  }
}

/**
 * The key repeats of one delivery share: `webhook-id` (19.0+), else `Idempotency-Key` (17.4+; GitLab sets both
 * to the same value, so they share a prefix), both stable across GitLab's retries and "Resend Request".
 * `X-Gitlab-Webhook-UUID` is new on every request and is never used. Older GitLab sends neither: then the
 * object and its state. Null for ignored events, which have nothing to deliver twice.
 */
export function deliveryKey(headers: Headers, event: GitLabEvent): string | null {
  const id = header(headers, 'webhook-id') ?? header(headers, 'idempotency-key');
  if (id !== undefined) return `delivery:${id}`;
  const at = (e: { updatedAt: string | null }) => e.updatedAt ?? 'unknown-time';
  switch (event.kind) {
    case 'issue':
      return `issue:${event.id}:${event.action}:${at(event)}`;
    case 'merge_request':
      return `merge_request:${event.id ?? `${event.project.id}!${event.iid}`}:${event.gitlabAction}:${at(event)}`;
    case 'note':
      return `note:${event.id}:${at(event)}`;
    case 'pipeline':
      return `pipeline:${event.id}:${event.status}`;
    case 'release':
      return `release:${event.id}:${event.action}:${at(event)}`;
    case 'ignored':
      return null;
  }
}

/** One header by name in any case; a repeated header counts by its first value; blank counts as absent. */
function header(headers: Headers, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted) continue;
    const v = (typeof value === 'string' ? value : value?.[0])?.trim();
    if (v) return v;
  }
  return undefined;
}
