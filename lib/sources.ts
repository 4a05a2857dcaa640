// The event sources Parley hears: one line each (docs/architecture.md#sources).
import { discourseSource } from './discourse/source.js';
import { gitlabSource } from './gitlab/source.js';
import type { SourceName } from './rules.js';
import type { SourceProfile } from './seams/source.js';

export const SOURCES: readonly SourceProfile[] = [discourseSource, gitlabSource];

export function sourceProfile(name: SourceName): SourceProfile {
  const profile = SOURCES.find((s) => s.name === name);
  if (!profile) throw new Error(`no source ${name} in lib/sources.ts`);
  return profile;
}
