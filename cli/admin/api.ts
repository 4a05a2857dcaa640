// The admin HTTP API under /api/ (docs/architecture.md#admin): JSON in and out, every request checked by the zod
// schemas of ./schemas.ts, which also make the OpenAPI document at /api/openapi.json, so that the document cannot
// drift from what is checked. Every route sits behind the admin's credentials (lib/http/admin-auth.ts). The routes
// are in ./routes-<resource>.ts; what they do to channels is the CLI's own (../channel-ops.ts).
import swagger from '@fastify/swagger';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, preHandlerHookHandler, FastifyBaseLogger, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import { hasZodFastifySchemaValidationErrors, jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Queues } from '../../jobs/queues.js';
import type { Config } from '../../lib/config.js';
import type { CategoryCache } from '../../lib/discourse/categories.js';
import type { DiscourseClient } from '../../lib/discourse/client.js';
import { ForumRateLimitedError, ForumRequestError, ForumUnavailableError } from '../../lib/errors.js';
import type { GitLabClient } from '../../lib/gitlab/client.js';
import type { AdminIdentity } from '../../lib/http/admin-auth.js';
import type { PlatformAdapter } from '../../lib/seams/platform.js';
import type { ChannelRecord, PlatformName, Store } from '../../lib/seams/store.js';
import { channelRoutes } from './routes-channels.js';
import { deliveryRoutes } from './routes-deliveries.js';
import { identityRoutes } from './routes-identities.js';
import { overviewRoutes } from './routes-overview.js';
import { transcriptRoutes } from './routes-transcripts.js';
import { platformRoutes } from './routes-platforms.js';
import { ruleRoutes } from './routes-rules.js';
import { sourceRoutes } from './routes-sources.js';
import { testMessageRoutes } from './routes-test-message.js';
import { transcriptPolicyRoutes } from './routes-transcript-policy.js';
import { toolRoutes } from './routes-tools.js';
import * as s from './schemas.js';

export interface AdminApiDeps {
  /** What is configured (platforms, sources, PARLEY_PUBLIC_URL): the platforms and sources section. */
  config: Config;
  /** The environment the configuration was read from: which variables are set (never their values leave). */
  env: NodeJS.ProcessEnv;
  store: Store;
  queues: Queues;
  adapters: ReadonlyMap<PlatformName, PlatformAdapter>;
  /** The same checks as /readyz: the database, Redis, each platform. */
  checks: Record<string, () => Promise<{ ok: boolean; detail?: string }>>;
  /** The forum's REST client; null without PARLEY_DISCOURSE_API_KEY (latest topics, tags and test messages need it). */
  forum: DiscourseClient | null;
  /** The forum's categories as Parley knows them (the store, webhooks, and the forum when it has the key). */
  categories: CategoryCache;
  /** GitLab's REST client; null when GitLab is not configured. */
  gitlab: GitLabClient | null;
  requireAdmin: preHandlerHookHandler;
  /** How the request got in (lib/http/admin-auth.ts). */
  adminOf(req: FastifyRequest): AdminIdentity | undefined;
}

/** The typed route registrar each routes-*.ts file adds its routes to. */
export type Routes = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, ZodTypeProvider>;

/** A field-by-field validation error, as the page shows beside each field: 400 `{error: 'validation', message, issues}`. */
export const invalid = (reply: FastifyReply, issues: readonly { field: string; message: string }[]) =>
  reply.code(400).send({ error: 'validation', message: issues.map((i) => `${i.field}: ${i.message}`).join('; '), issues });

export const notFound = (reply: FastifyReply, what: string) => reply.code(404).send({ error: 'not_found', message: `There is no ${what}.` });

/** The channel of a `/channels/:id/…` route, or undefined once the 404 is sent (the route then returns the reply). */
export async function channelOr404(store: Store, id: number, reply: FastifyReply): Promise<ChannelRecord | undefined> {
  const channel = await store.channels.get(id);
  if (!channel) notFound(reply, `channel ${id}`);
  return channel;
}

/** 409: what the request needs is not configured; `message` names the variables to set. */
export const notConfigured = (reply: FastifyReply, message: string) => reply.code(409).send({ error: 'not_configured', message });

/** 502: a source (the forum, GitLab) failed to answer, or refused; its error says how. */
export const sourceUnavailable = (reply: FastifyReply, source: string, err: unknown) =>
  reply.code(502).send({ error: 'source_unavailable', message: `${source} did not answer as it should: ${err instanceof Error ? err.message : String(err)}` });

/** Whether an error is a source's (unreachable, rate limited, refused: the forum's and GitLab's alike) rather than Parley's. */
export const isSourceError = (err: unknown): boolean => err instanceof ForumUnavailableError || err instanceof ForumRateLimitedError || err instanceof ForumRequestError;

/** Registers the API as its own encapsulated plugin: its validators and its OpenAPI document cover /api alone. */
export async function registerAdminApi(app: FastifyInstance, deps: AdminApiDeps): Promise<void> {
  await app.register(async (api) => {
    api.setValidatorCompiler(validatorCompiler);
    api.setSerializerCompiler(serializerCompiler);
    // Validation errors name each field, as the page shows them beside the field.
    api.setErrorHandler((err: FastifyError, _req, reply) => {
      if (hasZodFastifySchemaValidationErrors(err)) {
        const issues = err.validation.map((v) => ({ field: `${err.validationContext ?? 'request'}${v.instancePath.replace(/\/$/u, '').replace(/\//gu, '.')}`, message: v.message ?? 'invalid' }));
        return invalid(reply, issues);
      }
      const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
      return reply.code(status).send({ error: status === 500 ? 'internal' : 'request', message: status === 500 ? 'Parley could not answer this request; its log says why.' : err.message });
    });
    await api.register(swagger, {
      openapi: {
        info: { title: 'Parley admin API', version: '1', description: 'Parley\'s admin: its channels, rules, identities and deliveries. Authenticate with `Authorization: Bearer PARLEY_ADMIN_TOKEN`, or a session from POST /admin/login.' },
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
        security: [{ bearer: [] }],
      },
      transform: jsonSchemaTransform,
    });
    // onRequest, not preHandler: credentials before validation, so that no one unauthenticated learns the schemas.
    api.addHook('onRequest', deps.requireAdmin);
    const r: Routes = api.withTypeProvider<ZodTypeProvider>();

    r.get('/openapi.json', { schema: { summary: 'This API, as OpenAPI 3', response: { 200: s.OpenApiDocument } } }, async () => api.swagger() as unknown as Record<string, unknown>);

    r.get('/session', { schema: { summary: 'Who is asking: the token, or a logged-in session with its CSRF token for changes', response: { 200: s.Session } } }, async (req) => deps.adminOf(req) ?? { via: 'token' as const });

    overviewRoutes(r, deps);
    channelRoutes(r, deps);
    ruleRoutes(r, deps);
    identityRoutes(r, deps);
    deliveryRoutes(r, deps);
    transcriptRoutes(r, deps);
    platformRoutes(r, deps);
    sourceRoutes(r, deps);
    testMessageRoutes(r, deps);
    transcriptPolicyRoutes(r, deps);
    toolRoutes(r, deps);
  }, { prefix: '/api' });
}
