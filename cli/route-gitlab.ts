// The route report of a GitLab webhook (`parley route FILE --source gitlab`, POST /api/route with source gitlab):
// which channels it would reach, and through which rule, or why none. The decision is the ingest job's own
// (planGitLabEvent in lib/gitlab/routing.ts, which jobs/ingest-gitlab.ts carries out); it reads only rules and
// channels, so nothing is asked of GitLab, recorded, sent or queued.
import type { Config } from '../lib/config.js';
import { LiveRules } from '../lib/live-rules.js';
import type { GitLabDeliverable } from '../lib/gitlab/normalize.js';
import { HOOK_OBJECT_KINDS, isPlainObject } from '../lib/gitlab/payloads.js';
import { hiddenReason, planGitLabEvent, type GitLabPlan } from '../lib/gitlab/routing.js';
import type { Store } from '../lib/seams/store.js';
import { explainChannels, RouteRefusal, type MutedChannel, type RouteAsker, type RoutedChannel } from './route-shared.js';

/** `event` values: the X-Gitlab-Event headers Parley knows (the body's object_kind decides when left out). */
const EVENTS = Object.keys(HOOK_OBJECT_KINDS);
export const GITLAB_EVENTS_HELP = 'Issue Hook, Confidential Issue Hook, Note Hook, …';

/**
 * `delivered`/`no_match`: announced, to these channels or none; `confidential`: never announced anywhere;
 * `not_announced`: an edit or a withdrawal of an earlier announcement; `ignored`: a kind or action Parley leaves out.
 */
export type GitLabOutcome = 'delivered' | 'no_match' | 'confidential' | 'not_announced' | 'ignored';

export interface GitLabRouteReport {
  source: 'gitlab';
  /** X-Gitlab-Event as given; null when left out. */
  event: string | null;
  /** The body's object_kind. */
  objectKind: string | null;
  /** What the body is about, when it is one of the kinds Parley reads. */
  object: {
    kind: GitLabDeliverable['kind'];
    action: string;
    project: string;
    visibility: string | null;
    /** Reaches a channel only through a rule naming the project (not public, or confidential). */
    restricted: boolean;
    title: string;
    author: string | null;
    url: string;
    labels: string[];
  } | null;
  outcome: GitLabOutcome;
  reason: string | null;
  channels: RoutedChannel[];
  muted: MutedChannel[];
}

/** The X-Gitlab-Event as GitLab spells it, whatever the case it was given in. */
export function parseGitLabEvent(value: string | undefined, asker: RouteAsker): string | null {
  if (value === undefined) return null;
  const wanted = value.trim().toLowerCase();
  const found = EVENTS.find((e) => e.toLowerCase() === wanted);
  if (!found) throw new RouteRefusal('event', `${asker.option('event')} "${value}" is not an X-Gitlab-Event Parley knows: use one of ${EVENTS.join(', ')}.`);
  return found;
}

function summarize(event: GitLabDeliverable, plan: GitLabPlan): GitLabRouteReport['object'] {
  const action = 'action' in event ? event.action : event.status;
  const title =
    plan.action === 'deliver' || plan.action === 'update'
      ? plan.notification.title
      : event.kind === 'note'
        ? event.noteable.title
        : event.kind === 'pipeline'
          ? `pipeline ${event.id}`
          : event.kind === 'release'
            ? event.name
            : event.title;
  return {
    kind: event.kind,
    action,
    project: event.project.path,
    visibility: event.project.visibility,
    restricted: plan.action === 'deliver' ? plan.input.restricted : event.project.visibility !== 'public',
    title,
    author: event.author?.username ?? null,
    url: event.url,
    labels: event.labels,
  };
}

/** Why a GitLab event that is announced reaches no channel. */
function noMatchReason(event: GitLabDeliverable, opens: boolean, ruleCount: number, muted: number): string {
  if (ruleCount === 0) return 'there are no GitLab rules at all. Add one with: parley rules add PLATFORM:ID gitlab watch p/GROUP/PROJECT';
  const path = event.project.path.toLowerCase();
  const mutedToo = muted > 0 ? ' that a mute does not override' : '';
  if (event.project.visibility !== 'public') {
    const visibility = event.project.visibility ? `${event.project.visibility}` : 'of unknown visibility';
    return `p/${path} is ${visibility} in GitLab, so only a rule naming p/${path} delivers it, and no channel has one${mutedToo}.`;
  }
  const covering = [...event.project.namespaces.map((g) => `g/${g.toLowerCase()}`), ...event.labels.map((l) => `l/${l.toLowerCase()}`)];
  const scopes = [`p/${path}`, ...covering].join(', ');
  if (muted > 0) return `the only rules that cover ${scopes} are mutes.`;
  return `no rule covers ${scopes}${opens ? '' : ', and follow rules take only what opens something (new issues and merge requests, releases, failed pipelines)'}.`;
}

export async function gitlabReport(store: Store, config: Config, body: unknown, event: string | null, asker: RouteAsker): Promise<GitLabRouteReport> {
  const plan = await planGitLabEvent(
    { event, eventId: 'parley-route', body },
    {
      store,
      rules: new LiveRules(store),
      // The platforms the running service would deliver to with this configuration; ingest skips the others.
      platforms: new Set(config.platforms.map((p) => p.profile.name)),
      delivery: config.delivery,
    },
  );
  if (plan.action === 'invalid') throw new RouteRefusal('body', `${asker.body} is not a GitLab webhook body Parley can read: ${plan.reason}.`);
  const subject = plan.event;
  const report = (outcome: GitLabOutcome, reason: string | null): GitLabRouteReport => ({
    source: 'gitlab',
    event,
    objectKind: isPlainObject(body) && typeof body.object_kind === 'string' ? body.object_kind : null,
    object: subject ? summarize(subject, plan) : null,
    outcome,
    reason,
    channels: [],
    muted: [],
  });

  switch (plan.action) {
    case 'ignore':
      if (plan.event && hiddenReason(plan.event)) return report('confidential', `${plan.reason}, to any channel, whatever the rules`);
      return report('ignored', `${plan.reason}. GitLab still gets a 2xx answer, so the webhook stays enabled.`);
    case 'update':
      return report(
        'not_announced',
        'an edit is never announced on its own; announcements of it still waiting out the delivery delay go out with the new text, and ones already sent are edited to it',
      );
    case 'withdraw':
      return report('not_announced', `${plan.reason}: announcements of it still waiting out the delivery delay are cancelled, and ones already sent are deleted from the chat`);
    case 'deliver': {
      const { event, opens } = plan;
      return { ...report('delivered', null), ...(await explainChannels(store, plan.channels, plan.input, (rules, muted) => noMatchReason(event, opens, rules, muted))) };
    }
  }
}
