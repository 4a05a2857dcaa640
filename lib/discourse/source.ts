// Discourse as an event source (lib/seams/source.ts).
import type { EventSource } from '../seams/source.js';
import { registerDiscourseHook } from './hook.js';
import { discourseSetup } from './setup.js';

export const discourseSource: EventSource = {
  name: 'discourse',
  label: 'Discourse',
  from: 'the forum',
  command: 'discourse',
  exampleScope: 'c/meta',
  follows: 'only the first post of each new topic',
  scopes: [
    { prefix: 'c', type: 'category', segments: { min: 1, max: 2 }, usage: 'use c/SLUG or c/PARENT/CHILD, as in c/meta or c/support/billing', forms: ['c/CATEGORY', 'c/PARENT/CHILD'] },
    { prefix: 't', type: 'tag', segments: { min: 1, max: 1 }, usage: 'a tag has no spaces or slashes, as in t/release', forms: ['t/TAG'] },
  ],
  setup: discourseSetup,
  // Registered even when the forum is not configured: then it answers 503 and says why (lib/discourse/hook.ts).
  registerHook(app, config, deps) {
    const d = config.discourse;
    registerDiscourseHook(app, {
      secret: d?.webhookSecret ?? null,
      allowUnsigned: d?.allowUnsigned ?? false,
      log: deps.log,
      accept: (delivery) => deps.accept({ source: 'discourse', ...delivery }),
    });
  },
};
