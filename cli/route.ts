// `parley route FILE`: which channels a Discourse webhook would reach, and through which rule, without
// sending or queueing anything. It runs the same steps as the ingest job (jobs/ingest.ts): parse, resolve
// category and tags through the caches, normalize, match the rules in the store.
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { Config } from '../lib/config.js';
import { CategoryCache } from '../lib/discourse/categories.js';
import { DiscourseClient } from '../lib/discourse/client.js';
import { isSkip, toPostEvent } from '../lib/discourse/normalize.js';
import { parsePostWebhook } from '../lib/discourse/payloads.js';
import { TopicCache } from '../lib/discourse/topics.js';
import { categoryPath, matchInput, type PostEvent, type PostEventKind } from '../lib/events.js';
import type { Logger } from '../lib/log.js';
import { RuleIndex } from '../lib/matching.js';
import type { ChannelRecord, PlatformName, Store } from '../lib/seams/store.js';
import { withStore } from './context.js';
import { CliError, formatChannelName, printJson, printLines } from './output.js';
import { numberedRules, ruleText } from './rules.js';

const POST_EVENTS = ['post_created', 'post_edited', 'post_destroyed', 'post_recovered'] as const satisfies readonly PostEventKind[];

/** What the ingest job does with post events other than post_created (see jobs/ingest.ts). */
const NOT_ANNOUNCED: Record<Exclude<PostEventKind, 'post_created'>, string> = {
  post_edited: 'an edit is never announced on its own; it only updates the text of announcements of this post still waiting out the delivery delay',
  post_destroyed: 'a deletion is never announced; it cancels announcements of this post still waiting out the delivery delay',
  post_recovered: 'a recovered post is not announced again',
};

type Outcome = 'delivered' | 'no_match' | 'skipped' | 'private_message' | 'not_announced';

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

/**
 * Platforms the running service would deliver to with this configuration. The ingest job skips the
 * others. Null when the adapters cannot be loaded: the answer then leaves that question open.
 */
async function configuredPlatforms(config: Config): Promise<ReadonlySet<PlatformName> | null> {
  return new Set(config.platforms.map((p) => p.profile.name));
}

function noteFor(channel: ChannelRecord, platforms: ReadonlySet<PlatformName> | null): string | null {
  if (platforms && !platforms.has(channel.platform)) return `${channel.platform} is not configured here, so the ingest job would skip it`;
  if (channel.status === 'pending') return 'pending approval: the delivery would be cancelled (approve with parley channels add)';
  if (channel.status === 'error') return `in error (${channel.lastError?.code ?? 'unknown'}): it would be tried, and becomes active again if it succeeds`;
  return null;
}

/** Why no channel gets a post that is a regular post in a category. */
function noMatchReason(event: PostEvent, categoryId: number | null, ruleCount: number, muted: number, hasApiKey: boolean): string {
  if (ruleCount === 0) return 'there are no rules at all. Add one with: parley rules add PLATFORM:ID watch c/CATEGORY';
  if (event.category === null) {
    const how = hasApiKey ? 'and the forum could not tell it either' : 'no category webhook was seen for it, and without PARLEY_DISCOURSE_API_KEY Parley cannot ask the forum';
    return `Parley does not know category_id ${categoryId ?? '?'} (${how}). A post in an unknown category counts as restricted, so no rule delivers it.`;
  }
  const path = categoryPath(event.category);
  const tags = event.tags.length > 0 ? event.tags.map((t) => `t/${t}`).join(', ') : 'no tags';
  if (event.category.restricted) {
    return `c/${path} is read-restricted in the forum, so only a rule naming c/${path} delivers it, and no channel has one${muted > 0 ? ' that a mute does not override' : ''}.`;
  }
  if (muted > 0) return `the only rules that cover c/${path} (${tags}) are mutes.`;
  return `no rule covers c/${path} (${tags})${event.isFirstPost ? '' : ', and follow rules take first posts only'}.`;
}

async function buildReport(store: Store, config: Config, log: Logger, body: unknown, kind: PostEventKind, instance: string | null): Promise<RouteReport> {
  const parsed = parsePostWebhook(body);
  if (!parsed.ok) throw new CliError(`Not a Discourse post webhook body: ${parsed.error}.`);
  const post = parsed.value;

  const client = forumClient(config, log);
  const categories = new CategoryCache({ store: store.categories, client, log });
  const topics = new TopicCache({ store: store.topics, client, log });
  const category = post.category_id == null ? null : await categories.resolve(post.category_id);
  const tags = await topics.tagsFor(post.topic_id);
  const normalized = toPostEvent(post, {
    eventId: 'parley-route',
    kind,
    baseUrl: config.discourse?.url ?? instance ?? '',
    category,
    tags,
  });

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
    privateMessage: isSkip(normalized) ? post.topic_archetype === 'private_message' : normalized.privateMessage,
    tags,
  };
  const report = (outcome: Outcome, reason: string | null): RouteReport => ({ event: kind, post: summary, outcome, reason, channels: [], muted: [] });

  if (isSkip(normalized)) return report('skipped', `the post is skipped: ${normalized.skip}`);
  if (normalized.privateMessage) return report('private_message', 'it is a private message, and private messages are never delivered to any channel');
  if (kind !== 'post_created') return report('not_announced', NOT_ANNOUNCED[kind]);

  const rules = await store.rules.all();
  const input = matchInput(normalized);
  const matched = new RuleIndex(rules).match(input);
  // Mutes that win: the same question asked of the mute rules alone, which cover an event wherever
  // their scope does (restricted or not), as in lib/matching.ts.
  const mutes = new RuleIndex(rules.filter((r) => r.filter === 'mute').map((r) => ({ ...r, filter: 'watch' as const }))).match({ ...input, restricted: false });

  const platforms = matched.length > 0 ? await configuredPlatforms(config) : null;
  const ruleRef = async (channelId: number, ruleId: number): Promise<RuleRef> => {
    const found = (await numberedRules(store, channelId)).find((n) => n.rule.id === ruleId);
    return { number: found?.number ?? 0, id: ruleId, text: found ? ruleText(found.rule) : '?' };
  };
  const result = report(matched.length > 0 ? 'delivered' : 'no_match', null);
  for (const m of matched) {
    const channel = await store.channels.get(m.channelId);
    if (!channel) continue;
    result.channels.push({
      channel: formatChannelName(channel),
      channelId: channel.id,
      filter: m.filter,
      rule: await ruleRef(channel.id, m.ruleId),
      status: channel.status,
      note: noteFor(channel, platforms),
    });
  }
  for (const m of mutes) {
    const channel = await store.channels.get(m.channelId);
    if (channel) result.muted.push({ channel: formatChannelName(channel), channelId: channel.id, rule: await ruleRef(channel.id, m.ruleId) });
  }
  if (result.channels.length === 0) {
    result.outcome = 'no_match';
    result.reason = noMatchReason(normalized, post.category_id ?? null, rules.length, result.muted.length, Boolean(config.discourse?.apiKey));
  }
  return result;
}

function printReport(r: RouteReport): void {
  const p = r.post;
  const where = p.privateMessage ? 'a private message' : p.category ? `c/${p.category}${p.restricted ? ' (read-restricted)' : ''}` : `category_id ${p.categoryId ?? 'none'} (unknown to Parley)`;
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
    lines.push(`Nothing would be sent: ${r.reason ?? 'no rule matches'}`);
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
