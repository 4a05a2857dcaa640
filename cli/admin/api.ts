// The admin HTTP API under /api/ (docs/architecture.md#admin): JSON in and out, every request checked by the zod
// schemas of ./schemas.ts, which also make the OpenAPI document at /api/openapi.json, so that the document cannot
// drift from what is checked. Every route sits behind the admin's credentials (lib/http/admin-auth.ts). Channel
// operations are the CLI's own (../channel-ops.ts), so that both faces do the same thing.
import swagger from '@fastify/swagger';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify';
import { hasZodFastifySchemaValidationErrors, jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { deliverQueueName, type Queues } from '../../jobs/queues.js';
import type { AdminIdentity } from '../../lib/http/admin-auth.js';
import { sortForStatus } from '../../lib/rules.js';
import type { PlatformAdapter } from '../../lib/seams/platform.js';
import type { PlatformName, Store } from '../../lib/seams/store.js';
import { acceptChannel, channelJson, declineChannel, removeChannel, ruleJson } from '../channel-ops.js';
import * as s from './schemas.js';

export interface AdminApiDeps {
  store: Store;
  queues: Queues;
  adapters: ReadonlyMap<PlatformName, PlatformAdapter>;
  /** The same checks as /readyz: the database, Redis, each platform. */
  checks: Record<string, () => Promise<{ ok: boolean; detail?: string }>>;
  requireAdmin: preHandlerHookHandler;
  /** How the request got in (lib/http/admin-auth.ts). */
  adminOf(req: FastifyRequest): AdminIdentity | undefined;
}

const notFound = (reply: FastifyReply, what: string) => reply.code(404).send({ error: 'not_found', message: `There is no ${what}.` });

/** Registers the API as its own encapsulated plugin: its validators and its OpenAPI document cover /api alone. */
export async function registerAdminApi(app: FastifyInstance, deps: AdminApiDeps): Promise<void> {
  await app.register(async (api) => {
    api.setValidatorCompiler(validatorCompiler);
    api.setSerializerCompiler(serializerCompiler);
    // Validation errors name each field, as the page shows them beside the field.
    api.setErrorHandler((err: FastifyError, _req, reply) => {
      if (hasZodFastifySchemaValidationErrors(err)) {
        const issues = err.validation.map((v) => ({ field: `${err.validationContext ?? 'request'}${v.instancePath.replace(/\/$/u, '').replace(/\//gu, '.')}`, message: v.message ?? 'invalid' }));
        return reply.code(400).send({ error: 'validation', message: issues.map((i) => `${i.field}: ${i.message}`).join('; '), issues });
      }
      const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
      return reply.code(status).send({ error: status === 500 ? 'internal' : 'request', message: status === 500 ? 'Parley could not answer this request; its log says why.' : err.message });
    });
    await api.register(swagger, {
      openapi: {
        info: { title: 'Parley admin API', version: '1', description: 'Everything the parley CLI does, over HTTP. Authenticate with `Authorization: Bearer PARLEY_ADMIN_TOKEN`.' },
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
        security: [{ bearer: [] }],
      },
      transform: jsonSchemaTransform,
    });
    // onRequest, not preHandler: credentials before validation, so that no one unauthenticated learns the schemas.
    api.addHook('onRequest', deps.requireAdmin);
    const r = api.withTypeProvider<ZodTypeProvider>();

    r.get('/openapi.json', { schema: { summary: 'This API, as OpenAPI 3', response: { 200: s.OpenApiDocument } } }, async () => api.swagger() as unknown as Record<string, unknown>);

    r.get('/session', { schema: { summary: 'Who is asking: the token, or a logged-in session with its CSRF token for changes', response: { 200: s.Session } } }, async (req) => deps.adminOf(req) ?? { via: 'token' as const });

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

    r.get('/channels', { schema: { summary: 'Every channel', querystring: s.ChannelQuery, response: { 200: s.ChannelList } } }, async (req) => {
      const channels = await deps.store.channels.list(req.query.platform ? { platform: req.query.platform } : {});
      return channels.filter((c) => !req.query.status || c.status === req.query.status).map(channelJson);
    });

    r.get('/channels/:id', { schema: { summary: 'One channel', params: s.IdParams, response: { 200: s.Channel, 404: s.ErrorBody } } }, async (req, reply) => {
      const channel = await deps.store.channels.get(req.params.id);
      return channel ? channelJson(channel) : notFound(reply, `channel ${req.params.id}`);
    });

    r.patch('/channels/:id', { schema: { summary: 'Rename a channel', params: s.IdParams, body: s.ChannelPatch, response: { 200: s.Channel, 404: s.ErrorBody } } }, async (req, reply) => {
      const channel = await deps.store.channels.get(req.params.id);
      if (!channel) return notFound(reply, `channel ${req.params.id}`);
      await deps.store.channels.update(channel.id, { name: req.body.name });
      return channelJson((await deps.store.channels.get(channel.id))!);
    });

    for (const [path, act, summary] of [
      ['accept', acceptChannel, 'Accept a pending channel: it becomes active'],
      ['decline', declineChannel, 'Decline a pending channel: it is removed'],
    ] as const) {
      r.post(`/channels/:id/${path}`, { schema: { summary, params: s.IdParams, response: { 200: s.Channel, 404: s.ErrorBody, 409: s.ErrorBody } } }, async (req, reply) => {
        const channel = await deps.store.channels.get(req.params.id);
        if (!channel) return notFound(reply, `channel ${req.params.id}`);
        const answer = await act(deps.store, channel);
        if (!answer.ok) return reply.code(409).send({ error: 'not_pending', message: `Channel ${channel.id} is ${channel.status}, not pending: there is nothing to ${path}.` });
        return channelJson(answer.channel);
      });
    }

    r.delete('/channels/:id', { schema: { summary: 'Remove a channel and its rules', params: s.IdParams, response: { 200: s.Removed, 404: s.ErrorBody } } }, async (req, reply) => {
      const channel = await deps.store.channels.get(req.params.id);
      if (!channel) return notFound(reply, `channel ${req.params.id}`);
      return { removed: true as const, ...(await removeChannel(deps.store, channel)) };
    });

    r.get('/channels/:id/rules', { schema: { summary: "A channel's rules, numbered as /discourse status numbers them", params: s.IdParams, response: { 200: s.RuleList, 404: s.ErrorBody } } }, async (req, reply) => {
      const channel = await deps.store.channels.get(req.params.id);
      if (!channel) return notFound(reply, `channel ${req.params.id}`);
      return sortForStatus(await deps.store.rules.list(channel.id)).map((rule, i) => ruleJson(channel, i + 1, rule));
    });

    r.get('/identities', { schema: { summary: 'Chat users linked to forum or GitLab users', querystring: s.IdentityQuery, response: { 200: s.IdentityList } } }, async (req) => {
      const identities = await deps.store.identities.list({ ...(req.query.platform ? { platform: req.query.platform } : {}), ...(req.query.source ? { source: req.query.source } : {}) });
      return identities.map((i) => ({ ...i, createdAt: i.createdAt.toISOString() }));
    });

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
  }, { prefix: '/api' });
}
