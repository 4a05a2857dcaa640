// /api/sources/<source>/…: what the forum and GitLab offer the admin page's pickers (categories, tags, projects,
// labels) and its test message (the latest topics). Categories are what Parley keeps (lib/discourse/categories.ts);
// the rest is asked of the source at each request. A source not configured answers 409 naming its variables; one
// that fails, 502.
import type { FastifyReply } from 'fastify';
import type { DiscourseClient } from '../../lib/discourse/client.js';
import { categoryPath } from '../../lib/events.js';
import { ForumRequestError } from '../../lib/errors.js';
import type { GitLabClient } from '../../lib/gitlab/client.js';
import { isSourceError, notConfigured, notFound, sourceUnavailable, type AdminApiDeps, type Routes } from './api.js';
import * as s from './schemas.js';

const FORUM_NOT_CONFIGURED = 'The forum is not configured: set PARLEY_DISCOURSE_URL and PARLEY_DISCOURSE_WEBHOOK_SECRET.';
const NO_FORUM_KEY =
  'Parley has no forum API key, so it cannot ask the forum: set PARLEY_DISCOURSE_API_KEY (an admin API key; PARLEY_DISCOURSE_API_USERNAME if it is not for system).';
const GITLAB_NOT_CONFIGURED = 'GitLab is not configured: set PARLEY_GITLAB_URL, PARLEY_GITLAB_TOKEN and PARLEY_GITLAB_WEBHOOK_SECRET.';

/** The forum's client, or the 409 that says which variables it lacks (sent; null then). */
export function forumOrRefuse(deps: AdminApiDeps, reply: FastifyReply): DiscourseClient | null {
  if (deps.config.discourse && deps.forum) return deps.forum;
  void notConfigured(reply, deps.config.discourse ? NO_FORUM_KEY : FORUM_NOT_CONFIGURED);
  return null;
}

function gitlabOrRefuse(deps: AdminApiDeps, reply: FastifyReply): GitLabClient | null {
  if (deps.gitlab) return deps.gitlab;
  void notConfigured(reply, GITLAB_NOT_CONFIGURED);
  return null;
}

/**
 * Whether a forum category's topics may be shown outside the forum: not a restricted one, nor one Parley does not
 * know (unknown means restricted, as everywhere in Parley: better silent than leaking).
 */
export async function categoryIsPublic(deps: AdminApiDeps, categoryId: number | null): Promise<boolean> {
  if (categoryId === null) return true;
  const category = await deps.categories.resolve(categoryId);
  return category !== null && !category.restricted;
}

export function sourceRoutes(r: Routes, deps: AdminApiDeps): void {
  const refusals = { 409: s.ErrorBody, 502: s.ErrorBody };

  r.get(
    '/sources/discourse/topics',
    { schema: { summary: "The forum's latest topics outside restricted categories, for a test message", response: { 200: s.ForumTopicList, ...refusals } } },
    async (_req, reply) => {
      const forum = forumOrRefuse(deps, reply);
      if (!forum) return reply;
      try {
        const topics = await forum.latestTopics();
        const shown = await Promise.all(topics.map((t) => categoryIsPublic(deps, t.categoryId)));
        return topics.filter((_t, i) => shown[i]);
      } catch (err) {
        if (isSourceError(err)) return sourceUnavailable(reply, 'The forum', err);
        throw err;
      }
    },
  );

  r.get(
    '/sources/discourse/categories',
    { schema: { summary: "The forum's categories as Parley knows them, for c/ scopes", response: { 200: s.CategoryList, ...refusals } } },
    async (_req, reply) => {
      if (!deps.config.discourse) return notConfigured(reply, FORUM_NOT_CONFIGURED);
      let all = await deps.categories.all();
      // None yet (a new installation): ask the forum once, when Parley may (the cache spaces its asks out).
      if (all.length === 0 && (await deps.categories.refresh())) all = await deps.categories.all();
      return all
        .map((c) => ({ id: c.id, path: categoryPath(c), name: c.name, color: c.color, readRestricted: c.restricted }))
        .sort((a, b) => a.path.localeCompare(b.path));
    },
  );

  r.get('/sources/discourse/tags', { schema: { summary: "The forum's tags, most used first, for t/ scopes", response: { 200: s.TagList, ...refusals } } }, async (_req, reply) => {
    const forum = forumOrRefuse(deps, reply);
    if (!forum) return reply;
    try {
      return (await forum.tags()).sort((a, b) => b.count - a.count || a.name.localeCompare(b.name));
    } catch (err) {
      // A forum with tagging turned off answers 404: it has no tags.
      if (err instanceof ForumRequestError && err.status === 404) return [];
      if (isSourceError(err)) return sourceUnavailable(reply, 'The forum', err);
      throw err;
    }
  });

  r.get(
    '/sources/gitlab/projects',
    { schema: { summary: 'GitLab projects the token can see whose name or path holds the search, for p/ scopes', querystring: s.ProjectQuery, response: { 200: s.ProjectList, ...refusals } } },
    async (req, reply) => {
      const gitlab = gitlabOrRefuse(deps, reply);
      if (!gitlab) return reply;
      try {
        return (await gitlab.searchProjects(req.query.search)).map((path) => ({ path }));
      } catch (err) {
        if (isSourceError(err)) return sourceUnavailable(reply, 'GitLab', err);
        throw err;
      }
    },
  );

  r.get(
    '/sources/gitlab/labels',
    { schema: { summary: "A GitLab project's labels, its groups' included, for l/ scopes", querystring: s.LabelQuery, response: { 200: s.LabelList, 404: s.ErrorBody, ...refusals } } },
    async (req, reply) => {
      const gitlab = gitlabOrRefuse(deps, reply);
      if (!gitlab) return reply;
      try {
        return (await gitlab.labels(req.query.project)).map((l) => ({ name: l.name, color: l.color }));
      } catch (err) {
        if (err instanceof ForumRequestError && err.status === 404) return notFound(reply, `GitLab project ${req.query.project} (or Parley's token cannot see it)`);
        if (isSourceError(err)) return sourceUnavailable(reply, 'GitLab', err);
        throw err;
      }
    },
  );
}
