// The path template of an API spec (OpenAPI `paths`) that a concrete request path matches, for the spec checks of
// the test doubles (discord-spec.ts, matrix-spec.ts).

/**
 * The entry whose template segments (`rooms`, `{roomId}`, …) match the path's, with the path parameters; where
 * several match, the one with the most literal segments (`/rooms/{roomId}/joined_members` over
 * `/rooms/{roomId}/{anything}`).
 */
export function matchTemplate<T extends { segments: readonly string[] }>(entries: readonly T[], parts: readonly string[]): { entry: T; params: Record<string, string> } | null {
  let best: { entry: T; params: Record<string, string>; literals: number } | null = null;
  for (const entry of entries) {
    if (entry.segments.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let literals = 0;
    let ok = true;
    for (const [i, seg] of entry.segments.entries()) {
      const part = parts[i]!;
      const name = /^\{(.+)\}$/u.exec(seg)?.[1];
      if (name !== undefined) params[name] = part;
      else if (seg === part) literals++;
      else {
        ok = false;
        break;
      }
    }
    if (ok && (best === null || literals > best.literals)) best = { entry, params, literals };
  }
  return best ? { entry: best.entry, params: best.params } : null;
}

/** A JSON Schema as a spec holds it. */
export type Schema = Record<string, unknown>;

/** An operation's parameter (path or query), as OpenAPI writes it. */
export interface OpenApiParameter {
  name: string;
  in: string;
  required?: boolean;
  schema?: Schema;
}

/** The parts of an OpenAPI operation the spec checks read. */
export interface OpenApiOperation {
  parameters?: OpenApiParameter[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Schema }> };
  responses?: Record<string, { content?: Record<string, { schema?: Schema }> }>;
  security?: Record<string, unknown>[];
}
