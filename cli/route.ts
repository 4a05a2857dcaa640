// `parley route FILE`: which channels a Discourse (or, with `--source gitlab`, a GitLab) webhook would reach, and
// through which rule, without sending or queueing anything. The report is ./route-report.ts's, the same one
// POST /api/route answers; this file reads the file and prints the report, as text or with --json.
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { SOURCE_NAMES } from '../lib/rules.js';
import { withStore } from './context.js';
import { CliError, printJson, printLines } from './output.js';
import { GITLAB_EVENTS_HELP, type GitLabRouteReport } from './route-gitlab.js';
import { checkRouteOptions, POST_EVENTS, routeReport, type RouteReport } from './route-report.js';
import { RouteRefusal, type MutedChannel, type RouteAsker, type RoutedChannel } from './route-shared.js';

/** A webhook body saved as JSON; `hint` says what was expected. */
async function readJsonFile(file: string, hint: string): Promise<unknown> {
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

/** `Would go to …` with one line per channel, or `Nothing would be sent: reason`; then the mutes. */
function channelLines(r: { channels: readonly RoutedChannel[]; muted: readonly MutedChannel[]; reason: string | null }, nothingNow = false): string[] {
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

function discourseLines(r: RouteReport): string[] {
  const p = r.post;
  const where = p.privateMessage
    ? 'a private message'
    : p.categoryStandIn
      ? `category_id ${p.categoryId ?? 'none'} (unknown to Parley; taken for c/${p.category ?? '?'} by its category_slug, read-restricted)`
      : p.category
        ? `c/${p.category}${p.restricted ? ' (read-restricted)' : ''}`
        : `category_id ${p.categoryId ?? 'none'} (unknown to Parley)`;
  return [
    `${r.event}: post ${p.id} (topic ${p.topicId}, post #${p.postNumber}${p.firstPost ? ', first post' : ''}) by ${p.author} in ${where}, tags: ${p.tags.length > 0 ? p.tags.join(', ') : 'none'}`,
    `"${p.title}"${p.url ? `  ${p.url}` : ''}`,
    ...channelLines(r, r.outcome === 'retry'),
  ];
}

function gitlabLines(r: GitLabRouteReport): string[] {
  const o = r.object;
  const lines = o
    ? [
        `${o.kind.replace('_', ' ')} ${o.action} in p/${o.project} (${o.visibility ?? 'visibility unknown'}${o.restricted ? ', restricted' : ''})${o.author ? ` by ${o.author}` : ''}, labels: ${o.labels.length > 0 ? o.labels.join(', ') : 'none'}`,
        `"${o.title}"${o.url ? `  ${o.url}` : ''}`,
      ]
    : [`a GitLab ${r.objectKind ?? ''} webhook${r.event ? ` (${r.event})` : ''}`.replace('  ', ' ')];
  return [...lines, ...channelLines(r)];
}

async function route(file: string, opts: { source?: string; event?: string; instance?: string; json?: boolean }): Promise<void> {
  const asker: RouteAsker = { body: file, option: (name, value) => `--${name}${value === undefined ? '' : ` ${value}`}`, tool: 'parley route' };
  try {
    const options = checkRouteOptions(opts, asker);
    const hint = options.source === 'gitlab' ? 'give the body of a GitLab webhook, as in {"object_kind": "issue", …}.' : 'give the body of a Discourse webhook, as in {"post": {…}}.';
    const body = await readJsonFile(file, hint);
    await withStore(async (ctx) => {
      const report = await routeReport(ctx, options, body, asker);
      if (opts.json) printJson(report);
      else printLines(...('source' in report ? gitlabLines(report) : discourseLines(report)));
    });
  } catch (err) {
    if (err instanceof RouteRefusal) throw new CliError(err.message);
    throw err;
  }
}

export function routeCommand(program: Command): void {
  program
    .command('route')
    .description('show which channels a Discourse or GitLab webhook would reach and through which rule; sends and queues nothing')
    .argument('<file>', 'a webhook body saved as JSON, as in {"post": {…}} or {"object_kind": "issue", …}')
    .option('--source <source>', `where the webhook is from: ${SOURCE_NAMES.join(', ')} (default: discourse)`)
    .option('--event <event>', `the X-Discourse-Event: ${POST_EVENTS.join(', ')} (default: post_created for a post body); for GitLab the X-Gitlab-Event (${GITLAB_EVENTS_HELP})`)
    .option('--instance <url>', 'the X-Discourse-Instance, for post links when PARLEY_DISCOURSE_URL is not set')
    .option('--json', 'print the answer as JSON')
    .action(route);
}
