// The route report: which channels a webhook body would reach, and through which rule, without sending or queueing
// anything; `parley route` (./route.ts) prints it, POST /api/route (./admin/routes-tools.ts) answers it. The decision
// is the ingest job's own (planPost in lib/routing.ts, which jobs/ingest.ts carries out), made in its read-only
// `explain` mode; this file only adds the explanations: rule numbers, mutes that won, notes on channels, and why
// nothing would be sent. GitLab webhooks: ./route-gitlab.ts.
import type { Config } from '../lib/config.js';
import { CategoryCache } from '../lib/discourse/categories.js';
import { DiscourseClient } from '../lib/discourse/client.js';
import { isSkip } from '../lib/discourse/normalize.js';
import { TopicCache } from '../lib/discourse/topics.js';
import { categoryPath, matchInput, type PostEvent, type PostEventKind } from '../lib/events.js';
import { LiveRules } from '../lib/live-rules.js';
import type { Logger } from '../lib/log.js';
import { planPost, type PostFacts } from '../lib/routing.js';
import { isSourceName, SOURCE_NAMES } from '../lib/rules.js';
import type { Store } from '../lib/seams/store.js';
import { gitlabReport, parseGitLabEvent, type GitLabRouteReport } from './route-gitlab.js';
import { explainChannels, RouteRefusal, type MutedChannel, type RouteAsker, type RoutedChannel } from './route-shared.js';

export const POST_EVENTS = ['post_created', 'post_edited', 'post_destroyed', 'post_recovered'] as const satisfies readonly PostEventKind[];

/** What the ingest job does with post events other than post_created (see jobs/ingest.ts). */
const NOT_ANNOUNCED: Record<Exclude<PostEventKind, 'post_created'>, string> = {
  post_edited:
    'an edit is never announced on its own; announcements of this post still waiting out the delivery delay go out with the new text, and ones already sent are edited to it',
  post_destroyed: 'a deletion is never announced; announcements of this post still waiting out the delivery delay are cancelled, and ones already sent are deleted from the chat',
  post_recovered: 'a recovered post is not announced again',
};

/** An edit that makes the post one never announced (hidden, a whisper, …) takes its announcements back. */
const EDIT_WITHDRAWS = (skip: string): string =>
  `an edit is never announced on its own, and this one makes the post one that is not announced (${skip}): announcements of it still waiting out the delivery delay are cancelled, and ones already sent are deleted from the chat`;

/** `retry`: the forum could not tell what the decision needs, and the ingest job would try again later. */
export type RouteOutcome = 'delivered' | 'no_match' | 'skipped' | 'private_message' | 'not_announced' | 'retry';

export interface RouteReport {
  event: PostEventKind;
  post: {
    id: number;
    topicId: number;
    postNumber: number;
    firstPost: boolean;
    title: string;
    author: string;
    url: string;
    categoryId: number | null;
    category: string | null;
    restricted: boolean | null;
    /** Unknown to Parley, which cannot ask the forum: the payload's category_slug stands in, read-restricted. */
    categoryStandIn: boolean;
    privateMessage: boolean;
    tags: string[];
  };
  outcome: RouteOutcome;
  reason: string | null;
  channels: RoutedChannel[];
  muted: MutedChannel[];
}

/** The options of a route request, checked before the body is read: which source, and its headers. */
export type RouteOptions = { source: 'discourse'; event: PostEventKind | null; instance: string | null } | { source: 'gitlab'; event: string | null };

/** What a route report needs: the store, the configuration (platforms, the forum's API key) and a log. */
export interface RouteContext {
  store: Store;
  config: Config;
  log: Logger;
}

/** X-Discourse-Event is not in the body: a `post` body is taken for post_created, the common case. */
function inferEvent(body: unknown, asker: RouteAsker): PostEventKind {
  if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
    const keys = Object.keys(body);
    if (keys.includes('post')) return 'post_created';
    if (keys.includes('object_kind')) throw new RouteRefusal('body', `${asker.body} looks like a GitLab webhook body: add ${asker.option('source', 'gitlab')}.`);
    if (keys.length > 0) {
      throw new RouteRefusal(
        'body',
        `${asker.body} is a "${keys[0]}" webhook; ${asker.tool} follows post events only (${POST_EVENTS.join(', ')}). Topic and category webhooks only feed Parley's caches.`,
      );
    }
  }
  throw new RouteRefusal('body', `${asker.body} is not a Discourse webhook body: expected a JSON object such as {"post": {…}}.`);
}

function parseEvent(value: string | undefined, asker: RouteAsker): PostEventKind | null {
  if (value === undefined) return null;
  const event = value.trim().toLowerCase();
  if (!(POST_EVENTS as readonly string[]).includes(event)) {
    throw new RouteRefusal('event', `${asker.option('event')} "${value}" is not a post event: use one of ${POST_EVENTS.join(', ')} (what Discourse sends as X-Discourse-Event).`);
  }
  return event as PostEventKind;
}

function parseInstance(value: string | undefined, asker: RouteAsker): string | null {
  if (value === undefined) return null;
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return value.replace(/\/+$/, '');
  } catch {
    // fall through to the refusal below
  }
  throw new RouteRefusal(
    'instance',
    `${asker.option('instance')} "${value}" is not an http(s) URL: give the forum's base URL, as Discourse sends it in X-Discourse-Instance (https://forum.example.org).`,
  );
}

/** The source (discourse when left out) and its options, each checked; a RouteRefusal says what is wrong. */
export function checkRouteOptions(given: { source?: string; event?: string; instance?: string }, asker: RouteAsker): RouteOptions {
  const source = (given.source ?? 'discourse').trim().toLowerCase();
  if (!isSourceName(source)) throw new RouteRefusal('source', `${asker.option('source')} "${given.source}" is not a source: use one of ${SOURCE_NAMES.join(', ')}.`);
  if (source === 'gitlab') {
    if (given.instance !== undefined) throw new RouteRefusal('instance', `${asker.option('instance')} is for Discourse webhooks: a GitLab body carries its own URLs.`);
    return { source, event: parseGitLabEvent(given.event, asker) };
  }
  return { source, event: parseEvent(given.event, asker), instance: parseInstance(given.instance, asker) };
}

/** The forum's REST API when an API key is configured. No shared budget: a route asks at most twice. */
function forumClient(config: Config, log: Logger): DiscourseClient | null {
  const d = config.discourse;
  return d?.apiKey ? new DiscourseClient({ baseUrl: d.url, apiKey: d.apiKey, apiUsername: d.apiUsername, budget: null, log }) : null;
}

const WITHOUT_API = 'no category webhook was seen for it, and without PARLEY_DISCOURSE_API_KEY Parley cannot ask the forum';

/** Why no channel gets a post that is a regular post in a category. */
function noMatchReason(event: PostEvent, facts: PostFacts, ruleCount: number, muted: number): string {
  if (ruleCount === 0) return 'there are no rules at all. Add one with: parley rules add PLATFORM:ID watch c/CATEGORY';
  const mutedToo = muted > 0 ? ' that a mute does not override' : '';
  if (event.category === null) {
    return `Parley does not know category_id ${facts.post.category_id ?? '?'} (${WITHOUT_API}), and the payload names no category_slug. A post in an unknown category counts as restricted, so no rule delivers it.`;
  }
  const path = categoryPath(event.category);
  const tags = event.tags.length > 0 ? event.tags.map((t) => `t/${t}`).join(', ') : 'no tags';
  if (facts.categoryStandIn) {
    return `Parley does not know category_id ${event.category.id} (${WITHOUT_API}). It goes by the payload's category_slug: c/${path}, counted as read-restricted, so only a rule naming c/${path} delivers it, and no channel has one${mutedToo}.`;
  }
  if (event.category.restricted) {
    return `c/${path} is read-restricted in the forum, so only a rule naming c/${path} delivers it, and no channel has one${mutedToo}.`;
  }
  if (muted > 0) return `the only rules that cover c/${path} (${tags}) are mutes.`;
  return `no rule covers c/${path} (${tags})${event.isFirstPost ? '' : ', and follow rules take first posts only'}.`;
}

/** What the ingest job would do with a post the forum could not tell it enough about. */
function retryReason(reason: string): string {
  return `the forum could not tell Parley what it needs (${reason}). The ingest job does not match such a post blind: it keeps the event and tries again with backoff (for about 18 hours), and delivers it by the rules once the forum answers.`;
}

async function discourseReport({ store, config, log }: RouteContext, body: unknown, kind: PostEventKind, instance: string | null): Promise<RouteReport> {
  const client = forumClient(config, log);
  // The ingest job's own decision (lib/routing.ts), made read-only: nothing is recorded, sent or queued.
  const plan = await planPost(
    { event: kind, eventId: 'parley-route', instance, body },
    {
      store,
      rules: new LiveRules(store),
      categories: new CategoryCache({ store: store.categories, client, log }),
      topics: new TopicCache({ store: store.topics, client, log }),
      baseUrl: (given) => config.discourse?.url ?? given ?? '',
      forumApi: client !== null,
      // The platforms the running service would deliver to with this configuration; ingest skips the others.
      platforms: new Set(config.platforms.map((p) => p.profile.name)),
      delivery: config.delivery,
    },
    'explain',
  );
  if (plan.action === 'invalid') throw new RouteRefusal('body', `Not a Discourse post webhook body: ${plan.reason}.`);
  const facts = plan.facts;
  if (!facts) throw new Error(`route report: a ${plan.action} plan without the post's facts`);
  const { post, category, normalized } = facts;

  const summary: RouteReport['post'] = {
    id: post.id,
    topicId: post.topic_id,
    postNumber: post.post_number,
    firstPost: post.post_number === 1,
    title: post.topic_title ?? '',
    author: post.username ?? 'unknown',
    url: isSkip(normalized) ? '' : normalized.url,
    categoryId: post.category_id ?? null,
    category: category ? categoryPath(category) : null,
    restricted: category ? category.restricted : null,
    categoryStandIn: facts.categoryStandIn,
    privateMessage: isSkip(normalized) ? post.topic_archetype === 'private_message' : normalized.privateMessage,
    tags: facts.tags,
  };
  const report = (outcome: RouteOutcome, reason: string | null): RouteReport => ({ event: kind, post: summary, outcome, reason, channels: [], muted: [] });

  if (plan.action === 'retry') return report('retry', retryReason(plan.reason));
  if (isSkip(normalized)) {
    if (plan.action === 'withdraw' && !plan.deleted) return report('not_announced', EDIT_WITHDRAWS(normalized.skip));
    return report('skipped', `the post is skipped: ${normalized.skip}`);
  }
  if (normalized.privateMessage) return report('private_message', 'it is a private message, and private messages are never delivered to any channel');
  if (plan.action !== 'deliver') return report('not_announced', kind === 'post_created' ? 'the ingest job would not announce it' : NOT_ANNOUNCED[kind]);

  const { event } = plan;
  return { ...report('delivered', null), ...(await explainChannels(store, plan.channels, matchInput(event), (rules, muted) => noMatchReason(event, facts, rules, muted))) };
}

/** The report for a webhook body of either source; a body it cannot take is a RouteRefusal saying why. */
export async function routeReport(ctx: RouteContext, options: RouteOptions, body: unknown, asker: RouteAsker): Promise<RouteReport | GitLabRouteReport> {
  if (options.source === 'gitlab') return gitlabReport(ctx.store, ctx.config, body, options.event, asker);
  return discourseReport(ctx, body, options.event ?? inferEvent(body, asker), options.instance);
}
