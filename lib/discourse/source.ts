// Discourse as an event source (lib/seams/source.ts).
import type { SourceProfile } from '../seams/source.js';

export const discourseSource: SourceProfile = {
  name: 'discourse',
  label: 'Discourse',
  from: 'the forum',
  command: 'discourse',
  exampleScope: 'c/meta',
  follows: 'only the first post of each new topic',
};
