// GitLab as an event source (lib/seams/source.ts).
import type { SourceProfile } from '../seams/source.js';

export const gitlabSource: SourceProfile = {
  name: 'gitlab',
  label: 'GitLab',
  from: 'GitLab',
  command: 'gitlab',
  exampleScope: 'p/group/project',
  follows: 'only what opens something: new issues and merge requests, releases, failed pipelines',
};
