// What a route report (./route-report.ts) says about the channels of a plan, whichever source the webhook is from
// (Discourse there, GitLab in ./route-gitlab.ts): rule numbers, mutes that won, notes on channels; and how its
// refusals name what was given, for `parley route` (./route.ts) and POST /api/route (./admin/routes-tools.ts) alike.
import type { MatchInput } from '../lib/events.js';
import { RuleIndex } from '../lib/matching.js';
import type { PlannedChannel } from '../lib/routing.js';
import type { ChannelRecord, Store } from '../lib/seams/store.js';
import { formatChannelName } from './output.js';
import { numberedRules, ruleText } from './rule-ops.js';

/** A body or an option the report cannot take: the message says what is wrong and what would be right. */
export class RouteRefusal extends Error {
  constructor(
    /** What was wrong: the webhook body, or one of the options. */
    readonly field: 'body' | 'source' | 'event' | 'instance',
    message: string,
  ) {
    super(message);
  }
}

/** How refusals name what was given: the CLI names the file and its flags, the API the body and its fields. */
export interface RouteAsker {
  /** What the body is called at the start of a sentence: the file's path, or "The body". */
  body: string;
  /** An option as the asker writes it: `--event` or `event`; with a value, `--source gitlab` or `"source": "gitlab"`. */
  option(name: string, value?: string): string;
  /** Who explains, as in "parley route follows post events only". */
  tool: string;
}

export interface RuleRef {
  number: number;
  id: number;
  text: string;
}

export interface RoutedChannel {
  channel: string;
  channelId: number;
  filter: PlannedChannel['filter'];
  rule: RuleRef;
  status: ChannelRecord['status'];
  /** The ingest job would queue a delivery for it (false: its platform is not configured here). */
  queued: boolean;
  /** Why this match would still not reach the room, if it would not. */
  note: string | null;
}

export interface MutedChannel {
  channel: string;
  channelId: number;
  rule: RuleRef;
}

/** Why a channel the plan sends to would still not get the event, if it would not. */
function noteFor(c: PlannedChannel): string | null {
  if (c.skip) return `${c.skip}, so the ingest job would skip it`;
  const channel = c.channel;
  if (channel.status === 'pending') return 'pending approval: the delivery would be cancelled (approve with parley channels add)';
  if (channel.status === 'error') return `in error (${channel.lastError?.code ?? 'unknown'}): it would be tried, and becomes active again if it succeeds`;
  return null;
}

/**
 * The plan's channels with the rule (as numbered in `status`) that decided each and the channels a mute kept the
 * event from; when none gets it, `noMatch` says why, told how many rules of the source there are and how many mutes won.
 */
export async function explainChannels(
  store: Store,
  planned: readonly PlannedChannel[],
  input: MatchInput,
  noMatch: (ruleCount: number, muted: number) => string,
): Promise<{ outcome: 'delivered' | 'no_match'; reason: string | null; channels: RoutedChannel[]; muted: MutedChannel[] }> {
  const rules = (await store.rules.all()).filter((r) => r.source === input.source);
  // Mutes that win: the same question asked of the mute rules alone, which cover an event wherever
  // their scope does (restricted or not), as in lib/matching.ts.
  const mutes = new RuleIndex(rules.filter((r) => r.filter === 'mute').map((r) => ({ ...r, filter: 'watch' as const }))).match({ ...input, restricted: false });

  const ruleRef = async (channelId: number, ruleId: number): Promise<RuleRef> => {
    const found = (await numberedRules(store, channelId)).find((n) => n.rule.id === ruleId);
    return { number: found?.number ?? 0, id: ruleId, text: found ? ruleText(found.rule) : '?' };
  };
  const channels: RoutedChannel[] = [];
  for (const c of planned) {
    channels.push({
      channel: formatChannelName(c.channel),
      channelId: c.channel.id,
      filter: c.filter,
      rule: await ruleRef(c.channel.id, c.ruleId),
      status: c.channel.status,
      queued: c.skip === null,
      note: noteFor(c),
    });
  }
  const muted: MutedChannel[] = [];
  for (const m of mutes) {
    const channel = await store.channels.get(m.channelId);
    if (channel) muted.push({ channel: formatChannelName(channel), channelId: channel.id, rule: await ruleRef(channel.id, m.ruleId) });
  }
  if (channels.length > 0) return { outcome: 'delivered', reason: null, channels, muted };
  return { outcome: 'no_match', reason: noMatch(rules.length, muted.length), channels, muted };
}
