// A small stateful GitLab (REST API v4) for tests, driven by the real client: give `fake.url` to
// lib/gitlab/client.ts (or gitbeaker) as the host and `fake.token` as the token.
//
// State: users (admins among them, some with tokens), groups with subgroups, projects in groups or in users'
// namespaces, memberships of projects and groups with access levels, labels, issues (iid per project). Who may see
// what follows visibility: public to anyone, internal to any signed-in user, private to members (memberships of
// the project's groups count) and admins; what cannot be seen is a 404, as GitLab answers. `PRIVATE-TOKEN` (or
// `Authorization: Bearer`) is checked: a wrong token is a 401 `{"message":"401 Unauthorized"}`. `Sudo` acts as
// another user, for an admin's token only (403 otherwise). Lists are paginated (page, per_page, the X-* headers
// and Link, as the REST API's pagination docs describe).
//
// Every request is checked against ENDPOINTS below (method, path, its parameters and their types, each endpoint
// with the documentation page it follows): an unknown path, an unknown or mistyped parameter, a missing required
// one, a `:id` path that is not URL-encoded land in `violations`, which tests expect to stay empty.
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';

export type Visibility = 'public' | 'internal' | 'private';

export interface FakeGitLabUser {
  id: number;
  username: string;
  name: string;
  admin: boolean;
  state: 'active' | 'blocked' | 'deactivated';
}

export interface FakeGitLabGroup {
  id: number;
  name: string;
  path: string;
  fullPath: string;
  parentId: number | null;
  visibility: Visibility;
}

export interface FakeGitLabProject {
  id: number;
  name: string;
  path: string;
  /** `group/sub/project`. */
  fullPath: string;
  namespace: { id: number; kind: 'group' | 'user'; fullPath: string };
  visibility: Visibility;
}

export interface FakeGitLabIssue {
  id: number;
  iid: number;
  projectId: number;
  title: string;
  description: string;
  labels: string[];
  authorUsername: string;
  confidential: boolean;
  createdAt: string;
}

export interface GitLabViolation {
  /** `GET /projects/:id`, or the raw request when no endpoint matched. */
  route: string;
  kind: 'unknown_path' | 'unknown_param' | 'bad_param' | 'missing_param' | 'bad_body' | 'bad_header';
  message: string;
}

export interface RecordedGitLabRequest {
  method: string;
  /** Decoded, without /api/v4 and the query: `/projects/group/project`. */
  path: string;
  /** The endpoint's template, `GET /projects/:id`, when one matched. */
  route: string | null;
  query: Record<string, string | string[]>;
  body: unknown;
  sudo: string | undefined;
  /** How Sudo came: the `Sudo` header or the `sudo` query parameter (both are documented). */
  sudoVia: 'header' | 'query' | undefined;
  /** Whose token it was (null: none or a wrong one). */
  tokenUser: string | null;
  status?: number;
  at: number;
}

export interface GitLabFault {
  method?: string;
  /** The decoded path without /api/v4 (`/projects/group/project`), the template (`/projects/:id`), or a RegExp on the decoded path. */
  path?: string | RegExp;
  times?: number;
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Carry the request out first, then answer with the fault: a proxy timing out after GitLab acted. */
  afterHandling?: boolean;
}

export interface FakeGitLabOptions {
  /** The token of the bot user. Default `glpat-parley-test-token`. */
  token?: string;
  /** Default `parley-bot`. */
  botUsername?: string;
  /** Whether the bot is an admin (Sudo allowed). Default true. */
  admin?: boolean;
}

export interface FakeGitLab {
  url: string;
  token: string;
  botUsername: string;
  violations: GitLabViolation[];
  requests: RecordedGitLabRequest[];

  addUser(input: { username: string; name?: string; admin?: boolean; state?: FakeGitLabUser['state']; token?: string }): FakeGitLabUser;
  /** Creates the parents that are missing too (with the same visibility). */
  addGroup(fullPath: string, opts?: { visibility?: Visibility; name?: string }): FakeGitLabGroup;
  /** Under a user's namespace when the first segment is a username and no group has that path; missing groups are created. */
  addProject(fullPath: string, opts?: { visibility?: Visibility; name?: string }): FakeGitLabProject;
  /** A membership of a project or group (by full path), replacing an earlier one there. */
  addMember(projectOrGroup: string, username: string, accessLevel: number, opts?: { state?: 'active' | 'awaiting' }): void;
  addLabel(projectPath: string, name: string, color?: string): void;
  addIssue(projectPath: string, input: { title: string; description?: string; author?: string; labels?: string[]; confidential?: boolean }): FakeGitLabIssue;
  issues(projectPath: string): FakeGitLabIssue[];
  /** Requests of one endpoint (`POST /projects/:id/issues`). */
  calls(route: string): RecordedGitLabRequest[];

  fail(fault: GitLabFault): void;
  /**
   * Answers the next `times` matching requests as GitLab's rate limiter does: 429, `Retry later`, RateLimit-* headers
   * (RateLimit-Reset a Unix time `resetInS` from now) and Retry-After, unless `retryAfter: false` (older GitLab).
   */
  rateLimit(opts: { method?: string; path?: string | RegExp; resetInS: number; times?: number; retryAfter?: boolean }): void;
  close(): Promise<void>;
}

type ParamType = 'string' | 'integer' | 'boolean' | 'string|string[]' | 'integer[]' | `enum:${string}`;

interface Endpoint {
  method: 'GET' | 'POST';
  /** Segments after /api/v4; `:name` is a path parameter. */
  template: string;
  /** The docs.gitlab.com page this endpoint follows. */
  doc: string;
  path?: Record<string, ParamType>;
  params: Record<string, ParamType>;
  required?: string[];
  paginated?: boolean;
}

const PAGINATION: Record<string, ParamType> = { page: 'integer', per_page: 'integer' };
const ID: ParamType = 'string'; // an integer id or a URL-encoded full path

/** The endpoints the fake implements, each as its documentation page describes it. */
export const ENDPOINTS: Endpoint[] = [
  {
    method: 'GET',
    template: '/user',
    doc: 'https://docs.gitlab.com/api/users/#get-the-current-user',
    params: {},
  },
  {
    method: 'GET',
    template: '/users',
    doc: 'https://docs.gitlab.com/api/users/#list-users',
    params: { username: 'string', search: 'string', active: 'boolean', blocked: 'boolean', external: 'boolean', order_by: 'enum:id,name,username,created_at,updated_at', sort: 'enum:asc,desc', ...PAGINATION },
    paginated: true,
  },
  {
    method: 'GET',
    template: '/projects',
    doc: 'https://docs.gitlab.com/api/projects/#list-all-projects',
    params: {
      search: 'string',
      simple: 'boolean',
      membership: 'boolean',
      visibility: 'enum:public,internal,private',
      order_by: 'enum:id,name,path,created_at,updated_at,star_count,last_activity_at,similarity',
      sort: 'enum:asc,desc',
      ...PAGINATION,
    },
    paginated: true,
  },
  {
    method: 'GET',
    template: '/projects/:id',
    doc: 'https://docs.gitlab.com/api/projects/#get-a-single-project',
    path: { id: ID },
    params: { license: 'boolean', statistics: 'boolean', with_custom_attributes: 'boolean' },
  },
  {
    method: 'GET',
    template: '/groups/:id',
    doc: 'https://docs.gitlab.com/api/groups/#get-a-single-group',
    path: { id: ID },
    params: { with_custom_attributes: 'boolean', with_projects: 'boolean' },
  },
  {
    method: 'GET',
    template: '/projects/:id/members/all/:user_id',
    doc: 'https://docs.gitlab.com/api/members/#get-a-member-of-a-group-or-project-including-inherited-and-invited-members',
    path: { id: ID, user_id: 'integer' },
    params: {},
  },
  {
    method: 'GET',
    template: '/projects/:id/members/:user_id',
    doc: 'https://docs.gitlab.com/api/members/#get-a-member-of-a-group-or-project',
    path: { id: ID, user_id: 'integer' },
    params: {},
  },
  {
    method: 'GET',
    template: '/projects/:id/members/all',
    doc: 'https://docs.gitlab.com/api/members/#list-all-members-of-a-group-or-project-including-inherited-and-invited-members',
    path: { id: ID },
    params: { query: 'string', user_ids: 'integer[]', state: 'enum:awaiting,active', ...PAGINATION },
    paginated: true,
  },
  {
    method: 'GET',
    template: '/groups/:id/members/all/:user_id',
    doc: 'https://docs.gitlab.com/api/members/#get-a-member-of-a-group-or-project-including-inherited-and-invited-members',
    path: { id: ID, user_id: 'integer' },
    params: {},
  },
  {
    method: 'GET',
    template: '/projects/:id/labels',
    doc: 'https://docs.gitlab.com/api/labels/#list-labels',
    path: { id: ID },
    params: { with_counts: 'boolean', include_ancestor_groups: 'boolean', search: 'string', archived: 'boolean', ...PAGINATION },
    paginated: true,
  },
  {
    method: 'GET',
    template: '/projects/:id/issues',
    doc: 'https://docs.gitlab.com/api/issues/#list-project-issues',
    path: { id: ID },
    params: {
      search: 'string',
      in: 'enum:title,description,title|description,description|title',
      state: 'enum:opened,closed,all',
      scope: 'enum:created_by_me,assigned_to_me,all',
      labels: 'string',
      author_username: 'string',
      confidential: 'boolean',
      order_by: 'enum:created_at,updated_at,priority,due_date,relative_position,label_priority,milestone_due,popularity,weight,title',
      sort: 'enum:asc,desc',
      iids: 'integer[]',
      ...PAGINATION,
    },
    paginated: true,
  },
  {
    method: 'GET',
    template: '/projects/:id/issues/:issue_iid',
    doc: 'https://docs.gitlab.com/api/issues/#single-project-issue',
    path: { id: ID, issue_iid: 'integer' },
    params: {},
  },
  {
    method: 'POST',
    template: '/projects/:id/issues',
    doc: 'https://docs.gitlab.com/api/issues/#new-issue',
    path: { id: ID },
    params: {
      title: 'string',
      description: 'string',
      labels: 'string|string[]',
      confidential: 'boolean',
      assignee_ids: 'integer[]',
      milestone_id: 'integer',
      due_date: 'string',
      issue_type: 'enum:issue,incident,test_case,task',
      created_at: 'string',
    },
    required: ['title'],
  },
];

interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

const msg = (status: number, message: string): Answer => ({ status, body: { message } });
const ok = (body: unknown, status = 200): Answer => ({ status, body });

function typeProblem(type: ParamType, value: unknown): string | null {
  const values = Array.isArray(value) ? value : [value];
  const one = (t: string, v: unknown): boolean => {
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') return false;
    const s = String(v);
    if (t === 'string') return typeof v === 'string';
    if (t === 'integer') return /^-?\d+$/.test(s);
    if (t === 'boolean') return s === 'true' || s === 'false';
    return false;
  };
  if (type === 'string|string[]') return values.every((v) => typeof v === 'string') ? null : 'a string or a list of strings';
  if (type === 'integer[]') return values.every((v) => one('integer', v)) ? null : 'a list of integers';
  if (Array.isArray(value)) return `one ${type.startsWith('enum:') ? 'value' : type}, not a list`;
  if (type.startsWith('enum:')) {
    const allowed = type.slice(5).split(',').map((a) => a.replace('|', ','));
    return allowed.includes(String(value)) ? null : `one of ${allowed.join(' / ')}`;
  }
  return one(type, value) ? null : `a ${type}`;
}

export async function startFakeGitLab(opts: FakeGitLabOptions = {}): Promise<FakeGitLab> {
  const token = opts.token ?? 'glpat-parley-test-token';
  const botUsername = opts.botUsername ?? 'parley-bot';
  const violations: GitLabViolation[] = [];
  const requests: RecordedGitLabRequest[] = [];
  const faults: (GitLabFault & { left: number })[] = [];
  const users: FakeGitLabUser[] = [];
  const tokens = new Map<string, FakeGitLabUser>();
  const groups: FakeGitLabGroup[] = [];
  const projects: FakeGitLabProject[] = [];
  /** `project:<id>` or `group:<id>` → user id → membership. */
  const members = new Map<string, Map<number, { level: number; state: 'active' | 'awaiting' }>>();
  const labels = new Map<number, { id: number; name: string; color: string; description: string | null }[]>();
  const issues: FakeGitLabIssue[] = [];
  let nextId = 1;
  let url = '';

  // -----------------------------------------------------------------------------------------------------------
  // The world.

  const lower = (s: string): string => s.toLowerCase();
  const userNamed = (username: string): FakeGitLabUser | undefined => users.find((u) => lower(u.username) === lower(username));
  const groupAt = (fullPath: string): FakeGitLabGroup | undefined => groups.find((g) => lower(g.fullPath) === lower(fullPath));
  const projectAt = (fullPath: string): FakeGitLabProject | undefined => projects.find((p) => lower(p.fullPath) === lower(fullPath));
  const mustProject = (fullPath: string): FakeGitLabProject => {
    const p = projectAt(fullPath);
    if (!p) throw new Error(`fake-gitlab: no project ${fullPath}`);
    return p;
  };

  const addUser: FakeGitLab['addUser'] = (input) => {
    if (userNamed(input.username)) throw new Error(`fake-gitlab: user ${input.username} exists`);
    const user: FakeGitLabUser = { id: nextId++, username: input.username, name: input.name ?? input.username, admin: input.admin ?? false, state: input.state ?? 'active' };
    users.push(user);
    if (input.token !== undefined) tokens.set(input.token, user);
    return user;
  };

  const addGroup: FakeGitLab['addGroup'] = (fullPath, o = {}) => {
    const existing = groupAt(fullPath);
    if (existing) return existing;
    const segments = fullPath.split('/');
    const parent = segments.length > 1 ? addGroup(segments.slice(0, -1).join('/'), { ...(o.visibility ? { visibility: o.visibility } : {}) }) : null;
    const path = segments.at(-1)!;
    const group: FakeGitLabGroup = { id: nextId++, name: o.name ?? path, path, fullPath, parentId: parent?.id ?? null, visibility: o.visibility ?? 'public' };
    groups.push(group);
    return group;
  };

  const addProject: FakeGitLab['addProject'] = (fullPath, o = {}) => {
    if (projectAt(fullPath)) throw new Error(`fake-gitlab: project ${fullPath} exists`);
    const segments = fullPath.split('/');
    if (segments.length < 2) throw new Error(`fake-gitlab: a project path is namespace/project, not ${fullPath}`);
    const nsPath = segments.slice(0, -1).join('/');
    const owner = segments.length === 2 && !groupAt(nsPath) ? userNamed(nsPath) : undefined;
    const namespace = owner ? { id: owner.id, kind: 'user' as const, fullPath: owner.username } : { id: addGroup(nsPath, o.visibility ? { visibility: o.visibility } : {}).id, kind: 'group' as const, fullPath: nsPath };
    const path = segments.at(-1)!;
    const project: FakeGitLabProject = { id: nextId++, name: o.name ?? path, path, fullPath, namespace, visibility: o.visibility ?? 'public' };
    projects.push(project);
    if (owner) memberships(`project:${project.id}`).set(owner.id, { level: 50, state: 'active' });
    return project;
  };

  const memberships = (key: string): Map<number, { level: number; state: 'active' | 'awaiting' }> => {
    let m = members.get(key);
    if (!m) {
      m = new Map<number, { level: number; state: 'active' | 'awaiting' }>();
      members.set(key, m);
    }
    return m;
  };

  const addMember: FakeGitLab['addMember'] = (target, username, accessLevel, o = {}) => {
    const user = userNamed(username);
    if (!user) throw new Error(`fake-gitlab: no user ${username}`);
    const project = projectAt(target);
    const group = project ? undefined : groupAt(target);
    if (!project && !group) throw new Error(`fake-gitlab: no project or group ${target}`);
    memberships(project ? `project:${project.id}` : `group:${group!.id}`).set(user.id, { level: accessLevel, state: o.state ?? 'active' });
  };

  /** The group and its ancestors, innermost first. */
  const groupChain = (groupId: number | null): FakeGitLabGroup[] => {
    const chain: FakeGitLabGroup[] = [];
    for (let g = groups.find((x) => x.id === groupId); g; g = groups.find((x) => x.id === g.parentId)) chain.push(g);
    return chain;
  };
  const projectGroups = (p: FakeGitLabProject): FakeGitLabGroup[] => (p.namespace.kind === 'group' ? groupChain(p.namespace.id) : []);

  /** The effective membership: the highest of the project's own and its groups' (members/all). */
  const effective = (keys: string[], userId: number): { level: number; state: 'active' | 'awaiting' } | null => {
    let best: { level: number; state: 'active' | 'awaiting' } | null = null;
    for (const key of keys) {
      const m = members.get(key)?.get(userId);
      if (m && (!best || m.level > best.level)) best = m;
    }
    return best;
  };
  const projectKeys = (p: FakeGitLabProject): string[] => [`project:${p.id}`, ...projectGroups(p).map((g) => `group:${g.id}`)];
  const groupKeys = (g: FakeGitLabGroup): string[] => groupChain(g.id).map((x) => `group:${x.id}`);

  const canSee = (visibility: Visibility, keys: string[], actor: FakeGitLabUser | null): boolean => {
    if (visibility === 'public') return true;
    if (!actor) return false;
    if (actor.admin) return true;
    if (visibility === 'internal') return true;
    const m = effective(keys, actor.id);
    return m !== null && m.state === 'active' && m.level >= 10;
  };

  const addLabel = (projectId: number, name: string, color = '#6699cc'): void => {
    const list = labels.get(projectId) ?? [];
    if (!list.some((l) => lower(l.name) === lower(name))) list.push({ id: nextId++, name, color, description: null });
    labels.set(projectId, list);
  };

  const createIssue = (project: FakeGitLabProject, input: { title: string; description?: string; author: string; labels?: string[]; confidential?: boolean }): FakeGitLabIssue => {
    const iid = issues.filter((i) => i.projectId === project.id).length + 1;
    const names = [...new Set((input.labels ?? []).map((l) => l.trim()).filter((l) => l !== ''))];
    for (const l of names) addLabel(project.id, l);
    const issue: FakeGitLabIssue = {
      id: nextId++,
      iid,
      projectId: project.id,
      title: input.title,
      description: input.description ?? '',
      labels: names,
      authorUsername: input.author,
      confidential: input.confidential ?? false,
      createdAt: new Date(Date.now() + iid).toISOString(),
    };
    issues.push(issue);
    return issue;
  };

  addUser({ username: botUsername, name: 'Parley', admin: opts.admin ?? true, token });

  // -----------------------------------------------------------------------------------------------------------
  // Answers as GitLab shapes them.

  const userView = (u: FakeGitLabUser): Record<string, unknown> => ({ id: u.id, username: u.username, name: u.name, state: u.state, locked: false, avatar_url: null, web_url: `${url}/${u.username}` });
  const namespaceView = (p: FakeGitLabProject): Record<string, unknown> => {
    const g = p.namespace.kind === 'group' ? groups.find((x) => x.id === p.namespace.id) : undefined;
    return {
      id: p.namespace.id,
      name: g?.name ?? p.namespace.fullPath,
      path: g?.path ?? p.namespace.fullPath,
      kind: p.namespace.kind,
      full_path: p.namespace.fullPath,
      parent_id: g?.parentId ?? null,
      avatar_url: null,
      web_url: `${url}/${p.namespace.kind === 'group' ? 'groups/' : ''}${p.namespace.fullPath}`,
    };
  };
  const projectView = (p: FakeGitLabProject): Record<string, unknown> => ({
    id: p.id,
    name: p.name,
    name_with_namespace: [...projectGroups(p).reverse().map((g) => g.name), p.name].join(' / '),
    path: p.path,
    path_with_namespace: p.fullPath,
    visibility: p.visibility,
    web_url: `${url}/${p.fullPath}`,
    namespace: namespaceView(p),
    issues_enabled: true,
    archived: false,
  });
  const groupView = (g: FakeGitLabGroup): Record<string, unknown> => ({ id: g.id, name: g.name, path: g.path, full_name: groupChain(g.id).reverse().map((x) => x.name).join(' / '), full_path: g.fullPath, parent_id: g.parentId, visibility: g.visibility, web_url: `${url}/groups/${g.fullPath}` });
  const memberView = (u: FakeGitLabUser, m: { level: number; state: string }): Record<string, unknown> => ({ ...userView(u), access_level: m.level, membership_state: m.state, expires_at: null, created_at: '2026-01-01T00:00:00.000Z' });
  const issueView = (i: FakeGitLabIssue): Record<string, unknown> => {
    const p = projects.find((x) => x.id === i.projectId)!;
    const author = userNamed(i.authorUsername);
    return {
      id: i.id,
      iid: i.iid,
      project_id: i.projectId,
      title: i.title,
      description: i.description,
      state: 'opened',
      labels: i.labels,
      confidential: i.confidential,
      created_at: i.createdAt,
      updated_at: i.createdAt,
      author: author ? userView(author) : null,
      web_url: `${url}/${p.fullPath}/-/issues/${i.iid}`,
    };
  };

  // -----------------------------------------------------------------------------------------------------------
  // Endpoints.

  type Ctx = { actor: FakeGitLabUser | null; params: Record<string, string>; query: URLSearchParams; body: Record<string, unknown> };

  const findProject = (id: string, actor: FakeGitLabUser | null): FakeGitLabProject | Answer => {
    const p = /^\d+$/.test(id) ? projects.find((x) => x.id === Number(id)) : projectAt(id);
    return p && canSee(p.visibility, projectKeys(p), actor) ? p : msg(404, '404 Project Not Found');
  };
  const findGroup = (id: string, actor: FakeGitLabUser | null): FakeGitLabGroup | Answer => {
    const g = /^\d+$/.test(id) ? groups.find((x) => x.id === Number(id)) : groupAt(id);
    return g && canSee(g.visibility, groupKeys(g), actor) ? g : msg(404, '404 Group Not Found');
  };
  const isAnswer = (x: unknown): x is Answer => typeof x === 'object' && x !== null && 'status' in x && 'body' in x;

  const memberAnswer = (keys: string[], userId: string): Answer => {
    const u = users.find((x) => x.id === Number(userId));
    const m = u ? effective(keys, u.id) : null;
    return u && m ? ok(memberView(u, m)) : msg(404, '404 Not found');
  };

  const handlers: Record<string, (c: Ctx) => Answer | unknown[]> = {
    'GET /user': ({ actor }) => (actor ? ok({ ...userView(actor), is_admin: actor.admin }) : msg(401, '401 Unauthorized')),
    'GET /users': ({ query }) => {
      const username = query.get('username');
      const search = query.get('search');
      return users.filter((u) => (username === null || lower(u.username) === lower(username)) && (search === null || lower(u.username).includes(lower(search)) || lower(u.name).includes(lower(search)))).map(userView);
    },
    // `search` matches the name or path, as GitLab's does (3 characters or more there; the fake takes any).
    'GET /projects': ({ actor, query }) => {
      const search = query.get('search');
      return projects
        .filter((p) => canSee(p.visibility, projectKeys(p), actor) && (search === null || lower(p.fullPath).includes(lower(search)) || lower(p.name).includes(lower(search))))
        .map(projectView);
    },
    'GET /projects/:id': ({ params, actor }) => {
      const p = findProject(params.id!, actor);
      return isAnswer(p) ? p : ok(projectView(p));
    },
    'GET /groups/:id': ({ params, actor }) => {
      const g = findGroup(params.id!, actor);
      return isAnswer(g) ? g : ok(groupView(g));
    },
    'GET /projects/:id/members/all/:user_id': ({ params, actor }) => {
      const p = findProject(params.id!, actor);
      return isAnswer(p) ? p : memberAnswer(projectKeys(p), params.user_id!);
    },
    'GET /projects/:id/members/:user_id': ({ params, actor }) => {
      const p = findProject(params.id!, actor);
      return isAnswer(p) ? p : memberAnswer([`project:${p.id}`], params.user_id!);
    },
    'GET /projects/:id/members/all': ({ params, actor, query }) => {
      const p = findProject(params.id!, actor);
      if (isAnswer(p)) return p;
      const ids = new Set(users.map((u) => u.id).filter((id) => effective(projectKeys(p), id)));
      const text = query.get('query');
      return users.filter((u) => ids.has(u.id) && (text === null || lower(u.username).includes(lower(text)))).map((u) => memberView(u, effective(projectKeys(p), u.id)!));
    },
    'GET /groups/:id/members/all/:user_id': ({ params, actor }) => {
      const g = findGroup(params.id!, actor);
      return isAnswer(g) ? g : memberAnswer(groupKeys(g), params.user_id!);
    },
    'GET /projects/:id/labels': ({ params, actor }) => {
      const p = findProject(params.id!, actor);
      return isAnswer(p) ? p : (labels.get(p.id) ?? []).map((l) => ({ ...l, text_color: '#FFFFFF', subscribed: false, priority: null, is_project_label: true }));
    },
    'GET /projects/:id/issues': ({ params, actor, query }) => {
      const p = findProject(params.id!, actor);
      if (isAnswer(p)) return p;
      const fields = (query.get('in') ?? 'title,description').split(',');
      // Each word of 3 characters or more must appear (case-insensitively) in one of the fields searched.
      const words = (query.get('search') ?? '').split(/\s+/).filter((w) => w.length >= 3).map(lower);
      const member = actor && (actor.admin || (effective(projectKeys(p), actor.id)?.level ?? 0) >= 20);
      const found = issues
        .filter((i) => i.projectId === p.id && (!i.confidential || member || i.authorUsername === actor?.username))
        .filter((i) => words.every((w) => fields.some((f) => lower(f === 'title' ? i.title : i.description).includes(w))));
      const asc = query.get('sort') === 'asc';
      return found.sort((a, b) => (asc ? a.id - b.id : b.id - a.id)).map(issueView);
    },
    'GET /projects/:id/issues/:issue_iid': ({ params, actor }) => {
      const p = findProject(params.id!, actor);
      if (isAnswer(p)) return p;
      const i = issues.find((x) => x.projectId === p.id && x.iid === Number(params.issue_iid));
      return i ? ok(issueView(i)) : msg(404, '404 Issue Not Found');
    },
    'POST /projects/:id/issues': ({ params, actor, body }) => {
      if (!actor) return msg(401, '401 Unauthorized');
      const p = findProject(params.id!, actor);
      if (isAnswer(p)) return p;
      const level = effective(projectKeys(p), actor.id)?.level ?? 0;
      if (p.visibility === 'private' && !actor.admin && level < 10) return msg(403, '403 Forbidden');
      if (typeof body.title !== 'string' || body.title.trim() === '') return { status: 400, body: { error: 'title is missing' } };
      const raw = body.labels;
      const names = typeof raw === 'string' ? raw.split(',') : Array.isArray(raw) ? raw.map(String) : [];
      const issue = createIssue(p, {
        title: body.title,
        ...(typeof body.description === 'string' ? { description: body.description } : {}),
        author: actor.username,
        labels: names,
        confidential: body.confidential === true || body.confidential === 'true',
      });
      return ok(issueView(issue), 201);
    },
  };

  // -----------------------------------------------------------------------------------------------------------
  // The HTTP side.

  /** Matches the raw path (still encoded) against the endpoints: a full path in `:id` must be one encoded segment. */
  const match = (method: string, rawPath: string): { endpoint: Endpoint; params: Record<string, string> } | null => {
    const segments = rawPath.split('/').filter((s) => s !== '');
    for (const endpoint of ENDPOINTS) {
      if (endpoint.method !== method) continue;
      const parts = endpoint.template.split('/').filter((s) => s !== '');
      if (parts.length !== segments.length) continue;
      const params: Record<string, string> = {};
      let okay = true;
      for (let i = 0; i < parts.length && okay; i++) {
        const part = parts[i]!;
        let seg: string;
        try {
          seg = decodeURIComponent(segments[i]!);
        } catch {
          seg = segments[i]!;
        }
        if (part.startsWith(':')) params[part.slice(1)] = seg;
        else okay = part === seg;
      }
      if (okay) return { endpoint, params };
    }
    return null;
  };

  const check = (route: string, endpoint: Endpoint, params: Record<string, string>, query: URLSearchParams, body: Record<string, unknown> | null, rawBody: string, contentType: string): void => {
    const add = (kind: GitLabViolation['kind'], message: string): void => void violations.push({ route, kind, message: `${route} (${endpoint.doc}): ${message}` });
    for (const [name, type] of Object.entries(endpoint.path ?? {})) {
      const problem = typeProblem(type, params[name]);
      if (problem) add('bad_param', `path parameter ${name}=${JSON.stringify(params[name])} is not ${problem}`);
    }
    const given = new Map<string, unknown>();
    for (const key of new Set(query.keys())) {
      const name = key.replace(/\[\]$/, '');
      given.set(name, key.endsWith('[]') ? query.getAll(key) : query.getAll(key).length > 1 ? query.getAll(key) : query.get(key));
    }
    if (endpoint.method === 'POST') {
      if (rawBody !== '' && !contentType.startsWith('application/json') && !contentType.startsWith('application/x-www-form-urlencoded')) add('bad_body', `a body sent as ${contentType || 'no content type'}`);
      if (rawBody !== '' && body === null) add('bad_body', 'the body is not a JSON object');
      for (const [k, v] of Object.entries(body ?? {})) given.set(k, v);
    }
    for (const [name, value] of given) {
      const type = endpoint.params[name];
      if (!type) {
        add('unknown_param', `unknown parameter ${name}`);
        continue;
      }
      const problem = typeProblem(type, value);
      if (problem) add('bad_param', `${name}=${JSON.stringify(value)} is not ${problem}`);
    }
    for (const name of endpoint.required ?? []) if (!given.has(name)) add('missing_param', `required parameter ${name} is missing`);
    if (endpoint.paginated) {
      const perPage = query.get('per_page');
      if (perPage !== null && (Number(perPage) < 1 || Number(perPage) > 100)) add('bad_param', `per_page=${perPage} is outside 1..100`);
    }
  };

  const paginate = (list: unknown[], query: URLSearchParams, path: string): Answer => {
    const perPage = Math.min(100, Math.max(1, Number(query.get('per_page') ?? 20) || 20));
    const page = Math.max(1, Number(query.get('page') ?? 1) || 1);
    const totalPages = Math.max(1, Math.ceil(list.length / perPage));
    const link = (n: number): string => {
      const q = new URLSearchParams(query);
      q.set('page', String(n));
      q.set('per_page', String(perPage));
      return `${url}/api/v4${path}?${q.toString()}`;
    };
    const links = [...(page < totalPages ? [`<${link(page + 1)}>; rel="next"`] : []), ...(page > 1 ? [`<${link(page - 1)}>; rel="prev"`] : []), `<${link(1)}>; rel="first"`, `<${link(totalPages)}>; rel="last"`];
    return {
      status: 200,
      body: list.slice((page - 1) * perPage, page * perPage),
      headers: {
        'x-page': String(page),
        'x-per-page': String(perPage),
        'x-total': String(list.length),
        'x-total-pages': String(totalPages),
        'x-next-page': page < totalPages ? String(page + 1) : '',
        'x-prev-page': page > 1 ? String(page - 1) : '',
        link: links.join(', '),
      },
    };
  };

  const takeFault = (method: string, path: string, template: string | null): GitLabFault | null => {
    const at = faults.findIndex((f) => {
      if (f.method !== undefined && f.method.toUpperCase() !== method) return false;
      if (f.path === undefined) return true;
      if (f.path instanceof RegExp) return f.path.test(path);
      return f.path === path || f.path === template;
    });
    if (at === -1) return null;
    const fault = faults[at]!;
    if (--fault.left <= 0) faults.splice(at, 1);
    return fault;
  };

  const handle = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const method = req.method.toUpperCase();
    const full = new URL(req.url, 'http://fake');
    const send = (answer: Answer, recorded?: RecordedGitLabRequest): FastifyReply => {
      if (recorded) recorded.status = answer.status;
      const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
      const type = typeof answer.body === 'string' ? 'text/plain' : 'application/json';
      return reply.code(answer.status).headers({ 'content-type': type, ...answer.headers }).send(text);
    };
    if (!full.pathname.startsWith('/api/v4/')) {
      violations.push({ route: `${method} ${full.pathname}`, kind: 'unknown_path', message: `${method} ${full.pathname}: not under /api/v4` });
      return send(msg(404, '404 Not Found'));
    }
    const rawPath = full.pathname.slice('/api/v4'.length);
    let path: string;
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      path = rawPath;
    }
    const rawBody = typeof req.body === 'string' ? req.body : '';
    const contentType = String(req.headers['content-type'] ?? '');
    let body: Record<string, unknown> | null = null;
    if (rawBody !== '') {
      if (contentType.startsWith('application/x-www-form-urlencoded')) body = Object.fromEntries(new URLSearchParams(rawBody));
      else {
        try {
          const parsed = JSON.parse(rawBody) as unknown;
          if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
        } catch {
          body = null;
        }
      }
    }
    const privateToken = req.headers['private-token'];
    const bearer = /^Bearer (.+)$/i.exec(String(req.headers.authorization ?? ''))?.[1];
    const given = typeof privateToken === 'string' ? privateToken : bearer;
    const tokenUser = given !== undefined ? (tokens.get(given) ?? null) : null;
    const sudoHeader = req.headers.sudo;
    const sudo = typeof sudoHeader === 'string' ? sudoHeader : (full.searchParams.get('sudo') ?? undefined);
    const query = new URLSearchParams(full.searchParams);
    query.delete('sudo');
    query.delete('private_token');
    const matched = match(method, rawPath);
    const route = matched ? `${method} ${matched.endpoint.template}` : null;
    const recorded: RecordedGitLabRequest = {
      method,
      path,
      route,
      query: Object.fromEntries([...new Set(query.keys())].map((k) => [k, query.getAll(k).length > 1 ? query.getAll(k) : query.get(k)!])),
      body: body ?? (rawBody === '' ? undefined : rawBody),
      sudo,
      sudoVia: typeof sudoHeader === 'string' ? 'header' : sudo !== undefined ? 'query' : undefined,
      tokenUser: tokenUser?.username ?? null,
      at: Date.now(),
    };
    requests.push(recorded);
    if (!matched) violations.push({ route: `${method} ${path}`, kind: 'unknown_path', message: `${method} ${full.pathname}: no such endpoint in ENDPOINTS (a full path must be URL-encoded as one segment)` });
    else check(route!, matched.endpoint, matched.params, query, body, rawBody, contentType);
    if (sudo !== undefined && sudo.trim() === '') violations.push({ route: route ?? path, kind: 'bad_header', message: `${route ?? path}: an empty Sudo header` });

    const fault = takeFault(method, path, matched ? matched.endpoint.template : null);
    const faultAnswer = fault && { status: fault.status, body: fault.body ?? { message: `${fault.status} Internal Server Error` }, ...(fault.headers ? { headers: fault.headers } : {}) };
    if (faultAnswer && !fault.afterHandling) return send(faultAnswer, recorded);
    if (!matched) return send(msg(404, '404 Not Found'), recorded);
    // Authentication (docs: REST API authentication): a token that is given must be valid; none is anonymous.
    if (given !== undefined && !tokenUser) return send(msg(401, '401 Unauthorized'), recorded);
    if (tokenUser && tokenUser.state !== 'active') return send(msg(401, '401 Unauthorized'), recorded);
    let actor = tokenUser;
    if (sudo !== undefined) {
      if (!tokenUser) return send(msg(401, '401 Unauthorized'), recorded);
      if (!tokenUser.admin) return send(msg(403, '403 Forbidden - Must be admin to use sudo'), recorded);
      const target = /^\d+$/.test(sudo) ? users.find((u) => u.id === Number(sudo)) : userNamed(sudo);
      if (!target) return send(msg(404, `404 No user id or username for: ${sudo} Not Found`), recorded);
      actor = target;
    }
    const result = handlers[route!]!({ actor, params: matched.params, query, body: body ?? {} });
    return send(faultAnswer ?? (Array.isArray(result) ? paginate(result, query, rawPath) : result), recorded);
  };

  const app: FastifyInstance = Fastify({ logger: false, forceCloseConnections: true });
  // Bodies as text: the fake parses them itself, so that a body that is not JSON reaches the checks.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, text, done) => done(null, text));
  app.route({ method: ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'], url: '/*', handler: handle });
  await app.listen({ host: '127.0.0.1', port: 0 });
  url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

  return {
    url,
    token,
    botUsername,
    violations,
    requests,
    addUser,
    addGroup,
    addProject,
    addMember,
    addLabel: (projectPath, name, color) => addLabel(mustProject(projectPath).id, name, color),
    addIssue: (projectPath, input) => createIssue(mustProject(projectPath), { ...input, author: input.author ?? botUsername }),
    issues: (projectPath) => issues.filter((i) => i.projectId === mustProject(projectPath).id).map((i) => ({ ...i, labels: [...i.labels] })),
    calls: (route) => requests.filter((r) => r.route === route),
    fail: (fault) => void faults.push({ ...fault, left: fault.times ?? 1 }),
    rateLimit: ({ method, path, resetInS, times, retryAfter }) => {
      const reset = Math.ceil(Date.now() / 1000) + resetInS;
      faults.push({
        ...(method !== undefined ? { method } : {}),
        ...(path !== undefined ? { path } : {}),
        status: 429,
        // Rack::Attack's throttled answer is plain text.
        body: 'Retry later\n',
        headers: {
          'ratelimit-name': 'throttle_authenticated_api',
          'ratelimit-limit': '60',
          'ratelimit-observed': '61',
          'ratelimit-remaining': '0',
          'ratelimit-reset': String(reset),
          'ratelimit-resettime': new Date(reset * 1000).toUTCString(),
          ...(retryAfter === false ? {} : { 'retry-after': String(resetInS) }),
        },
        left: times ?? 1,
      });
    },
    close: async () => {
      await app.close();
    },
  };
}
