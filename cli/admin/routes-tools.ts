// The CLI's two tools over the API: POST /api/route, the report `parley route --json` prints (which channels a
// webhook body would reach, through which rule; nothing sent or queued), and POST /api/channels/:id/transcript, what
// `parley transcript` does (a forum topic made from the channel's conversation now, or a preview link). Both run the
// CLI's own code (../route-report.ts, ../transcript-request.ts); this file only turns its refusals into answers.
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ForumRateLimitedError, ForumUnavailableError, PlatformRateLimitedError, PlatformTransientError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import { FILTERS, SOURCE_NAMES } from '../../lib/rules.js';
import { checkRouteOptions, POST_EVENTS, routeReport } from '../route-report.js';
import { RouteRefusal, type RouteAsker } from '../route-shared.js';
import { makeAdminTranscript, prepareTranscript, TranscriptRefusal, type TranscriptRefusalCode } from '../transcript-request.js';
import { channelOr404, invalid, type AdminApiDeps, type Routes } from './api.js';
import { ErrorBody, IdParams, ValidationErrorBody } from './schemas.js';

const RuleRef = z.object({ number: z.number().int().describe('as /discourse status (or /gitlab status) numbers it'), id: z.number().int(), text: z.string().describe('watch c/meta') });
const RoutedChannel = z.object({
  channel: z.string().describe('platform:id'),
  channelId: z.number().int(),
  filter: z.enum(FILTERS).describe('the filter of the rule that decided it (never mute)'),
  rule: RuleRef.describe('the rule that decided it'),
  status: z.enum(['pending', 'active', 'error']),
  queued: z.boolean().describe("whether the ingest job would queue a delivery (false: its platform is not configured here)"),
  note: z.string().nullable().describe('why this match would still not reach the room, if it would not'),
});
const MutedChannel = z.object({ channel: z.string(), channelId: z.number().int(), rule: RuleRef.describe('the mute that won') });
const reached = {
  reason: z.string().nullable().describe('why nothing would be sent, when nothing would'),
  channels: z.array(RoutedChannel),
  muted: z.array(MutedChannel),
};

export const DiscourseRouteReport = z.object({
  event: z.enum(POST_EVENTS),
  post: z.object({
    id: z.number().int(),
    topicId: z.number().int(),
    postNumber: z.number().int(),
    firstPost: z.boolean(),
    title: z.string(),
    author: z.string(),
    url: z.string(),
    categoryId: z.number().int().nullable(),
    category: z.string().nullable().describe('its path, as c/ scopes name it'),
    restricted: z.boolean().nullable(),
    categoryStandIn: z.boolean().describe("unknown to Parley: the payload's category_slug stands in, read-restricted"),
    privateMessage: z.boolean(),
    tags: z.array(z.string()),
  }),
  outcome: z.enum(['delivered', 'no_match', 'skipped', 'private_message', 'not_announced', 'retry']).describe('retry: the forum could not tell what the decision needs, and the ingest job would try again later'),
  ...reached,
});
export const GitLabRouteReport = z.object({
  source: z.literal('gitlab'),
  event: z.string().nullable().describe('the X-Gitlab-Event as given'),
  objectKind: z.string().nullable(),
  object: z
    .object({
      kind: z.string(),
      action: z.string(),
      project: z.string(),
      visibility: z.string().nullable(),
      restricted: z.boolean().describe('reaches a channel only through a rule naming the project'),
      title: z.string(),
      author: z.string().nullable(),
      url: z.string(),
      labels: z.array(z.string()),
    })
    .nullable(),
  outcome: z.enum(['delivered', 'no_match', 'confidential', 'not_announced', 'ignored']),
  ...reached,
});
export const RouteRequest = z.object({
  source: z.enum(SOURCE_NAMES).default('discourse'),
  event: z.string().max(100).optional().describe(`the X-Discourse-Event (${POST_EVENTS.join(', ')}; default post_created for a post body), or the X-Gitlab-Event (Issue Hook, Note Hook, …)`),
  instance: z.string().max(500).optional().describe('the X-Discourse-Instance, for post links when PARLEY_DISCOURSE_URL is not set'),
  body: z.record(z.string(), z.unknown()).describe('the webhook body, as in {"post": {…}} or {"object_kind": "issue", …}'),
});

export const TranscriptRequest = z.object({
  options: z.string().max(2000).default('').describe('the /topic options: last:N | from:HH:MM-HH:MM | since:WHEN, category:SLUG, tags:a,b, ignore:u1,u2, title:"…" (none: back to the last pause)'),
  as: z.string().trim().min(1).max(100).describe('the forum user the topic is created as'),
  preview: z.boolean().default(false).describe('a link to a prefilled composer (or a preview page) instead of a topic'),
});
export const TranscriptMade = z.object({
  transcriptId: z.string().describe('as GET /api/transcripts lists it'),
  status: z.enum(['posted', 'previewed']),
  url: z.string().describe("the topic's link, or the preview's"),
  message: z.string().describe('what /topic would have answered in the chat'),
});

const API_ASKER: RouteAsker = { body: 'The body', option: (name, value) => (value === undefined ? name : `"${name}": "${value}"`), tool: 'the route report' };

/** The request's own mistakes answer 400, naming the field; the rest is Parley's or the forum's state: 409. */
const TRANSCRIPT_FIELD: Partial<Record<TranscriptRefusalCode, string>> = { invalid_options: 'body.options', unknown_category: 'body.options', unknown_forum_user: 'body.as' };

/** The request's logger, a pino child in the running service: what the forum's client and caches log to. */
const logOf = (req: FastifyRequest): Logger => req.log as Logger;

export function toolRoutes(r: Routes, deps: AdminApiDeps): void {
  r.post(
    '/route',
    {
      schema: {
        summary: 'Which channels a webhook body would reach and through which rule, as `parley route --json` says; nothing is sent or queued',
        body: RouteRequest,
        response: { 200: z.union([DiscourseRouteReport, GitLabRouteReport]), 400: ValidationErrorBody },
      },
    },
    async (req, reply) => {
      const { body, ...given } = req.body;
      try {
        const options = checkRouteOptions(given, API_ASKER);
        return await routeReport({ store: deps.store, config: deps.config, log: logOf(req) }, options, body, API_ASKER);
      } catch (err) {
        if (err instanceof RouteRefusal) return invalid(reply, [{ field: `body.${err.field}`, message: err.message }]);
        throw err;
      }
    },
  );

  r.post(
    '/channels/:id/transcript',
    {
      schema: {
        summary: "Archive the channel's conversation as one forum topic now, as `parley transcript` does (or a preview link); answers once it is made",
        params: IdParams,
        body: TranscriptRequest,
        response: { 200: TranscriptMade, 201: TranscriptMade, 400: ValidationErrorBody, 404: ErrorBody, 409: ErrorBody, 502: ErrorBody },
      },
    },
    async (req, reply) => {
      const channel = await channelOr404(deps.store, req.params.id, reply);
      if (!channel) return reply;
      const log = logOf(req);
      try {
        const prepared = await prepareTranscript(
          {
            config: deps.config,
            store: deps.store,
            log,
            // The running service's forum client (within its request budget) and category cache.
            forum: deps.forum,
            categories: deps.categories,
            // The running service's own adapter: its history API, as the transcript worker reads it.
            adapter: async (platform) => {
              const adapter = deps.adapters.get(platform.profile.name);
              if (!adapter) throw new TranscriptRefusal('platform_not_configured', `${platform.profile.name} does not run in this Parley process, so its history cannot be read here.`);
              return adapter;
            },
          },
          { channel, options: req.body.options, as: req.body.as, preview: req.body.preview, requestedBy: 'admin', cmd: '/topic', asField: 'as' },
        );
        const made = await makeAdminTranscript(prepared);
        return reply.code(made.status === 'posted' ? 201 : 200).send(made);
      } catch (err) {
        if (err instanceof TranscriptRefusal) {
          const field = TRANSCRIPT_FIELD[err.code];
          return field ? invalid(reply, [{ field, message: err.message }]) : reply.code(409).send({ error: err.code, message: err.message });
        }
        // Trouble that passes: the forum or the platform did not answer, or asked to wait.
        if (err instanceof ForumUnavailableError || err instanceof ForumRateLimitedError || err instanceof PlatformTransientError || err instanceof PlatformRateLimitedError) {
          log.warn({ err: err.message, channel: channel.id }, 'admin transcript: the forum or the platform did not answer');
          return reply.code(502).send({ error: 'unavailable', message: `The transcript could not be made now: ${err.message}. Try again in a few minutes. Nothing was posted.` });
        }
        throw err;
      }
    },
  );
}
