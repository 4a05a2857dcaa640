// GitLab's REST API (v4), as Parley uses it: projects and groups by path, users, members' access levels,
// labels, and creating an issue (as another user through Sudo) for a transcript. Every call goes through
// @gitbeaker/rest, with a one-attempt requester in place of gitbeaker's own, which retries 429 and 502 up to ten
// times on its own and then throws without the answer's headers: Parley's queue does the retrying, and needs
// the wait GitLab asked for (Retry-After, RateLimit-Reset), so failures become the forum errors of lib/errors.ts.
import { createHash } from 'node:crypto';
import type { FormattedResponse, ResponseBodyTypes } from '@gitbeaker/requester-utils';
import type { Gitlab } from '@gitbeaker/rest';
import { z } from 'zod';
import { ForumRateLimitedError, ForumRequestError, ForumUnavailableError } from '../errors.js';
import { importLazily } from '../lazy-module.js';
import type { Logger } from '../log.js';
import { silentLogger } from '../log.js';
import { namespaceChain, type GitLabVisibility } from './normalize.js';

import { GitLabAccessLevel } from './access.js';

export { GitLabAccessLevel, type GitLabAccessLevelName } from './access.js';

export type { GitLabVisibility } from './normalize.js';

export interface GitLabProject {
  id: number;
  name: string;
  /** `group/sub/project`, as GitLab spells it. */
  pathWithNamespace: string;
  visibility: GitLabVisibility;
  webUrl: string;
  namespace: { id: number; kind: 'group' | 'user'; fullPath: string };
  /** The groups the project is in, outermost first (`['group', 'group/sub']`); empty under a user's namespace. */
  groupChain: string[];
}

export interface GitLabGroup {
  id: number;
  name: string;
  fullPath: string;
  visibility: GitLabVisibility;
  webUrl: string;
  parentId: number | null;
}

export interface GitLabUser {
  id: number;
  username: string;
  name: string;
  /** `active`, `blocked`, `deactivated`… */
  state: string;
  webUrl: string;
}

export interface GitLabLabel {
  id: number;
  name: string;
  color: string;
  description: string | null;
}

export interface GitLabIssue {
  id: number;
  iid: number;
  projectId: number;
  title: string;
  description: string;
  labels: string[];
  webUrl: string;
  authorUsername: string | null;
}

export interface NewGitLabIssue {
  title: string;
  /** GitLab-flavoured Markdown. */
  description: string;
  labels?: readonly string[];
}

export interface GitLabClientOptions {
  /** The instance, e.g. https://gitlab.example.org (PARLEY_GITLAB_URL), without /api/v4. */
  baseUrl: string;
  /** PARLEY_GITLAB_TOKEN: a personal, group or project access token (an admin's, with `sudo`, for Sudo). */
  token: string;
  /** Per call, all pages included. Default 10 s. */
  timeoutMs?: number;
  /** How long project and group lookups are kept. Default 5 minutes. */
  cacheTtlMs?: number;
  log?: Logger;
  /** For tests of the cache. */
  now?: () => number;
}

// Without Retry-After or RateLimit-Reset we cannot know; a minute is the window of GitLab's rate limits.
const UNKNOWN_RETRY_MS = 60_000;
/** Markers are one word: issue search may match whole words only, and punctuation splits words. */
const MARKER = /^[A-Za-z0-9]{8,64}$/;

const visibility = z.enum(['public', 'internal', 'private']).catch('private');
const projectSchema = z.looseObject({
  id: z.number().int(),
  name: z.string(),
  path_with_namespace: z.string(),
  // Unknown means private: better silent than leaking.
  visibility: z.unknown().transform((v) => visibility.parse(v)),
  web_url: z.string(),
  namespace: z.looseObject({ id: z.number().int(), kind: z.string(), full_path: z.string() }),
});
const groupSchema = z.looseObject({
  id: z.number().int(),
  name: z.string(),
  full_path: z.string(),
  visibility: z.unknown().transform((v) => visibility.parse(v)),
  web_url: z.string(),
  parent_id: z.number().int().nullish(),
});
const userSchema = z.looseObject({ id: z.number().int(), username: z.string(), name: z.string().nullish(), state: z.string().nullish(), web_url: z.string().nullish() });
const memberSchema = z.looseObject({ id: z.number().int(), access_level: z.number().int(), state: z.string().nullish(), membership_state: z.string().nullish() });
const labelSchema = z.looseObject({ id: z.number().int(), name: z.string(), color: z.string().nullish(), description: z.string().nullish() });
const issueSchema = z.looseObject({
  id: z.number().int(),
  iid: z.number().int(),
  project_id: z.number().int(),
  title: z.string(),
  description: z.string().nullish(),
  labels: z.array(z.string()).nullish(),
  web_url: z.string(),
  author: z.looseObject({ username: z.string() }).nullish(),
});

interface Cached<T> {
  value: Promise<T>;
  expires: number;
}

/** The marker for a transcript job's key: put it in the issue's description, find the issue by it later. */
export function issueMarker(key: string): string {
  return `parley${createHash('sha256').update(key).digest('hex').slice(0, 32)}`;
}

/** gitbeaker's client, as Parley makes it. */
type GitbeakerApi = Gitlab<false>;

export class GitLabClient {
  /** gitbeaker, made at the first call: its hundreds of API classes are a few MB of heap that a process which
   *  never calls GitLab (most, most of the time) should not hold (lib/lazy-module.ts). */
  private apiLoaded: Promise<GitbeakerApi> | undefined;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly log: Logger;
  private readonly projects = new Map<string, Cached<GitLabProject | null>>();
  private readonly groups = new Map<string, Cached<GitLabGroup | null>>();

  constructor(private readonly opts: GitLabClientOptions) {
    this.ttlMs = opts.cacheTtlMs ?? 5 * 60_000;
    this.now = opts.now ?? Date.now;
    this.log = opts.log ?? silentLogger;
  }

  private api(): Promise<GitbeakerApi> {
    this.apiLoaded ??= (async () => {
      const purpose = 'GitLab (PARLEY_GITLAB_URL)';
      const [{ Gitlab }, { createRequesterFn }] = await Promise.all([
        importLazily('@gitbeaker/rest', purpose, () => import('@gitbeaker/rest')),
        importLazily('@gitbeaker/requester-utils', purpose, () => import('@gitbeaker/requester-utils')),
      ]);
      return new Gitlab({
        host: this.opts.baseUrl.replace(/\/+$/, ''),
        token: this.opts.token,
        // One attempt per request (see the top of this file): gitbeaker has no option that turns its retries off.
        requesterFn: createRequesterFn((_service, request) => Promise.resolve(request), (endpoint, request) => this.send(endpoint, request ?? {})),
        // No client-side queue either: Parley's jobs pace themselves.
        rateLimits: {},
        queryTimeout: this.opts.timeoutMs ?? 10_000,
        camelize: false,
      });
    })();
    return this.apiLoaded;
  }

  /** A project by `group/sub/project` (or id); null when there is none the token can see. Cached. */
  project(pathOrId: string | number): Promise<GitLabProject | null> {
    return this.cached(this.projects, pathOrId, async () => {
      const raw = await this.orNullOn404(async () => (await this.api()).Projects.show(pathOrId));
      if (raw === null) return null;
      const p = this.check(`project ${pathOrId}`, projectSchema, raw);
      const kind = p.namespace.kind === 'user' ? 'user' : 'group';
      return {
        id: p.id,
        name: p.name,
        pathWithNamespace: p.path_with_namespace,
        visibility: p.visibility,
        webUrl: p.web_url,
        namespace: { id: p.namespace.id, kind, fullPath: p.namespace.full_path },
        groupChain: kind === 'user' ? [] : namespaceChain(p.namespace.full_path),
      };
    });
  }

  /** A group by `group/sub` (or id); null when there is none the token can see. Cached. */
  group(pathOrId: string | number): Promise<GitLabGroup | null> {
    return this.cached(this.groups, pathOrId, async () => {
      // Without with_projects=false, older GitLab lists the group's projects in the answer.
      const raw = await this.orNullOn404(async () => (await this.api()).Groups.show(pathOrId, { withProjects: false }));
      if (raw === null) return null;
      const g = this.check(`group ${pathOrId}`, groupSchema, raw);
      return { id: g.id, name: g.name, fullPath: g.full_path, visibility: g.visibility, webUrl: g.web_url, parentId: g.parent_id ?? null };
    });
  }

  /** Whether the project is in the group or one of its subgroups (false when either is unknown). */
  async projectInGroup(projectPath: string | number, groupPath: string | number): Promise<boolean> {
    const [project, group] = await Promise.all([this.project(projectPath), this.group(groupPath)]);
    if (!project || !group) return false;
    const wanted = group.fullPath.toLowerCase();
    return project.groupChain.some((g) => g.toLowerCase() === wanted);
  }

  /**
   * Paths of projects the token can see whose name or path holds `term` (GitLab's project search), most recently
   * active first: the hints for a path that does not exist.
   */
  async searchProjects(term: string): Promise<string[]> {
    if (term.trim().length < 2) return []; // GitLab refuses searches shorter than that
    const raw = await (await this.api()).Projects.all({ search: term, simple: true, orderBy: 'last_activity_at', perPage: 20, maxPages: 1 } as Record<string, unknown>);
    return this.check(`projects matching ${term}`, z.array(z.object({ path_with_namespace: z.string() })), raw).map((p) => p.path_with_namespace);
  }

  /** Forgets cached lookups: of one project or group (by path or id), or all when called without one. */
  invalidate(pathOrId?: string | number): void {
    if (pathOrId === undefined) {
      this.projects.clear();
      this.groups.clear();
      return;
    }
    const key = cacheKey(pathOrId);
    for (const cache of [this.projects, this.groups] as Map<string, Cached<{ id: number } | null>>[]) {
      const entry = cache.get(key);
      cache.delete(key);
      // The same project is cached under its path and its id: drop both.
      void entry?.value.then(
        (v) => {
          if (!v) return;
          for (const [k, e] of cache) if (e === entry || k === cacheKey(v.id)) cache.delete(k);
        },
        () => undefined,
      );
    }
  }

  /** A user by username (exact, as GitLab compares: case-insensitively); null when there is none. */
  async user(username: string): Promise<GitLabUser | null> {
    const raw = await (await this.api()).Users.all({ username, perPage: 20, maxPages: 1 } as Record<string, unknown>);
    const users = this.check(`users ${username}`, z.array(userSchema), raw);
    const u = users.find((x) => x.username.toLowerCase() === username.toLowerCase());
    return u ? { id: u.id, username: u.username, name: u.name ?? u.username, state: u.state ?? 'active', webUrl: u.web_url ?? '' } : null;
  }

  /** The user the token belongs to (a health check: a wrong token fails here with 401). */
  async me(): Promise<GitLabUser> {
    const u = this.check('current user', userSchema, await (await this.api()).Users.showCurrentUser());
    return { id: u.id, username: u.username, name: u.name ?? u.username, state: u.state ?? 'active', webUrl: u.web_url ?? '' };
  }

  /**
   * The user's effective access level in the project, memberships inherited from its groups included (the
   * highest wins, as GitLab's members/all answers). 0 for an unknown user, a non-member, a blocked user or a
   * pending membership. A ForumRequestError 404 when the project itself cannot be seen.
   */
  async accessLevel(projectPath: string | number, username: string): Promise<number> {
    const [project, user] = await Promise.all([this.project(projectPath), this.user(username)]);
    if (!project) throw new ForumRequestError(404, `gitlab: no project ${projectPath} (or the token cannot see it)`);
    if (!user || user.state !== 'active') return GitLabAccessLevel.None;
    const raw = await this.orNullOn404(async () => (await this.api()).ProjectMembers.show(project.id, user.id, { includeInherited: true }));
    if (raw === null) return GitLabAccessLevel.None;
    const m = this.check(`member ${username} of ${projectPath}`, memberSchema, raw);
    if (m.membership_state && m.membership_state !== 'active') return GitLabAccessLevel.None;
    return m.access_level;
  }

  /** The project's labels, its groups' included. */
  async labels(projectPath: string | number): Promise<GitLabLabel[]> {
    const raw = await (await this.api()).ProjectLabels.all(projectPath, { includeAncestorGroups: true, perPage: 100 } as Record<string, unknown>);
    return this.check(`labels of ${projectPath}`, z.array(labelSchema), raw).map((l) => ({ id: l.id, name: l.name, color: l.color ?? '', description: l.description ?? null }));
  }

  /**
   * Creates an issue; with `sudo`, as that GitLab user (the token must be an admin's with the `sudo` scope, else
   * GitLab answers 403, a ForumRequestError). Labels that do not exist yet are created by GitLab.
   */
  async createIssue(projectPath: string | number, issue: NewGitLabIssue, opts: { sudo?: string } = {}): Promise<GitLabIssue> {
    const options: Record<string, unknown> = { description: issue.description };
    if (issue.labels && issue.labels.length > 0) options.labels = issue.labels.join(',');
    if (opts.sudo !== undefined) options.sudo = opts.sudo;
    const raw = await (await this.api()).Issues.create(projectPath, issue.title, options);
    const created = toIssue(this.check(`new issue in ${projectPath}`, issueSchema, raw));
    this.log.info({ project: String(projectPath), iid: created.iid, sudo: opts.sudo }, 'gitlab issue created');
    return created;
  }

  /**
   * The newest issue of the project whose description holds `marker` (see issueMarker), or null: how a retried
   * transcript job finds the issue its first attempt created.
   */
  async findIssueByMarker(projectPath: string | number, marker: string): Promise<GitLabIssue | null> {
    if (!MARKER.test(marker)) throw new RangeError(`marker ${JSON.stringify(marker)} must be one word of 8 to 64 letters and digits`);
    const raw = await (await this.api()).Issues.all({
      projectId: projectPath,
      search: marker,
      in: 'description',
      scope: 'all',
      orderBy: 'created_at',
      sort: 'desc',
      perPage: 20,
      maxPages: 1,
    } as Parameters<GitbeakerApi['Issues']['all']>[0]);
    const issues = this.check(`issues of ${projectPath}`, z.array(issueSchema), raw);
    // Search matches words loosely: the marker itself must be in the description.
    const found = issues.find((i) => (i.description ?? '').includes(marker));
    return found ? toIssue(found) : null;
  }

  // -----------------------------------------------------------------------------------------------------------

  private cached<T extends { id: number } | null>(cache: Map<string, Cached<T>>, pathOrId: string | number, load: () => Promise<T>): Promise<T> {
    const key = cacheKey(pathOrId);
    const hit = cache.get(key);
    if (hit && hit.expires > this.now()) return hit.value;
    const entry: Cached<T> = { value: load(), expires: this.now() + this.ttlMs };
    cache.set(key, entry);
    entry.value.then(
      (v) => {
        // Misses are not kept: a project created a moment later must be found.
        if (v === null) cache.delete(key);
        else cache.set(cacheKey(v.id), entry);
      },
      () => cache.delete(key),
    );
    return entry.value;
  }

  private async orNullOn404<T>(call: () => Promise<T>): Promise<T | null> {
    try {
      return await call();
    } catch (err) {
      if (err instanceof ForumRequestError && err.status === 404) return null;
      throw err;
    }
  }

  /** gitbeaker's request handler, one attempt: the answer, or the error Parley's queue understands. */
  private async send(endpoint: string, request: Record<string, unknown>): Promise<FormattedResponse> {
    const { prefixUrl, searchParams, method, headers, body, signal } = request as {
      prefixUrl?: string;
      searchParams?: string;
      method?: string;
      headers?: Record<string, string>;
      body?: RequestInit['body'];
      signal?: AbortSignal;
    };
    const url = new URL(endpoint, prefixUrl && !prefixUrl.endsWith('/') ? `${prefixUrl}/` : prefixUrl);
    url.search = searchParams ?? '';
    const what = `${method ?? 'GET'} ${url.pathname.replace(/^.*?\/api\/v4\//, '')}`;
    let res: Response;
    try {
      res = await fetch(url, { method: method ?? 'GET', headers, body: body ?? null, signal: signal ?? null, redirect: 'manual' });
    } catch (err) {
      throw new ForumUnavailableError(this.redact(`gitlab unreachable (${what}): ${describeFetchError(err)}`));
    }
    this.log.debug({ request: what, status: res.status }, 'gitlab request');
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      throw new ForumUnavailableError(this.redact(`gitlab stopped answering (${what}): ${describeFetchError(err)}`));
    }
    if (res.status === 429) throw new ForumRateLimitedError(retryAfterMs(res.headers));
    if (res.status >= 500) throw new ForumUnavailableError(`gitlab answered ${res.status} to ${what}`);
    if (res.status >= 300) {
      // A redirect is not followed: fetch would carry the token along to wherever it points.
      const reason = res.status < 400 ? `redirected to ${res.headers.get('location') ?? 'nowhere'}: set PARLEY_GITLAB_URL to GitLab's final address` : gitlabMessage(text) || res.statusText || 'no reason given';
      throw new ForumRequestError(res.status, this.redact(`gitlab refused ${what} (${res.status}): ${reason}`));
    }
    const out = { headers: Object.fromEntries(res.headers.entries()), status: res.status };
    if (res.status === 204 || text.trim() === '') return { ...out, body: null };
    try {
      return { ...out, body: JSON.parse(text) as ResponseBodyTypes };
    } catch {
      // An HTML page with a 200 is what a proxy or a maintenance page looks like: not GitLab itself.
      throw new ForumUnavailableError(`gitlab answered ${what} with something that is not JSON`);
    }
  }

  private redact(message: string): string {
    return this.opts.token.length > 0 ? message.split(this.opts.token).join('[token]') : message;
  }

  private check<S extends z.ZodType>(what: string, schema: S, data: unknown): z.output<S> {
    const parsed = schema.safeParse(data);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0];
    throw new ForumRequestError(200, `unexpected answer from gitlab (${what}): ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'wrong shape'}`);
  }
}

function toIssue(i: z.output<typeof issueSchema>): GitLabIssue {
  return {
    id: i.id,
    iid: i.iid,
    projectId: i.project_id,
    title: i.title,
    description: i.description ?? '',
    labels: i.labels ?? [],
    webUrl: i.web_url,
    authorUsername: i.author?.username ?? null,
  };
}

/** Paths are compared as GitLab does, case-insensitively; ids as numbers. */
function cacheKey(pathOrId: string | number): string {
  const s = String(pathOrId).trim();
  return /^\d+$/.test(s) ? `#${Number(s)}` : s.replace(/^\/+|\/+$/g, '').toLowerCase();
}

/** Retry-After (seconds or an HTTP date), else RateLimit-Reset (a Unix time), else RateLimit-ResetTime (a date). */
export function retryAfterMs(headers: Headers, now = Date.now()): number {
  const retryAfter = headers.get('retry-after')?.trim();
  if (retryAfter) {
    if (/^\d+(\.\d+)?$/.test(retryAfter)) return Math.ceil(Number(retryAfter) * 1000);
    const at = Date.parse(retryAfter);
    if (!Number.isNaN(at)) return Math.max(0, at - now);
  }
  const reset = headers.get('ratelimit-reset')?.trim();
  if (reset && /^\d+$/.test(reset)) return Math.max(0, Number(reset) * 1000 - now);
  const resetTime = Date.parse(headers.get('ratelimit-resettime') ?? '');
  if (!Number.isNaN(resetTime)) return Math.max(0, resetTime - now);
  return UNKNOWN_RETRY_MS;
}

/** GitLab's error bodies: `{"message": "404 Project Not Found"}`, `{"message": {"title": ["can't be blank"]}}`, `{"error": "…"}`. */
function gitlabMessage(text: string): string {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return text.trim().slice(0, 200);
  }
  const { message, error } = (body ?? {}) as { message?: unknown; error?: unknown };
  for (const m of [message, error]) {
    if (typeof m === 'string') return m;
    if (m && typeof m === 'object') {
      return Object.entries(m as Record<string, unknown>)
        .map(([k, v]) => `${k} ${Array.isArray(v) ? v.join(', ') : String(v)}`)
        .join('; ');
    }
  }
  return '';
}

function describeFetchError(err: unknown): string {
  if (err instanceof Error) {
    if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'timed out';
    const cause = (err as { cause?: { code?: unknown } }).cause;
    if (cause && typeof cause.code === 'string') return cause.code;
    return err.message;
  }
  return String(err);
}
