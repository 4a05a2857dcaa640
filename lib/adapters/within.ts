// A platform that waits a few seconds for a command's answer (Slack, Discord, Mattermost: 3 s) gets the answer if
// it comes in time, else a "working on it" and the real answer later: this tells which.

/** Resolves to the promise's value, or to null once `ms` have passed first. */
export function within<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), ms)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
