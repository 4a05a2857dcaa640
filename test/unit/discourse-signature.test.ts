import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { signBody, verifySignature } from '../../lib/discourse/signature.js';

const SECRET = 'test-secret-0123456789';
const body = readFileSync(new URL('../../../shared/fixtures/discourse-webhooks/discourse-2025.12/post_created.body.json', import.meta.url));
// Computed independently of the code under test, as Discourse does: OpenSSL::HMAC.hexdigest("sha256", secret, body).
const good = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;

describe('verifySignature', () => {
  test('accepts the signature Discourse sends for a real body', () => {
    assert.equal(verifySignature(body, good, SECRET), true);
    assert.equal(signBody(body, SECRET), good);
  });

  test('tolerates header case and surrounding whitespace', () => {
    assert.equal(verifySignature(body, `  ${good.toUpperCase()}\t`, SECRET), true);
    assert.equal(verifySignature(body, `Sha256=${good.slice(7).toUpperCase()}`, SECRET), true);
  });

  test('refuses a body changed by one byte', () => {
    const tampered = Buffer.from(body);
    const at = tampered.length - 3;
    tampered[at] = tampered[at]! ^ 1;
    assert.equal(verifySignature(tampered, good, SECRET), false);
  });

  test('refuses the right body signed with another secret', () => {
    assert.equal(verifySignature(body, signBody(body, 'another-secret-123'), SECRET), false);
  });

  test('refuses missing and malformed headers', () => {
    const hex = good.slice(7);
    for (const header of [undefined, '', 'sha256=', hex, `sha1=${hex}`, `sha256=${hex.slice(0, 63)}`, `sha256=${hex}0`, `sha256=${hex.slice(0, 62)}zz`, `sha256 = ${hex}`, `${good},${good}`]) {
      assert.equal(verifySignature(body, header, SECRET), false, `header ${JSON.stringify(header)}`);
    }
  });

  test('refuses everything when the secret is empty', () => {
    assert.equal(verifySignature(body, signBody(body, ''), ''), false);
  });

  test('property: random headers never verify and never throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.oneof(fc.string(), fc.constant(undefined), fc.stringMatching(/^sha256=[0-9a-f]{64}$/)), (bytes, header) => {
        const raw = Buffer.from(bytes);
        // A random 64-hex string matching by chance is 2^-256: treat any true as a bug.
        assert.equal(verifySignature(raw, header, SECRET), false);
        assert.equal(verifySignature(raw, signBody(raw, SECRET), SECRET), true);
      }),
    );
  });
});
