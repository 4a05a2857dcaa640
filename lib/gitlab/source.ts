// GitLab as an event source (lib/seams/source.ts).
import type { EventSource } from '../seams/source.js';
import { registerGitLabHook } from './hook.js';
import { gitlabSetup } from './setup.js';

export const gitlabSource: EventSource = {
  name: 'gitlab',
  label: 'GitLab',
  from: 'GitLab',
  command: 'gitlab',
  exampleScope: 'p/group/project',
  follows: 'only what opens something: new issues and merge requests, releases, failed pipelines',
  scopes: [
    // GitLab nests groups up to 20 levels: a project path has its namespace and its own name.
    { prefix: 'p', type: 'project', segments: { min: 2, max: 21 }, usage: 'use p/GROUP/PROJECT (subgroups as in GitLab: p/group/sub/project)', forms: ['p/GROUP/PROJECT'] },
    { prefix: 'g', type: 'group', segments: { min: 1, max: 20 }, usage: 'use g/GROUP or g/GROUP/SUBGROUP', forms: ['g/GROUP'] },
    // Labels may hold spaces and slashes (`needs review`, `scope::value`): everything after `l/`.
    { prefix: 'l', type: 'label', segments: 'label', usage: 'use l/LABEL, as in l/bug (quote one with spaces: "l/needs review")', forms: ['l/LABEL'] },
  ],
  setup: gitlabSetup,
  registerHook(app, config, deps) {
    const g = config.gitlab;
    if (!g) return;
    registerGitLabHook(app, {
      secret: g.webhookSecret,
      signingToken: g.signingToken,
      log: deps.log,
      accept: ({ key, event, body }) => deps.accept({ source: 'gitlab', eventId: key, event, body }),
    });
  },
};
