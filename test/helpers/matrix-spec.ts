// Checks a request to a Matrix homeserver's client-server API against the Matrix spec's own OpenAPI documents
// (matrix-org/matrix-spec, in ../shared/specs, read at run time, never copied): the path template and method,
// path parameters, query parameters the operation defines (and their types), a JSON body against the operation's
// schema, and for events sent to a room (`/send`, `/state`) their content against the event's schema
// (event-schemas). Used by fake-matrix.ts; what it finds lands in the fake's `violations`.
//
// Loading: the root document is read once per process; each path item is dereferenced the first time a request
// needs it, each schema compiled once (ajv, JSON Schema 2020-12 as OpenAPI 3.1 has it).
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import $RefParser, { type FileInfo } from '@apidevtools/json-schema-ref-parser';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { parse as parseYaml, parseDocument, type YAMLMap } from 'yaml';
import { matchTemplate, type OpenApiOperation, type OpenApiParameter, type Schema } from './spec-paths.js';

const SPEC_DIR = new URL('../../../shared/specs/matrix-spec/data/', import.meta.url);
const ROOT = fileURLToPath(new URL('api/client-server/_root_for_prism.yaml', SPEC_DIR));
const DEFINITIONS = new URL('api/client-server/definitions/', SPEC_DIR);
const EVENT_SCHEMAS = new URL('event-schemas/schema/', SPEC_DIR);

type Parameter = OpenApiParameter;
type Operation = OpenApiOperation;

interface PathEntry {
  /** As the spec writes it, with its prefix: `/_matrix/client/v3/rooms/{roomId}/send/{eventType}/{txnId}`. */
  template: string;
  segments: string[];
  /** The root's `$ref`s for this template (the root lists one template twice: PUT and GET of a state event). */
  refs: unknown[];
  operations?: Promise<Map<string, Operation>>;
}

export interface MatrixSpecViolation {
  /** `PUT /_matrix/client/v3/rooms/{roomId}/send/{eventType}/{txnId}`, or the concrete path when none matched. */
  route: string;
  kind:
    | 'unknown_path'
    | 'unknown_method'
    | 'missing_auth'
    | 'bad_path_parameter'
    | 'missing_query'
    | 'unknown_query'
    | 'bad_query'
    | 'missing_body'
    | 'bad_body'
    | 'bad_content'
    /** The same transaction id again for a different request (the spec makes the two one request). */
    | 'txn_reuse';
  message: string;
}

export interface MatrixRequest {
  method: string;
  /** The path as sent, percent-encoded segments and all, without the query. */
  path: string;
  query: URLSearchParams;
  /** The parsed JSON body; undefined: none. A string: a body that is not JSON. */
  body: unknown;
  /** Whether the request carried an access token (for operations that need one). Default true. */
  authenticated?: boolean;
}

export interface MatrixRoute {
  /** `METHOD template`. */
  route: string;
  template: string;
  /** Decoded path parameters. */
  params: Record<string, string>;
}

/**
 * Query parameters the client may send where the spec defines none, and which servers ignore: matrix-js-sdk's
 * sync loop adds a cache buster to initial syncs and opts in to MSC4222 under its unstable name.
 */
const IGNORED_QUERY: ReadonlySet<string> = new Set(['_cacheBuster', 'org.matrix.msc4222.use_state_after']);

// The formats the spec names (data/string-formats.yaml gives their grammar in prose and comments).
const MATRIX_FORMATS: Record<string, RegExp | true> = {
  'mx-user-id': /^@[^:]+:.+$/u,
  'mx-room-id': /^!.+$/u,
  'mx-event-id': /^\$.+$/u,
  'mx-room-alias': /^#[^:]+:.+$/u,
  'mx-mxc-uri': /^mxc:\/\/[^/]+\/.+$/u,
  'mx-server-name': true,
  'mx-unpadded-base64': /^[A-Za-z0-9+/]*$/u,
  'mx-urlsafe-unpadded-base64': /^[A-Za-z0-9_-]*$/u,
};

// The spec's YAML has flow mappings indented less than their key (`example: {` … `}`), which js-yaml (the
// ref parser's own YAML parser) rejects and the `yaml` package reads.
const REF_OPTIONS = {
  parse: {
    yaml: {
      order: 100,
      canParse: /\.ya?ml$/iu,
      parse: (file: FileInfo): unknown => parseYaml(Buffer.isBuffer(file.data) ? file.data.toString('utf8') : String(file.data)),
    },
  },
  dereference: { circular: 'ignore' as const },
};

let ajv: Ajv2020 | undefined;
function getAjv(): Ajv2020 {
  if (ajv) return ajv;
  ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
  addFormatsModule.default(ajv);
  for (const [name, pattern] of Object.entries(MATRIX_FORMATS)) ajv.addFormat(name, pattern === true ? true : pattern);
  return ajv;
}

/** A copy ajv compiles: dereferenced files keep their own `$schema`, which ajv only takes at a schema's root. */
function clean(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(clean);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) if (key !== '$schema') out[key] = clean(field);
  return out;
}

const compiled = new WeakMap<object, ValidateFunction>();
function validator(schema: Schema): ValidateFunction {
  let fn = compiled.get(schema);
  if (!fn) {
    fn = getAjv().compile(clean(schema) as Schema);
    compiled.set(schema, fn);
  }
  return fn;
}

function describe(errors: ErrorObject[] | null | undefined, at: string): string[] {
  // allOf/anyOf branches repeat the same complaint; one line each is enough.
  const lines = (errors ?? []).map((e) => `${at}${e.instancePath.replaceAll('/', '.')}: ${e.message ?? e.keyword}${e.keyword === 'enum' || e.keyword === 'const' || e.keyword === 'additionalProperties' ? ` ${JSON.stringify(e.params)}` : ''}`);
  return [...new Set(lines)];
}

/** Every way `value` breaks `schema`, each as `at.field: what`. */
export function validateMatrixSchema(schema: Schema, value: unknown, at = 'body'): string[] {
  const fn = validator(schema);
  return fn(value) ? [] : describe(fn.errors, at);
}

let root: Promise<PathEntry[]> | undefined;

/** The root's path templates (their path items are dereferenced when first needed). */
function loadRoot(): Promise<PathEntry[]> {
  root ??= readFile(ROOT, 'utf8').then((text) => {
    const doc = parseDocument(text, { uniqueKeys: false });
    const paths = doc.get('paths') as YAMLMap<unknown, unknown>;
    const byTemplate = new Map<string, PathEntry>();
    for (const pair of paths.items) {
      const template = String((pair.key as { value?: unknown }).value ?? pair.key);
      const ref = (pair.value as { toJSON(): unknown }).toJSON();
      const entry = byTemplate.get(template);
      if (entry) entry.refs.push(ref);
      else byTemplate.set(template, { template, segments: template.split('/').slice(1), refs: [ref] });
    }
    return [...byTemplate.values()];
  });
  return root;
}

function operationsOf(entry: PathEntry): Promise<Map<string, Operation>> {
  entry.operations ??= (async () => {
    const operations = new Map<string, Operation>();
    for (const ref of entry.refs) {
      const doc = await $RefParser.dereference<{ item: Record<string, unknown> }>(ROOT, { item: ref } as { item: Record<string, unknown> }, REF_OPTIONS);
      const shared = (doc.item.parameters as Parameter[] | undefined) ?? [];
      for (const [key, value] of Object.entries(doc.item)) {
        if (!['get', 'put', 'post', 'delete', 'patch', 'head', 'options'].includes(key)) continue;
        const op = value as Operation;
        operations.set(key.toUpperCase(), { ...op, parameters: [...shared, ...(op.parameters ?? [])] });
      }
    }
    return operations;
  })();
  return entry.operations;
}

/** Loads the spec now (the first check would otherwise pay for it): the root and the common path items. */
export async function preloadMatrixSpec(): Promise<void> {
  const entries = await loadRoot();
  await Promise.all(entries.filter((e) => COMMON.some((c) => e.template.endsWith(c))).map(operationsOf));
}
const COMMON = ['/sync', '/send/{eventType}/{txnId}', '/rooms/{roomId}/messages', '/account/whoami', '/versions'];

function splitPath(path: string): string[] | null {
  try {
    return path.split('/').slice(1).map((p) => decodeURIComponent(p));
  } catch {
    return null;
  }
}

/** The template a concrete path matches, preferring literal segments (`/rooms/{roomId}/joined_members` over `/rooms/{roomId}/state/{eventType}`…). */
export async function matchMatrixPath(path: string): Promise<{ entry: PathEntry; params: Record<string, string> } | null> {
  const entries = await loadRoot();
  const parts = splitPath(path);
  if (!parts) return null;
  const tryParts = (parts: string[]) => matchTemplate(entries, parts);
  const found = tryParts(parts);
  if (found) return found;
  // "When [the state key is] an empty string, the trailing slash on this endpoint is optional."
  const withEmptyKey = tryParts([...parts, '']);
  return withEmptyKey?.entry.template.endsWith('/{stateKey}') ? withEmptyKey : null;
}

/** The spec's route for a request, or null for a path the spec does not have. */
export async function matrixRoute(method: string, path: string): Promise<MatrixRoute | null> {
  const found = await matchMatrixPath(path);
  return found ? { route: `${method.toUpperCase()} ${found.entry.template}`, template: found.entry.template, params: found.params } : null;
}

/** A query string's value as the parameter's schema types it: `"30000"` → 30000 for an integer. */
function coerce(schema: Schema | undefined, raw: string): unknown {
  const types = schema ? (Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type]) : [];
  if ((types.includes('integer') || types.includes('number')) && /^-?\d+(\.\d+)?$/u.test(raw)) return Number(raw);
  if (types.includes('boolean') && (raw === 'true' || raw === 'false')) return raw === 'true';
  return raw;
}

let filterSchemas: Promise<{ sync: Schema; roomEvent: Schema }> | undefined;
/** The filter schemas, for a `filter` query parameter given inline as JSON. */
function loadFilterSchemas(): Promise<{ sync: Schema; roomEvent: Schema }> {
  filterSchemas ??= (async () => {
    const load = async (name: string) => await $RefParser.dereference<Schema>(fileURLToPath(new URL(name, DEFINITIONS)), REF_OPTIONS);
    const [sync, roomEvent] = await Promise.all([load('sync_filter.yaml'), load('room_event_filter.yaml')]);
    return { sync, roomEvent };
  })();
  return filterSchemas;
}

const eventSchemas = new Map<string, Promise<Schema | null>>();
/** An event schema from event-schemas (`m.room.member`, `m.room.message$m.notice`), or null when there is none. */
function loadEventSchema(name: string): Promise<Schema | null> {
  // Event types come from request paths: only names a schema file can have.
  if (!/^[A-Za-z0-9._$-]+$/u.test(name)) return Promise.resolve(null);
  let loaded = eventSchemas.get(name);
  if (!loaded) {
    loaded = $RefParser
      .dereference(fileURLToPath(new URL(`${name}.yaml`, EVENT_SCHEMAS)), REF_OPTIONS)
      .then((s) => s as Schema)
      .catch((err: unknown) => {
        if ((err as { code?: string }).code === 'ENOENT' || /ENOENT|no such file/u.test(String(err))) return null;
        throw err;
      });
    eventSchemas.set(name, loaded);
  }
  return loaded;
}

let relationSchemas: Promise<{ relatesTo: Schema; mentions: Schema }> | undefined;
function loadRelationSchemas(): Promise<{ relatesTo: Schema; mentions: Schema }> {
  relationSchemas ??= (async () => {
    const load = async (name: string) => await $RefParser.dereference<Schema>(fileURLToPath(new URL(name, DEFINITIONS)), REF_OPTIONS);
    const [relatesTo, mentions] = await Promise.all([load('m.relates_to.yaml'), load('m.mentions.yaml')]);
    return { relatesTo, mentions };
  })();
  return relationSchemas;
}

/** The `content` schema of an event type (for m.room.message: of its msgtype, else the generic message). */
async function contentSchema(type: string, content: Record<string, unknown>): Promise<{ name: string; schema: Schema } | null> {
  let name = type;
  if (type === 'm.room.message' && typeof content.msgtype === 'string' && (await loadEventSchema(`${type}$${content.msgtype}`))) name = `${type}$${content.msgtype}`;
  const event = await loadEventSchema(name);
  const schema = (event?.properties as Record<string, Schema> | undefined)?.content;
  return schema ? { name, schema } : null;
}

/** What an event's content breaks: its type's schema, an edit's `m.new_content`, `m.relates_to`, `m.mentions`. */
export async function checkEventContent(type: string, content: unknown, at = 'content'): Promise<string[]> {
  if (content === null || typeof content !== 'object' || Array.isArray(content)) return [`${at}: an event's content must be an object`];
  const c = content as Record<string, unknown>;
  const errors: string[] = [];
  const found = await contentSchema(type, c);
  if (found) errors.push(...validateMatrixSchema(found.schema, c, `${at} (${found.name})`));
  const relation = c['m.relates_to'];
  if (relation !== undefined) {
    const { relatesTo } = await loadRelationSchemas();
    const r = relation as Record<string, unknown> | null;
    // A plain reply has only `m.in_reply_to`; every other relation has rel_type and event_id.
    if (r !== null && typeof r === 'object' && !Array.isArray(r) && r.rel_type === undefined && r['m.in_reply_to'] !== undefined) {
      const reply = r['m.in_reply_to'] as Record<string, unknown> | null;
      if (typeof reply?.event_id !== 'string' || !reply.event_id.startsWith('$')) errors.push(`${at}.m.relates_to.m.in_reply_to: needs an event_id`);
    } else errors.push(...validateMatrixSchema(relatesTo, relation, `${at}.m.relates_to`));
    if (r && r.rel_type === 'm.replace') {
      if (c['m.new_content'] === undefined) errors.push(`${at}: an edit (m.replace) needs m.new_content`);
      else errors.push(...(await checkEventContent(type, c['m.new_content'], `${at}.m.new_content`)));
    }
  }
  if (c['m.mentions'] !== undefined) {
    const { mentions } = await loadRelationSchemas();
    errors.push(...validateMatrixSchema(mentions, c['m.mentions'], `${at}.m.mentions`));
  }
  return errors;
}

/** What the spec has against one request. */
export async function checkMatrixRequest(request: MatrixRequest): Promise<{ route: string; params: Record<string, string>; violations: MatrixSpecViolation[] }> {
  const method = request.method.toUpperCase();
  const found = await matchMatrixPath(request.path);
  if (!found) return { route: `${method} ${request.path}`, params: {}, violations: [{ route: `${method} ${request.path}`, kind: 'unknown_path', message: `${request.path} is no path of the client-server API` }] };
  const route = `${method} ${found.entry.template}`;
  const operation = (await operationsOf(found.entry)).get(method);
  if (!operation) return { route, params: found.params, violations: [{ route, kind: 'unknown_method', message: `${found.entry.template} has no ${method}` }] };
  const violations: MatrixSpecViolation[] = [];
  const add = (kind: MatrixSpecViolation['kind'], message: string): void => void violations.push({ route, kind, message: `${route}: ${message}` });

  const needsAuth = (operation.security ?? []).length > 0 && !(operation.security ?? []).some((s) => Object.keys(s).length === 0);
  if (needsAuth && request.authenticated === false) add('missing_auth', 'needs an access token');

  const parameters = operation.parameters ?? [];
  for (const p of parameters.filter((p) => p.in === 'path')) {
    const value = found.params[p.name];
    if (value === undefined) add('bad_path_parameter', `${p.name} is missing`);
    else if (p.schema) for (const m of validateMatrixSchema(p.schema, value, p.name)) add('bad_path_parameter', `${m} (${JSON.stringify(value)})`);
  }

  const queryParams = new Map(parameters.filter((p) => p.in === 'query').map((p) => [p.name, p]));
  for (const name of new Set(request.query.keys())) {
    const p = queryParams.get(name);
    if (!p) {
      if (!IGNORED_QUERY.has(name)) add('unknown_query', `defines no query parameter ${name}`);
      continue;
    }
    const values = request.query.getAll(name);
    const isArray = p.schema?.type === 'array';
    if (!isArray && values.length > 1) add('bad_query', `${name} is given ${values.length} times`);
    const value = isArray ? values.map((v) => coerce(p.schema?.items as Schema | undefined, v)) : coerce(p.schema, values[0]!);
    if (p.schema) for (const m of validateMatrixSchema(p.schema, value, name)) add('bad_query', `${m} (${JSON.stringify(values.length > 1 ? values : values[0])})`);
    // `filter` may be a filter's id or the filter itself as JSON, which must then fit the filter's schema.
    if (name === 'filter' && values[0]!.startsWith('{')) {
      let filter: unknown;
      try {
        filter = JSON.parse(values[0]!);
      } catch {
        add('bad_query', 'filter starts with "{" but is no JSON');
      }
      if (filter !== undefined) {
        const schemas = await loadFilterSchemas();
        const schema = found.entry.template.endsWith('/sync') ? schemas.sync : schemas.roomEvent;
        for (const m of validateMatrixSchema(schema, filter, 'filter')) add('bad_query', m);
      }
    }
  }
  for (const p of queryParams.values()) if (p.required && !request.query.has(p.name)) add('missing_query', `needs the query parameter ${p.name}`);

  const bodySpec = operation.requestBody;
  const schema = bodySpec?.content?.['application/json']?.schema;
  if (request.body === undefined) {
    if (bodySpec?.required) add('missing_body', 'needs a JSON body');
  } else if (typeof request.body === 'string') {
    add('bad_body', `the body is not JSON: ${request.body.slice(0, 100)}`);
  } else if (!schema) {
    // A JSON body where none is defined: harmless on GET when empty (some clients send {}), wrong otherwise.
    const empty = typeof request.body === 'object' && request.body !== null && Object.keys(request.body).length === 0;
    if (!empty) add('bad_body', 'takes no JSON body');
  } else {
    for (const m of validateMatrixSchema(schema, request.body)) add('bad_body', m);
  }

  // The event a client sends: its content against the event type's schema.
  const template = found.entry.template;
  const sendsEvent = method === 'PUT' && (template.endsWith('/send/{eventType}/{txnId}') || template.endsWith('/state/{eventType}/{stateKey}'));
  if (sendsEvent && request.body !== undefined && typeof request.body !== 'string') {
    for (const m of await checkEventContent(found.params.eventType ?? '', request.body, 'body')) add('bad_content', m);
  }
  return { route, params: found.params, violations };
}

/**
 * What the spec has against an answer (its JSON body against the operation's response schema for that status).
 * For testing the fake itself: a client is only as well tested as the answers it is given.
 */
export async function checkMatrixResponse(method: string, path: string, status: number, body: unknown): Promise<string[]> {
  const found = await matchMatrixPath(path);
  if (!found) return [];
  const operation = (await operationsOf(found.entry)).get(method.toUpperCase());
  const schema = operation?.responses?.[String(status)]?.content?.['application/json']?.schema;
  if (!schema) return [];
  return validateMatrixSchema(schema, body, `${method.toUpperCase()} ${found.entry.template} ${status}`);
}
