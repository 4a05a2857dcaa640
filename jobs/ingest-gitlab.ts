// GitLab webhooks into deliveries: carries out what lib/gitlab/routing.ts decides (the decision `parley route
// --source gitlab` explains) with the same functions as forum posts (jobs/ingest.ts): one delivery job per
// channel, edits and withdrawals of announcements already made.
import { planGitLabEvent, type GitLabRoutingDeps } from '../lib/gitlab/routing.js';
import type { GitLabDeliverable } from '../lib/gitlab/normalize.js';
import type { Logger } from '../lib/log.js';
import type { GitLabIngestJob } from '../lib/seams/jobs.js';
import type { Carrier, IngestOutcome } from './ingest.js';

export interface GitLabIngestDeps extends GitLabRoutingDeps {
  log: Logger;
  /** GitLab's client, whose project lookups (visibility, for rule checks) are forgotten when a project changes. */
  gitlab?: { invalidate(pathOrId?: string | number): void } | null;
}

export function createGitLabIngest(deps: GitLabIngestDeps, carry: Carrier) {
  // What the webhooks last said of each project. GitLab sends no webhook when a project is renamed or its
  // visibility changes, but the next event of the project shows it: then the client's cached lookups go.
  const seen = new Map<number, { path: string; visibility: string | null }>();

  function notice(event: GitLabDeliverable | null): void {
    if (!event || !deps.gitlab) return;
    const { id, path, visibility } = event.project;
    const before = seen.get(id);
    seen.set(id, { path, visibility });
    if (!before || (before.path === path && before.visibility === visibility)) return;
    for (const key of new Set<string | number>([id, path, before.path])) deps.gitlab.invalidate(key);
    deps.log.info({ project: path, visibility }, 'gitlab project renamed or its visibility changed: its cached lookups are forgotten');
  }

  return async function onGitLab(data: GitLabIngestJob): Promise<IngestOutcome> {
    const plan = await planGitLabEvent(data, deps);
    switch (plan.action) {
      case 'invalid':
        deps.log.warn({ eventId: data.eventId, event: data.event, reason: plan.reason }, 'gitlab webhook body not understood: ignored');
        return { result: 'ignored', reason: plan.reason };
      case 'ignore':
        notice(plan.event);
        return { result: 'ignored', reason: plan.reason };
      case 'withdraw':
        notice(plan.event);
        return carry.withdraw(plan.subject, data.eventId, plan.deleted);
      case 'update':
        notice(plan.event);
        return carry.update(plan.subject, plan.notification, data.eventId);
      case 'deliver':
        notice(plan.event);
        // The subject keys the delivery: one per announcement and channel, whichever hook or retry brought it.
        return { result: 'queued', deliveries: await carry.queueDeliveries(plan.notification.subject, plan.opens, plan.notification, plan.channels) };
    }
  };
}
