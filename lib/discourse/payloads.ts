// Lenient schemas for the webhook bodies Parley reads (`post`, `topic`, `category`).
// Discourse versions and plugins add, drop and retype fields: only the few fields Parley cannot do
// without are required; everything else is optional, may be null, and a wrong type there becomes undefined.
import { z } from 'zod';
import { describe, integer, optBool, optInt, optStr, type ParseResult } from '../lenient-schema.js';

export type { ParseResult } from '../lenient-schema.js';


/** Tag names from a list of names or of `{id, name}` objects (newer Discourse); anything else is dropped. */
export function tagNames(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  const names: string[] = [];
  for (const tag of value) {
    const name = typeof tag === 'string' ? tag : tag && typeof tag === 'object' && 'name' in tag ? (tag as { name: unknown }).name : undefined;
    if (typeof name === 'string' && name.trim() !== '') names.push(name.trim());
  }
  return names;
}

/**
 * The slug Discourse uses in URLs: a category whose name has no Latin letters may have an empty slug,
 * and Discourse then uses `<id>-category` (as in `/c/4-category`), which is also what users will type.
 */
export function categorySlugForUrl(id: number, slug: string | null | undefined): string {
  const s = slug?.trim();
  return s ? s : `${id}-category`;
}

export const postSchema = z.looseObject({
  id: integer,
  topic_id: integer,
  post_number: integer,
  post_type: optInt,
  username: optStr,
  name: optStr,
  display_username: optStr,
  raw: optStr,
  cooked: optStr,
  created_at: optStr,
  updated_at: optStr,
  topic_slug: optStr,
  topic_title: optStr,
  category_id: optInt,
  category_slug: optStr,
  topic_archetype: optStr,
  hidden: optBool,
  deleted_at: optStr,
  user_deleted: optBool,
  post_url: optStr,
  reply_to_post_number: optInt,
});
export type PostPayload = z.output<typeof postSchema>;

export const topicSchema = z.looseObject({
  id: integer,
  title: optStr,
  fancy_title: optStr,
  slug: optStr,
  category_id: optInt,
  tags: z.unknown().optional().transform(tagNames),
  archetype: optStr,
  visible: optBool,
  deleted_at: optStr,
});
export type TopicPayload = z.output<typeof topicSchema>;

export const categorySchema = z.looseObject({
  id: integer,
  name: optStr,
  slug: optStr,
  color: optStr,
  parent_category_id: optInt,
  read_restricted: optBool,
});
export type CategoryPayload = z.output<typeof categorySchema>;

/** `{"post": {...}}` as Discourse sends it for post_created/edited/destroyed/recovered. */
export function parsePostWebhook(body: unknown): ParseResult<PostPayload> {
  return parseEnvelope(body, 'post', postSchema);
}

/** `{"topic": {...}}` for topic_created/edited/destroyed/recovered…; tags come out as names. */
export function parseTopicWebhook(body: unknown): ParseResult<TopicPayload> {
  return parseEnvelope(body, 'topic', topicSchema);
}

/** `{"category": {...}}` for category_created/updated/destroyed. */
export function parseCategoryWebhook(body: unknown): ParseResult<CategoryPayload> {
  return parseEnvelope(body, 'category', categorySchema);
}

function parseEnvelope<S extends z.ZodType>(body: unknown, key: string, schema: S): ParseResult<z.output<S>> {
  try {
    if (!isPlainObject(body)) return { ok: false, error: `expected a JSON object with a "${key}" field, got ${describe(body)}` };
    if (!(key in body)) return { ok: false, error: `missing the "${key}" field (fields present: ${Object.keys(body).slice(0, 5).join(', ') || 'none'})` };
    const inner = body[key];
    if (!isPlainObject(inner)) return { ok: false, error: `"${key}" must be an object, got ${describe(inner)}` };
    const parsed = schema.safeParse(inner);
    if (parsed.success) return { ok: true, value: parsed.data };
    const problems = parsed.error.issues.slice(0, 3).map((i) => `${[key, ...i.path.map(String)].join('.')}: ${i.message}`);
    return { ok: false, error: problems.join('; ') };
  } catch (err) {
    // Schemas do not throw on JSON, but a parse must never take the caller down.
    return { ok: false, error: `unreadable ${key} payload: ${(err as Error).message}` };
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

