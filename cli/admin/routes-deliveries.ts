// /api/deliveries: the delivery log, and a failed delivery tried again.
import { notFound, type AdminApiDeps, type Routes } from './api.js';
import * as s from './schemas.js';

export function deliveryRoutes(r: Routes, deps: AdminApiDeps): void {
  r.get('/deliveries', { schema: { summary: 'The delivery log, newest first, searchable and paged', querystring: s.DeliveryQuery, response: { 200: s.DeliveryPage } } }, async (req) => {
    const { limit, offset, ...filter } = req.query;
    const { deliveries, total } = await deps.store.deliveries.search(filter, { limit, offset });
    return { total, limit, offset, deliveries: deliveries.map((d) => ({ ...d, createdAt: d.createdAt.toISOString(), updatedAt: d.updatedAt.toISOString() })) };
  });

  r.post('/deliveries/:jobId/retry', { schema: { summary: 'Try a failed delivery again', params: s.JobIdParams, response: { 202: s.Retried, 404: s.ErrorBody, 409: s.ErrorBody, 410: s.ErrorBody } } }, async (req, reply) => {
    const delivery = await deps.store.deliveries.getByJobId(req.params.jobId);
    if (!delivery) return notFound(reply, `delivery ${req.params.jobId}`);
    if (delivery.status !== 'failed') return reply.code(409).send({ error: 'not_failed', message: `Delivery ${delivery.jobId} is ${delivery.status}: only a failed delivery is tried again.` });
    const channel = await deps.store.channels.get(delivery.channelId);
    const job = channel ? await deps.queues.deliverQueue(channel.platform).getJob(delivery.jobId) : undefined;
    // Failed jobs are kept for a week (jobs/queues.ts): an older one cannot be rebuilt from the store alone.
    if (!job) return reply.code(410).send({ error: 'job_gone', message: `Delivery ${delivery.jobId} failed too long ago: its job is no longer kept, so it cannot be tried again.` });
    // The store first, so that a delivery done at once is not marked queued afterwards; put back if the job
    // cannot be retried after all. Its attempts start again: a retry is a fresh try, with the usual backoff.
    await deps.store.deliveries.update(delivery.jobId, { status: 'queued', lastError: null });
    try {
      await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    } catch (err) {
      await deps.store.deliveries.update(delivery.jobId, { status: 'failed', lastError: delivery.lastError });
      return reply.code(409).send({ error: 'not_retried', message: `Delivery ${delivery.jobId} could not be tried again: ${err instanceof Error ? err.message : String(err)}` });
    }
    return reply.code(202).send({ jobId: delivery.jobId, status: 'queued' as const });
  });
}
