// One HTTP request to a platform on plain fetch, with a timeout: network trouble becomes a transient error
// (network-error.ts), a refusal becomes whatever the platform's own mapping says, and the answer's text is
// returned. For the few requests an SDK does not make (Mattermost's REST calls, webhook and response URLs).
import type { ParleyError } from '../errors.js';
import { errorFromNetwork } from './network-error.js';

/** Maps a non-2xx answer to the error the delivery job acts on. */
export type ErrorFromResponse = (status: number, headers: Headers, body: string) => ParleyError;

/** `what` names the request in errors (`Mattermost post`); the URL never appears, as it may be a credential. */
export async function fetchText(url: string, init: RequestInit & { timeoutMs: number }, what: string, refused: ErrorFromResponse): Promise<string> {
  const { timeoutMs, ...request } = init;
  let res: Response;
  let body: string;
  try {
    res = await fetch(url, { ...request, signal: AbortSignal.timeout(timeoutMs) });
    body = await res.text();
  } catch (err) {
    throw errorFromNetwork(err, what);
  }
  if (!res.ok) throw refused(res.status, res.headers, body);
  return body;
}
