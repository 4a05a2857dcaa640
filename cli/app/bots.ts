// The bots role: the platforms' streaming connections. One that only one process may hold (a Telegram long poll)
// runs where this process holds its Redis lease (lib/lease.ts); the others stand by to take it over.
import { Lease } from '../../lib/lease.js';
import type { Cleanups } from './cleanups.js';
import type { Core } from './core.js';

export async function startBots(core: Core, cleanups: Cleanups): Promise<void> {
  const { config, log, redis, adapters } = core;
  for (const adapter of adapters.values()) {
    if (!adapter.uniqueConnection) {
      await adapter.start();
      cleanups.push(() => adapter.stop());
      continue;
    }
    const lease = new Lease({ redis, key: `${config.queuePrefix}:lease:${adapter.platform}`, ttlMs: config.botLeaseSeconds * 1000, log: log.child({ platform: adapter.platform }) });
    const holder = { onAcquired: () => adapter.start(), onLost: () => adapter.stop() };
    await lease.hold(holder);
    cleanups.push(() => lease.release(holder));
  }
}
