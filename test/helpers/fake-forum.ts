// A stateful stand-in for a Discourse forum (no Discourse server can run here). Every request it gets can
// also be checked against Discourse's own OpenAPI spec by forwarding it to a Prism mock started with --errors:
// a 4xx from Prism is recorded as a violation, so tests can assert that Parley spoke the real API.
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';

export interface FakeCategory {
  id: number;
  slug: string;
  name: string;
  parent_category_id?: number | null;
  color?: string;
  read_restricted?: boolean;
}

export interface FakeUser {
  username: string;
  admin?: boolean;
  moderator?: boolean;
  groups?: string[];
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export interface FakeForum {
  url: string;
  apiKey: string;
  categories: FakeCategory[];
  /** `created_at` (ISO 8601) is what /latest.json shows; a topic without one shows the fake's start time. */
  topics: Map<number, { id: number; title: string; tags: string[]; category_id: number | null; external_id?: string; created_at?: string }>;
  users: Map<string, FakeUser>;
  requests: RecordedRequest[];
  /** Requests the spec check refused, with Prism's reason. */
  violations: { request: string; status: number; reason: string }[];
  /** Answer the next N requests with this status (e.g. 429 or 500). */
  failNext(count: number, status: number, headers?: Record<string, string>): void;
  stop(): Promise<void>;
}

export async function startFakeForum(opts: { apiKey?: string; validatorUrl?: string; categories?: FakeCategory[]; users?: FakeUser[] } = {}): Promise<FakeForum> {
  const apiKey = opts.apiKey ?? 'test-forum-api-key';
  const app: FastifyInstance = Fastify();
  let nextTopicId = 1000;
  let nextPostId = 5000;
  let failures: { count: number; status: number; headers: Record<string, string> } = { count: 0, status: 200, headers: {} };

  const forum: FakeForum = {
    url: '',
    apiKey,
    categories: opts.categories ?? [],
    topics: new Map(),
    users: new Map((opts.users ?? []).map((u) => [u.username.toLowerCase(), u])),
    requests: [],
    violations: [],
    failNext(count, status, headers = {}) {
      failures = { count, status, headers };
    },
    stop: async () => void (await app.close()),
  };

  async function checkAgainstSpec(req: FastifyRequest): Promise<void> {
    if (!opts.validatorUrl) return;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (typeof v === 'string' && !['host', 'content-length', 'connection'].includes(k)) headers[k] = v;
    }
    const res = await fetch(`${opts.validatorUrl}${req.url}`, {
      method: req.method,
      headers,
      body: req.method === 'GET' || req.method === 'HEAD' ? undefined : JSON.stringify(req.body),
    });
    const text = await res.text();
    if (res.status === 422 || res.status === 415 || res.status === 404 || res.status === 405 || res.status === 400) {
      forum.violations.push({ request: `${req.method} ${req.url}`, status: res.status, reason: text.slice(0, 2000) });
    }
  }

  app.addHook('onRequest', async (req, reply) => {
    if (failures.count > 0) {
      failures.count--;
      return reply.code(failures.status).headers(failures.headers).send({ errors: [`fake failure ${failures.status}`] });
    }
    if (req.headers['api-key'] !== apiKey) return reply.code(403).send({ errors: ['You are not permitted to view the requested resource.'], error_type: 'invalid_access' });
  });
  app.addHook('preHandler', async (req) => {
    forum.requests.push({ method: req.method, path: req.url, headers: { ...req.headers }, body: req.body });
    await checkAgainstSpec(req);
  });

  app.get('/site.json', async () => ({
    categories: forum.categories.map((c) => ({
      id: c.id,
      slug: c.slug,
      name: c.name,
      color: c.color ?? '0088CC',
      parent_category_id: c.parent_category_id ?? null,
      read_restricted: c.read_restricted ?? false,
    })),
  }));

  app.get<{ Params: { id: string } }>('/t/:id', async (req, reply) => {
    const id = Number(req.params.id.replace(/\.json$/, ''));
    const t = forum.topics.get(id);
    if (!t) return reply.code(404).send({ errors: ['The requested URL or resource could not be found.'], error_type: 'not_found' });
    return { id: t.id, title: t.title, fancy_title: t.title, tags: t.tags, category_id: t.category_id };
  });

  // The latest topics, newest first, in the shape of Discourse's GET /latest.json (topic_list.topics).
  const startedAt = new Date().toISOString();
  app.get('/latest.json', async () => ({
    users: [],
    primary_groups: [],
    topic_list: {
      can_create_topic: true,
      per_page: 30,
      topics: [...forum.topics.values()]
        .sort((a, b) => b.id - a.id)
        .slice(0, 30)
        .map((t) => ({ id: t.id, title: t.title, fancy_title: t.title, slug: 'topic', posts_count: 1, created_at: t.created_at ?? startedAt, category_id: t.category_id ?? undefined, tags: t.tags })),
    },
  }));

  // Every tag the topics carry, with its count, in the shape of Discourse's GET /tags.json.
  app.get('/tags.json', async () => {
    const counts = new Map<string, number>();
    for (const t of forum.topics.values()) for (const tag of t.tags) counts.set(tag, (counts.get(tag) ?? 0) + 1);
    return { tags: [...counts].map(([name, count], i) => ({ id: i + 1, text: name, name, count, pm_count: 0, target_tag: null })), extras: { categories: [] } };
  });

  app.get<{ Params: { eid: string } }>('/t/external_id/:eid', async (req, reply) => {
    const eid = req.params.eid.replace(/\.json$/, '');
    const t = [...forum.topics.values()].find((x) => x.external_id === eid);
    if (!t) return reply.code(404).send({ errors: ['The requested URL or resource could not be found.'], error_type: 'not_found' });
    return { id: t.id, title: t.title, fancy_title: t.title, slug: 'topic', tags: t.tags, category_id: t.category_id };
  });

  app.get<{ Params: { username: string } }>('/u/:username', async (req, reply) => {
    const name = req.params.username.replace(/\.json$/, '').toLowerCase();
    const u = forum.users.get(name);
    if (!u) return reply.code(404).send({ errors: ['The requested URL or resource could not be found.'], error_type: 'not_found' });
    return {
      user: {
        id: 1,
        username: u.username,
        admin: u.admin ?? false,
        moderator: u.moderator ?? false,
        groups: (u.groups ?? []).map((name, i) => ({ id: 100 + i, name })),
      },
    };
  });

  app.post('/posts.json', async (req, reply) => {
    const body = (req.body ?? {}) as { title?: string; raw?: string; category?: number; external_id?: string; tags?: string[] };
    const existing = body.external_id ? [...forum.topics.values()].find((t) => t.external_id === body.external_id) : undefined;
    if (existing) return reply.code(422).send({ errors: ['External ID has already been taken'], error_type: 'invalid_parameters' });
    const topicId = nextTopicId++;
    forum.topics.set(topicId, { id: topicId, title: body.title ?? '', tags: body.tags ?? [], category_id: body.category ?? null, ...(body.external_id ? { external_id: body.external_id } : {}) });
    return { id: nextPostId++, topic_id: topicId, topic_slug: 'topic', post_number: 1, raw: body.raw, username: req.headers['api-username'] };
  });

  forum.url = await app.listen({ port: 0, host: '127.0.0.1' });
  return forum;
}
