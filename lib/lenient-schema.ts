// The lenient zod pieces webhook bodies are read with (lib/discourse/payloads.ts, lib/gitlab/payloads.ts): senders
// add, drop and retype fields between versions, so only what Parley cannot do without is required, and a wrong
// type in an optional field reads as absent rather than failing the whole body.
import { z } from 'zod';

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

/** What a value is, for error messages: `the string "abc"`, `an array`, `number 3`. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 20 ? `${v.slice(0, 20)}…` : v)}`;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return `${typeof v} ${v}`;
  return typeof v === 'object' ? 'an object' : typeof v;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Integers that may arrive as JSON numbers or numeric strings. */
export const integer = z.preprocess(
  (v) => (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v) ? Number(v) : v),
  z.number({ error: (issue) => `expected an integer, got ${describe(issue.input)}` }).int(),
);

/** `true`/`false`, also as strings or 0/1, as some proxies and older versions send them. */
export const boolean = z.preprocess((v) => {
  if (v === 'true' || v === 1 || v === '1') return true;
  if (v === 'false' || v === 0 || v === '0') return false;
  return v;
}, z.boolean());

// Optional fields never fail a parse: a wrong type reads as absent.
export const optInt = integer.nullish().catch(undefined);
export const optBool = boolean.nullish().catch(undefined);
export const optStr = z.string().nullish().catch(undefined);
