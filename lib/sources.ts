// The event sources Parley hears: one line each (docs/architecture.md#sources).
import { discourseSource } from './discourse/source.js';
import { gitlabSource } from './gitlab/source.js';
import type { SourceName } from './rules.js';
import type { EventSource } from './seams/source.js';

export const SOURCES: readonly EventSource[] = [discourseSource, gitlabSource];

export function sourceProfile(name: SourceName): EventSource {
  const source = SOURCES.find((s) => s.name === name);
  if (!source) throw new Error(`no source ${name} in lib/sources.ts`);
  return source;
}
