// A platform that waits a few seconds for a command's answer (Slack, Discord, Mattermost: 3 s) gets the answer if
// it comes in time, else a "working on it" and the real answer later: these tell which, and send the late one.
import type { Logger } from '../log.js';
import type { InFlight } from './in-flight.js';

/** Resolves to the promise's value, or to null once `ms` have passed first. */
export function within<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), ms)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

export interface LateAnswer<T> {
  /** Sends the answer that came too late to be the first one (through a response URL, a follow-up). */
  send(answer: T): Promise<void>;
  /** Holds the late answer in sight, so that the adapter's stop() lets it finish. */
  inFlight: InFlight;
  log: Logger;
}

/**
 * The answer if `work` gives it within `ms`; else null (the caller answers "working on it"), and the answer goes
 * out through `late.send` when it comes. A failure to send it is logged, never thrown.
 */
export async function answerWithin<T>(work: Promise<T>, ms: number, late: LateAnswer<T>): Promise<T | null> {
  const first = await within(work, ms);
  if (first !== null) return first;
  void late.inFlight.track(work.then((answer) => late.send(answer)).catch((err: Error) => late.log.warn({ err: err.message }, 'could not send a late command answer')));
  return null;
}
