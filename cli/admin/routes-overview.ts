// GET /api/overview and /api/deliveries/per-hour: what the admin page's first screen shows.
import { deliverQueueName } from '../../jobs/queues.js';
import type { AdminApiDeps, Routes } from './api.js';
import * as s from './schemas.js';

export function overviewRoutes(r: Routes, deps: AdminApiDeps): void {
  r.get('/overview', { schema: { summary: 'Health of the database, Redis and each platform; queue depths; deliveries by status', response: { 200: s.Overview } } }, async () => {
    const checks = Object.fromEntries(
      await Promise.all(
        Object.entries(deps.checks).map(async ([name, check]) => {
          try {
            return [name, await check()] as const;
          } catch (err) {
            return [name, { ok: false, detail: err instanceof Error ? err.message : String(err) }] as const;
          }
        }),
      ),
    );
    const queues: Record<string, { waiting: number; active: number; delayed: number; failed: number }> = {};
    const all = [
      ['ingest', deps.queues.ingest],
      ['transcripts', deps.queues.transcripts],
      ...[...deps.adapters.keys()].map((p) => [deliverQueueName(p), deps.queues.deliverQueue(p)] as const),
    ] as const;
    for (const [name, queue] of all) {
      const c = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed');
      queues[name] = { waiting: c.waiting ?? 0, active: c.active ?? 0, delayed: c.delayed ?? 0, failed: c.failed ?? 0 };
    }
    return { checks, queues, deliveries: await deps.store.deliveries.countByStatus() };
  });

  r.get('/deliveries/per-hour', { schema: { summary: 'Delivered and failed deliveries per UTC hour and platform, for the last day', response: { 200: s.DeliveryHours } } }, async () => {
    const hours = await deps.store.deliveries.perHour(new Date(Date.now() - 24 * 3_600_000));
    return hours.map((h) => ({ ...h, hour: h.hour.toISOString() }));
  });
}
