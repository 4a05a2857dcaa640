// Discourse signs each webhook body: `X-Discourse-Event-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>`.
// There is no timestamp in the signature, so replays are caught later by the event id, not here.
import { createHmac, timingSafeEqual } from 'node:crypto';

const SIGNATURE = /^sha256=([0-9a-f]{64})$/;

/** True only when the header carries a well-formed sha256 signature of exactly these bytes. */
export function verifySignature(rawBody: Buffer, header: string | undefined, secret: string): boolean {
  if (typeof header !== 'string' || secret.length === 0) return false;
  const match = SIGNATURE.exec(header.trim().toLowerCase());
  if (!match) return false;
  const given = Buffer.from(match[1]!, 'hex');
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  // Both are 32 bytes by construction; timingSafeEqual does not leak where they differ.
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The header value Discourse would send for this body: for tests and tools. */
export function signBody(rawBody: Buffer | string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}
