// What `parley route` says about the channels of a plan, whichever source the webhook is from (cli/route.ts for
// Discourse, cli/route-gitlab.ts for GitLab): rule numbers, mutes that won, notes on channels.
import { readFile } from 'node:fs/promises';
import type { MatchInput } from '../lib/events.js';
import { RuleIndex } from '../lib/matching.js';
import type { PlannedChannel } from '../lib/routing.js';
import type { ChannelRecord, Store } from '../lib/seams/store.js';
import { CliError, formatChannelName } from './output.js';
import { numberedRules, ruleText } from './rules.js';

export interface RuleRef {
  number: number;
  id: number;
  text: string;
}

export interface RoutedChannel {
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

export interface MutedChannel {
  channel: string;
  channelId: number;
  rule: RuleRef;
}

/** A webhook body saved as JSON; `hint` says what was expected. */
export async function readJsonFile(file: string, hint: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new CliError(`Cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new CliError(`${file} is not JSON (${(err as Error).message}); ${hint}`);
  }
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

/** `Would go to …` with one line per channel, or `Nothing would be sent: reason`; then the mutes. */
export function channelLines(r: { channels: readonly RoutedChannel[]; muted: readonly MutedChannel[]; reason: string | null }, nothingNow = false): string[] {
  const lines: string[] = [];
  if (r.channels.length > 0) {
    lines.push(`Would go to ${r.channels.length === 1 ? '1 channel' : `${r.channels.length} channels`}:`);
    const width = Math.max(...r.channels.map((c) => c.channel.length));
    for (const c of r.channels) {
      lines.push(`  ${c.channel.padEnd(width)}  ${c.filter.padEnd(6)}  via rule #${c.rule.number} "${c.rule.text}"${c.note ? `  (${c.note})` : ''}`);
    }
  } else {
    lines.push(`Nothing would be sent${nothingNow ? ' now' : ''}: ${r.reason ?? 'no rule matches'}`);
  }
  if (r.muted.length > 0) {
    lines.push('Muted:');
    const width = Math.max(...r.muted.map((c) => c.channel.length));
    for (const m of r.muted) lines.push(`  ${m.channel.padEnd(width)}  mute    via rule #${m.rule.number} "${m.rule.text}"`);
  }
  return lines;
}
