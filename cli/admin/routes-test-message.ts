// POST /api/channels/:id/test: a notification of a forum topic sent to a channel now, through its platform's adapter,
// and what the platform answered. Nothing is queued or recorded and the channel's status stays as it is: it is a
// question put to the platform, not a delivery. Its subject and thread (`discourse:test:<uuid>`) are no real
// delivery's, so no edit, withdrawal or thread ever finds the message.
import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { categoryPath } from '../../lib/events.js';
import { ForumRequestError, PlatformPermanentError, PlatformRateLimitedError, PlatformTransientError } from '../../lib/errors.js';
import type { ForumTopic } from '../../lib/discourse/client.js';
import type { CategoryInfo } from '../../lib/events.js';
import { neutralizeMassMentions, type Notification } from '../../lib/notification.js';
import { invalid, isSourceError, notConfigured, channelOr404, notFound, sourceUnavailable, type AdminApiDeps, type Routes } from './api.js';
import { categoryIsPublic, forumOrRefuse } from './routes-sources.js';
import * as s from './schemas.js';

const TEST_EXCERPT = "This is a test message sent from Parley's admin page, to check that Parley can post in this channel. Nothing happened on the forum.";

/** The notification a test sends: the topic as a new topic is announced, saying it is a test. */
export function testNotification(topic: ForumTopic, category: CategoryInfo | null, forumUrl: string): Notification {
  const id = `discourse:test:${randomUUID()}`;
  return {
    kind: 'new_topic',
    title: neutralizeMassMentions(topic.title),
    // Discourse redirects /t/ID to the topic under its slug.
    url: `${forumUrl.replace(/\/+$/u, '')}/t/${topic.id}`,
    author: 'Parley (test message)',
    category: category ? { name: neutralizeMassMentions(category.name), path: categoryPath(category), color: category.color } : null,
    tags: topic.tags.map(neutralizeMassMentions),
    excerpt: TEST_EXCERPT,
    subject: id,
    thread: id,
  };
}

/** What the platform's refusal was, as the page shows it. Anything but a platform's error is Parley's own: logged. */
function failureOf(err: unknown, log: FastifyBaseLogger): { code: string; message: string; raw: string | null } {
  if (err instanceof PlatformPermanentError) return { code: err.reason, message: err.message, raw: err.raw ?? null };
  if (err instanceof PlatformRateLimitedError) return { code: 'rate_limited', message: err.message, raw: null };
  if (err instanceof PlatformTransientError) return { code: 'transient', message: err.message, raw: null };
  // Not an adapter's mapped error: its message was never checked for secrets, so it stays in the log.
  log.error({ err }, 'test message failed');
  return { code: 'error', message: 'Parley could not send the test message; its log says why.', raw: null };
}

export function testMessageRoutes(r: Routes, deps: AdminApiDeps): void {
  r.post(
    '/channels/:id/test',
    {
      schema: {
        summary: 'Send a notification of a forum topic to the channel now and answer what the platform said (its status is not changed)',
        params: s.IdParams,
        body: s.TestMessage,
        response: { 200: s.TestResult, 400: s.ValidationErrorBody, 404: s.ErrorBody, 409: s.ErrorBody, 502: s.ErrorBody },
      },
    },
    async (req, reply) => {
      const channel = await channelOr404(deps.store, req.params.id, reply);
      if (!channel) return reply;
      const adapter = deps.adapters.get(channel.platform);
      if (!adapter) {
        const how = deps.config.notConfigured.find((p) => p.name === channel.platform)?.howToConfigure;
        return notConfigured(reply, `${channel.platform} is not configured in this Parley, so it cannot send there${how ? `: ${how}` : '.'}`);
      }
      const forum = forumOrRefuse(deps, reply);
      if (!forum || !deps.config.discourse) return reply;

      const { topicId } = req.body;
      let topic: ForumTopic;
      try {
        topic = await forum.topic(topicId);
      } catch (err) {
        if (err instanceof ForumRequestError && err.status === 404) return notFound(reply, `forum topic ${topicId} (or Parley's API user cannot see it)`);
        if (isSourceError(err)) return sourceUnavailable(reply, 'The forum', err);
        throw err;
      }
      if (!(await categoryIsPublic(deps, topic.categoryId))) {
        const issue = { field: 'body.topicId', message: `topic ${topicId} is in a restricted category (or one Parley does not know): Parley never announces those, so it sends no test of them` };
        return invalid(reply, [issue]);
      }
      const category = topic.categoryId === null ? null : await deps.categories.resolve(topic.categoryId);
      const notification = testNotification(topic, category, deps.config.discourse.url);
      try {
        const sent = await adapter.sendNotification(channel, notification, { threadRoot: null, idempotencyKey: notification.subject });
        return { ok: true as const, messageRef: sent.messageRef };
      } catch (err) {
        return { ok: false as const, error: failureOf(err, req.log) };
      }
    },
  );
}
