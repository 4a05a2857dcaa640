// Checks a request to Discord's REST API against Discord's own OpenAPI document (discord/discord-api-spec, in
// ../shared/specs, read at run time, never copied): the path template and method, path parameters that must be
// snowflakes, query parameters the operation defines (and their types), and a JSON body against the operation's
// schema (types, required fields, lengths, ranges, enums, fields the schema does not define). Used by
// fake-discord.ts; what it finds lands in the fake's `violations`.
import { readFile } from 'node:fs/promises';
import { matchTemplate, type OpenApiOperation, type OpenApiParameter, type Schema } from './spec-paths.js';

const SPEC_URL = new URL('../../../shared/specs/discord-openapi.json', import.meta.url);

type Parameter = OpenApiParameter;
type Operation = OpenApiOperation;

interface PathItem {
  template: string;
  segments: string[];
  parameters: Parameter[];
  operations: Map<string, Operation>;
}

export interface DiscordSpec {
  paths: PathItem[];
  schemas: Record<string, Schema>;
}

export interface DiscordSpecViolation {
  /** `POST /channels/{channel_id}/messages`, or `gateway`. */
  route: string;
  kind: 'unknown_path' | 'unknown_method' | 'bad_path_parameter' | 'unknown_query' | 'bad_query' | 'missing_body' | 'bad_body' | 'gateway';
  message: string;
}

let loaded: Promise<DiscordSpec> | undefined;

/** The spec's paths and schemas, read once per process. */
export function loadDiscordSpec(): Promise<DiscordSpec> {
  loaded ??= readFile(SPEC_URL, 'utf8').then((text) => {
    const spec = JSON.parse(text) as { paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, Schema> } };
    const paths: PathItem[] = Object.entries(spec.paths).map(([template, item]) => {
      const operations = new Map<string, Operation>();
      for (const [key, value] of Object.entries(item)) if (key !== 'parameters') operations.set(key.toUpperCase(), value as Operation);
      return { template, segments: template.split('/').slice(1), parameters: (item.parameters as Parameter[] | undefined) ?? [], operations };
    });
    return { paths, schemas: spec.components.schemas };
  });
  return loaded;
}

/** The path template a concrete path matches, preferring literal segments (`/users/@me` over `/users/{user_id}`). */
export function matchPath(spec: DiscordSpec, path: string): { item: PathItem; params: Record<string, string> } | null {
  const found = matchTemplate(spec.paths, path.split('/').slice(1).map((p) => decodeURIComponent(p)));
  return found ? { item: found.entry, params: found.params } : null;
}

// ---------------------------------------------------------------------------------------------------------
// A small JSON Schema (2020-12 subset) validator: what Discord's spec uses for request bodies.

function resolve(spec: DiscordSpec, schema: Schema): Schema {
  let s = schema;
  for (let depth = 0; typeof s.$ref === 'string' && depth < 20; depth++) {
    const name = (s.$ref).replace('#/components/schemas/', '');
    s = spec.schemas[name] ?? {};
  }
  return s;
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function matchesType(type: string, value: unknown): boolean {
  switch (type) {
    case 'null':
      return value === null;
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'string':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
    case 'array':
      return Array.isArray(value);
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    default:
      return true;
  }
}

/**
 * Fields the clients send where the spec does not define them, and which Discord ignores there: discord.js 14
 * (MessagePayload) puts `enforce_nonce` into every message body, interaction replies and webhook messages too.
 */
const IGNORED_EXTRAS: ReadonlySet<string> = new Set(['enforce_nonce']);

/** Every way `value` breaks `schema`, each as `at: what`. */
export function validateSchema(spec: DiscordSpec, schema: Schema, value: unknown, at = 'body'): string[] {
  const s = resolve(spec, schema);
  const errors: string[] = [];
  for (const part of (s.allOf as Schema[] | undefined) ?? []) errors.push(...validateSchema(spec, part, value, at));
  const alternatives = (s.oneOf ?? s.anyOf) as Schema[] | undefined;
  // Discord's enums are `oneOf` of `const`s; unions of shapes are oneOf/anyOf too. One alternative that fits is
  // enough (the shapes overlap: a message edit fits several webhook bodies).
  if (alternatives && alternatives.length > 0) {
    let closest: string[] | null = null;
    for (const alternative of alternatives) {
      const found = validateSchema(spec, alternative, value, at);
      if (found.length === 0) {
        closest = null;
        break;
      }
      // The closest shape: fewest errors, but one of another type altogether (`null` for an object) comes last.
      const score = (errors: string[]): number => errors.length + (errors.some((e) => e.startsWith(`${at}: should be `)) ? 1000 : 0);
      if (closest === null || score(found) < score(closest)) closest = found;
    }
    if (closest !== null) {
      const consts = alternatives.map((a) => resolve(spec, a)).filter((a) => 'const' in a);
      if (consts.length === alternatives.length) errors.push(`${at}: ${JSON.stringify(value)} is none of ${consts.map((c) => JSON.stringify(c.const)).join(', ')}`);
      else errors.push(`${at}: fits none of ${alternatives.length} shapes; the closest: ${closest.join('; ')}`);
    }
  }
  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
    if (!types.some((t) => matchesType(t, value))) {
      errors.push(`${at}: should be ${types.join(' or ')}, got ${typeOf(value)}`);
      return errors;
    }
  }
  if ('const' in s && s.const !== value) errors.push(`${at}: should be ${JSON.stringify(s.const)}, got ${JSON.stringify(value)}`);
  if (Array.isArray(s.enum) && !s.enum.includes(value)) errors.push(`${at}: ${JSON.stringify(value)} is none of ${JSON.stringify(s.enum)}`);
  if (typeof value === 'string') {
    const length = Array.from(value).length;
    if (typeof s.minLength === 'number' && length < s.minLength) errors.push(`${at}: shorter than ${s.minLength}`);
    if (typeof s.maxLength === 'number' && length > s.maxLength) errors.push(`${at}: longer than ${s.maxLength}`);
    if (typeof s.pattern === 'string' && !new RegExp(s.pattern, 'u').test(value)) errors.push(`${at}: ${JSON.stringify(value)} does not match ${s.pattern}`);
  }
  if (typeof value === 'number') {
    if (typeof s.minimum === 'number' && value < s.minimum) errors.push(`${at}: below ${s.minimum}`);
    if (typeof s.maximum === 'number' && value > s.maximum) errors.push(`${at}: above ${s.maximum}`);
  }
  if (Array.isArray(value)) {
    if (typeof s.minItems === 'number' && value.length < s.minItems) errors.push(`${at}: fewer than ${s.minItems} items`);
    if (typeof s.maxItems === 'number' && value.length > s.maxItems) errors.push(`${at}: more than ${s.maxItems} items`);
    if (s.items && typeof s.items === 'object') for (const [i, item] of value.entries()) errors.push(...validateSchema(spec, s.items as Schema, item, `${at}[${i}]`));
  }
  if (matchesType('object', value)) {
    const object = value as Record<string, unknown>;
    for (const name of (s.required as string[] | undefined) ?? []) if (!(name in object)) errors.push(`${at}: ${name} is required`);
    const properties = s.properties as Record<string, Schema> | undefined;
    for (const [name, field] of Object.entries(object)) {
      const property = properties?.[name];
      if (property) errors.push(...validateSchema(spec, property, field, `${at}.${name}`));
      else if (typeof s.additionalProperties === 'object' && s.additionalProperties !== null) errors.push(...validateSchema(spec, s.additionalProperties as Schema, field, `${at}.${name}`));
      else if (properties && s.additionalProperties !== true && !IGNORED_EXTRAS.has(name)) errors.push(`${at}: ${name} is not a field Discord defines here`);
    }
    if (typeof s.maxProperties === 'number' && Object.keys(object).length > s.maxProperties) errors.push(`${at}: more than ${s.maxProperties} fields`);
  }
  return errors;
}

function checkScalar(spec: DiscordSpec, schema: Schema | undefined, raw: string): boolean {
  if (!schema) return true;
  const s = resolve(spec, schema);
  const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string | undefined];
  if (types.includes('integer')) return /^-?\d+$/u.test(raw) && validateSchema(spec, s, Number(raw)).length === 0;
  if (types.includes('boolean')) return ['true', 'false', 'True', 'False', '1', '0'].includes(raw);
  return validateSchema(spec, s, raw).length === 0;
}

/** What the spec has against one request. `body` is the parsed JSON (undefined: none, or not JSON). */
export function checkDiscordRequest(
  spec: DiscordSpec,
  request: { method: string; path: string; query: URLSearchParams; contentType: string | undefined; body: unknown },
): { route: string; violations: DiscordSpecViolation[] } {
  const found = matchPath(spec, request.path);
  const method = request.method.toUpperCase();
  if (!found) return { route: `${method} ${request.path}`, violations: [{ route: `${method} ${request.path}`, kind: 'unknown_path', message: `${request.path} is no path of Discord's API` }] };
  const route = `${method} ${found.item.template}`;
  const operation = found.item.operations.get(method);
  if (!operation) return { route, violations: [{ route, kind: 'unknown_method', message: `${found.item.template} has no ${method}` }] };
  const violations: DiscordSpecViolation[] = [];
  const parameters = [...found.item.parameters, ...(operation.parameters ?? [])];
  for (const p of parameters.filter((p) => p.in === 'path')) {
    const value = found.params[p.name] ?? '';
    if (!checkScalar(spec, p.schema, value)) violations.push({ route, kind: 'bad_path_parameter', message: `${route}: ${p.name} ${JSON.stringify(value)} does not fit ${JSON.stringify(p.schema)}` });
  }
  const queryParams = new Map(parameters.filter((p) => p.in === 'query').map((p) => [p.name, p]));
  for (const [name, value] of request.query) {
    const p = queryParams.get(name);
    if (!p) violations.push({ route, kind: 'unknown_query', message: `${route} defines no query parameter ${name}` });
    else if (!checkScalar(spec, p.schema, value)) violations.push({ route, kind: 'bad_query', message: `${route}: ${name}=${JSON.stringify(value)} does not fit its schema` });
  }
  for (const p of queryParams.values()) {
    if (p.required && !request.query.has(p.name)) violations.push({ route, kind: 'unknown_query', message: `${route} needs the query parameter ${p.name}` });
  }
  const bodySpec = operation.requestBody;
  const isJson = (request.contentType ?? '').startsWith('application/json');
  if (bodySpec?.required && request.body === undefined && !isJson && !(request.contentType ?? '').startsWith('multipart/')) {
    violations.push({ route, kind: 'missing_body', message: `${route} needs a body` });
  }
  if (isJson && request.body !== undefined) {
    const schema = bodySpec?.content?.['application/json']?.schema;
    if (!schema) violations.push({ route, kind: 'bad_body', message: `${route} takes no JSON body` });
    else for (const message of validateSchema(spec, schema, request.body)) violations.push({ route, kind: 'bad_body', message: `${route}: ${message}` });
  }
  return { route, violations };
}
