// A request that got no answer from the platform: network trouble, DNS, a refused connection or our own
// timeout. All are worth retrying, so all become a PlatformTransientError whose message says which.
import { PlatformTransientError } from '../errors.js';

/** `what` names the request (`Mattermost post`); the message never holds the URL, which may carry a secret. */
export function errorFromNetwork(err: unknown, what: string): PlatformTransientError {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } } | null;
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return new PlatformTransientError(`${what}: no answer in time`);
  const reason = e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
  return new PlatformTransientError(`${what}: ${reason}`);
}
