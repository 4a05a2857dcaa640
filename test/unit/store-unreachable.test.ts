// Which database errors mean "not reachable, try again later" (a webhook answered 503, docs/architecture.md#faults)
// and which are an answer to the query itself, as pg and better-sqlite3 raise them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isStoreUnreachable } from '../../lib/errors.js';

const withCode = (code: string, message = 'x'): Error => Object.assign(new Error(message), { code });

describe('isStoreUnreachable', () => {
  test('a server that is down, going down, starting up or full', () => {
    for (const err of [
      withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'),
      withCode('ECONNRESET', 'read ECONNRESET'),
      withCode('ENOTFOUND', 'getaddrinfo ENOTFOUND db'),
      withCode('57P01', 'terminating connection due to administrator command'),
      withCode('57P03', 'the database system is starting up'),
      withCode('08006', 'connection failure'),
      withCode('53300', 'sorry, too many clients already'),
      new Error('Connection terminated unexpectedly'),
      new Error('timeout exceeded when trying to connect'),
      withCode('SQLITE_BUSY', 'database is locked'),
    ]) {
      assert.equal(isStoreUnreachable(err), true, String((err as { code?: string }).code ?? err.message));
    }
  });

  test('reached through a wrapper (cause) or every address refused (AggregateError)', () => {
    assert.equal(isStoreUnreachable(new Error('query failed', { cause: withCode('ECONNREFUSED') })), true);
    assert.equal(isStoreUnreachable(new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')], '')), true);
  });

  test('an answer to the query is not: a constraint, a syntax error, a missing table, anything else', () => {
    for (const err of [withCode('23505', 'duplicate key'), withCode('42601', 'syntax error'), withCode('42P01', 'relation does not exist'), withCode('SQLITE_CONSTRAINT'), new Error('boom'), null, 'text', 42]) {
      assert.equal(isStoreUnreachable(err), false, String(err));
    }
  });
});
