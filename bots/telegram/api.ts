// The grammY plumbing the receivers, the sender and the adapter share: abort signals as grammY takes them, the
// time limits of Bot API calls, and the first call that checks the token.
import type { Bot } from 'grammy';
import { mapTelegramError } from './errors.js';

/** Per call that sends, edits or reads something; a long poll has its own, longer limit. */
export const SEND_TIMEOUT_MS = 20_000;
const START_TIMEOUT_MS = 30_000;

/** grammY types its signals as the abort-controller polyfill's (and hands transformers one at runtime). */
export type GrammySignal = NonNullable<Parameters<Bot['init']>[0]>;

/** grammY only listens for 'abort' on a signal, which a native one does the same way. */
export function timeoutSignal(ms: number): GrammySignal {
  return AbortSignal.timeout(ms) as unknown as GrammySignal;
}

/** getMe, before a receiver starts: a wrong token or API root fails start() at once, as a delivery error. */
export async function initBot(bot: Bot): Promise<void> {
  try {
    await bot.init(timeoutSignal(START_TIMEOUT_MS));
  } catch (err) {
    throw mapTelegramError(err);
  }
}
