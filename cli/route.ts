// `parley route FILE`: which channels a Discourse webhook would reach, and through which rule, without
// sending or queueing anything. The decision is the ingest job's own (planPost in lib/routing.ts, which
// jobs/ingest.ts carries out), made in its read-only `explain` mode; this file only adds the explanations:
// rule numbers, mutes that won, notes on channels, and why nothing would be sent.
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { Config } from '../lib/config.js';
import { CategoryCache } from '../lib/discourse/categories.js';
import { DiscourseClient } from '../lib/discourse/client.js';
import { isSkip } from '../lib/discourse/normalize.js';
import { TopicCache } from '../lib/discourse/topics.js';
import { categoryPath, matchInput, type PostEvent, type PostEventKind } from '../lib/events.js';
import { LiveRules } from '../lib/live-rules.js';
import type { Logger } from '../lib/log.js';
import { RuleIndex } from '../lib/matching.js';
import { planPost, type PlannedChannel, type PostFacts } from '../lib/routing.js';
import type { ChannelRecord, Store } from '../lib/seams/store.js';
import { withStore } from './context.js';
import { CliError, formatChannelName, printJson, printLines } from './output.js';
import { numberedRules, ruleText } from './rules.js';

const POST_EVENTS = ['post_created', 'post_edited', 'post_destroyed', 'post_recovered'] as const satisfies readonly PostEventKind[];

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
type Outcome = 'delivered' | 'no_match' | 'skipped' | 'private_message' | 'not_announced' | 'retry';

interface RuleRef {
  number: number;
  id: number;
  text: string;
}

interface RoutedChannel {
  channel: string;
  channelId: number;
  filter: string;
  rule: RuleRef;
  status: ChannelRecord['status'];
  /** The ingest job would queue a delivery for it (false: its platform is not configured here). */
  queued: boolean;
  /** Why this match would still not reach the room, if it would not. */
  note: string | null;
}

interface RouteReport {
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
  outcome: Outcome;
  reason: string | null;
  channels: RoutedChannel[];
  muted: { channel: string; channelId: number; rule: RuleRef }[];
}

async function readBody(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new CliError(`Cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new CliError(`${file} is not JSON (${(err as Error).message}); give the body of a Discourse webhook, as in {"post": {…}}.`);
  }
}

/** X-Discourse-Event is not in the body: a `post` body is taken for post_created, the common case. */
function inferEvent(file: string, body: unknown): PostEventKind {
  if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
    const keys = Object.keys(body);
    if (keys.includes('post')) return 'post_created';
    if (keys.length > 0) {
      throw new CliError(
        `${file} is a "${keys[0]}" webhook; parley route follows post events only (${POST_EVENTS.join(', ')}). Topic and category webhooks only feed Parley's caches.`,
      );
    }
  }
  throw new CliError(`${file} is not a Discourse webhook body: expected a JSON object such as {"post": {…}}.`);
}

function parseEventOption(value: string | undefined): PostEventKind | undefined {
  if (value === undefined) return undefined;
  const event = value.trim().toLowerCase();
  if (!(POST_EVENTS as readonly string[]).includes(event)) {
    throw new CliError(`--event "${value}" is not a post event: use one of ${POST_EVENTS.join(', ')} (what Discourse sends as X-Discourse-Event).`);
  }
  return event as PostEventKind;
}

function parseInstance(value: string | undefined): string | null {
  if (value === undefined) return null;
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return value.replace(/\/+$/, '');
  } catch {
    // fall through to the error below
  }
  throw new CliError(`--instance "${value}" is not an http(s) URL: give the forum's base URL, as Discourse sends it in X-Discourse-Instance (https://forum.example.org).`);
}

/** The forum's REST API when an API key is configured. No shared budget: a route asks at most twice. */
function forumClient(config: Config, log: Logger): DiscourseClient | null {
  const d = config.discourse;
  return d?.apiKey ? new DiscourseClient({ baseUrl: d.url, apiKey: d.apiKey, apiUsername: d.apiUsername, budget: null, log }) : null;
}

/** Why a channel the plan sends to would still not get the post, if it would not. */
function noteFor(c: PlannedChannel): string | null {
  if (c.skip) return `${c.skip}, so the ingest job would skip it`;
  const channel = c.channel;
  if (channel.status === 'pending') return 'pending approval: the delivery would be cancelled (approve with parley channels add)';
  if (channel.status === 'error') return `in error (${channel.lastError?.code ?? 'unknown'}): it would be tried, and becomes active again if it succeeds`;
  return null;
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

async function buildReport(store: Store, config: Config, log: Logger, body: unknown, kind: PostEventKind, instance: string | null): Promise<RouteReport> {
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
  if (plan.action === 'invalid') throw new CliError(`Not a Discourse post webhook body: ${plan.reason}.`);
  const facts = plan.facts;
  if (!facts) throw new Error(`parley route: a ${plan.action} plan without the post's facts`);
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
  const report = (outcome: Outcome, reason: string | null): RouteReport => ({ event: kind, post: summary, outcome, reason, channels: [], muted: [] });

  if (plan.action === 'retry') return report('retry', retryReason(plan.reason));
  if (isSkip(normalized)) {
    if (plan.action === 'withdraw' && !plan.deleted) return report('not_announced', EDIT_WITHDRAWS(normalized.skip));
    return report('skipped', `the post is skipped: ${normalized.skip}`);
  }
  if (normalized.privateMessage) return report('private_message', 'it is a private message, and private messages are never delivered to any channel');
  if (plan.action !== 'deliver') return report('not_announced', kind === 'post_created' ? 'the ingest job would not announce it' : NOT_ANNOUNCED[kind]);

  const rules = await store.rules.all();
  const input = matchInput(plan.event);
  // Mutes that win: the same question asked of the mute rules alone, which cover an event wherever
  // their scope does (restricted or not), as in lib/matching.ts.
  const mutes = new RuleIndex(rules.filter((r) => r.filter === 'mute').map((r) => ({ ...r, filter: 'watch' as const }))).match({ ...input, restricted: false });

  const ruleRef = async (channelId: number, ruleId: number): Promise<RuleRef> => {
    const found = (await numberedRules(store, channelId)).find((n) => n.rule.id === ruleId);
    return { number: found?.number ?? 0, id: ruleId, text: found ? ruleText(found.rule) : '?' };
  };
  const result = report(plan.channels.length > 0 ? 'delivered' : 'no_match', null);
  for (const c of plan.channels) {
    result.channels.push({
      channel: formatChannelName(c.channel),
      channelId: c.channel.id,
      filter: c.filter,
      rule: await ruleRef(c.channel.id, c.ruleId),
      status: c.channel.status,
      queued: c.skip === null,
      note: noteFor(c),
    });
  }
  for (const m of mutes) {
    const channel = await store.channels.get(m.channelId);
    if (channel) result.muted.push({ channel: formatChannelName(channel), channelId: channel.id, rule: await ruleRef(channel.id, m.ruleId) });
  }
  if (result.channels.length === 0) result.reason = noMatchReason(plan.event, facts, rules.length, result.muted.length);
  return result;
}

function printReport(r: RouteReport): void {
  const p = r.post;
  const where = p.privateMessage
    ? 'a private message'
    : p.categoryStandIn
      ? `category_id ${p.categoryId ?? 'none'} (unknown to Parley; taken for c/${p.category ?? '?'} by its category_slug, read-restricted)`
      : p.category
        ? `c/${p.category}${p.restricted ? ' (read-restricted)' : ''}`
        : `category_id ${p.categoryId ?? 'none'} (unknown to Parley)`;
  const lines = [
    `${r.event}: post ${p.id} (topic ${p.topicId}, post #${p.postNumber}${p.firstPost ? ', first post' : ''}) by ${p.author} in ${where}, tags: ${p.tags.length > 0 ? p.tags.join(', ') : 'none'}`,
    `"${p.title}"${p.url ? `  ${p.url}` : ''}`,
  ];
  if (r.channels.length > 0) {
    lines.push(`Would go to ${r.channels.length === 1 ? '1 channel' : `${r.channels.length} channels`}:`);
    const width = Math.max(...r.channels.map((c) => c.channel.length));
    for (const c of r.channels) {
      lines.push(`  ${c.channel.padEnd(width)}  ${c.filter.padEnd(6)}  via rule #${c.rule.number} "${c.rule.text}"${c.note ? `  (${c.note})` : ''}`);
    }
  } else {
    lines.push(`Nothing would be sent${r.outcome === 'retry' ? ' now' : ''}: ${r.reason ?? 'no rule matches'}`);
  }
  if (r.muted.length > 0) {
    lines.push('Muted:');
    const width = Math.max(...r.muted.map((c) => c.channel.length));
    for (const m of r.muted) lines.push(`  ${m.channel.padEnd(width)}  mute    via rule #${m.rule.number} "${m.rule.text}"`);
  }
  printLines(...lines);
}

async function route(file: string, opts: { event?: string; instance?: string; json?: boolean }): Promise<void> {
  const explicitEvent = parseEventOption(opts.event);
  const instance = parseInstance(opts.instance);
  const body = await readBody(file);
  const kind = explicitEvent ?? inferEvent(file, body);
  await withStore(async ({ store, config, log }) => {
    const report = await buildReport(store, config, log, body, kind, instance);
    if (opts.json) printJson(report);
    else printReport(report);
  });
}

export function routeCommand(program: Command): void {
  program
    .command('route')
    .description('show which channels a Discourse webhook would reach and through which rule; sends and queues nothing')
    .argument('<file>', 'a webhook body saved as JSON, as in {"post": {…}}')
    .option('--event <event>', `the X-Discourse-Event: ${POST_EVENTS.join(', ')} (default: post_created for a post body)`)
    .option('--instance <url>', 'the X-Discourse-Instance, for post links when PARLEY_DISCOURSE_URL is not set')
    .option('--json', 'print the answer as JSON')
    .action(route);
}
