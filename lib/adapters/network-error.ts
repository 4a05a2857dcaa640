// A request that got no answer from the platform: network trouble, DNS, a refused connection or our own
// timeout. All are worth retrying, and all say the platform as a whole cannot be reached: a PlatformUnreachableError
// (its deliveries wait together, one probe at a time: docs/architecture.md#faults) whose message says which.
import { PlatformUnreachableError } from '../errors.js';

/** `what` names the request (`Mattermost post`); the message never holds the URL, which may carry a secret. */
export function errorFromNetwork(err: unknown, what: string): PlatformUnreachableError {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } } | null;
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return new PlatformUnreachableError(`${what}: no answer in time`);
  const reason = e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
  return new PlatformUnreachableError(`${what}: ${reason}`);
}
