// The REST client as Parley uses it: no retries and no waiting on rate limits of its own (the delivery job owns
// both: a 429 reaches it as an error with Discord's retry_after and waits in the queue, holding no other channel).
import { REST } from 'discord.js';
import { mapDiscordError } from './errors.js';

export const REQUEST_TIMEOUT_MS = 10_000;

export function createRest(token: string, apiUrl: string | null): REST {
  // offset 0: the wait is what Discord said, not 50 ms more.
  return new REST({ version: '10', retries: 0, rejectOnRateLimit: () => true, offset: 0, timeout: REQUEST_TIMEOUT_MS, ...(apiUrl ? { api: apiUrl } : {}) }).setToken(token);
}

/** Runs one REST call; whatever it throws becomes the error the delivery job acts on. */
export async function discordCall<T>(call: () => Promise<unknown>): Promise<T> {
  try {
    return (await call()) as T;
  } catch (err) {
    throw mapDiscordError(err);
  }
}
