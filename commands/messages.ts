// Every text a chat user can see from the command core, keyed by a stable id (as Sapphire keys its
// i18n strings): tests, logs and adapters refer to a message by its id while its wording may change.
// Texts are plain: adapters escape them for their platform's markup.
import type { RulesPermission } from '../lib/config.js';
import { formatScope, scopeForms, type Filter, type Scope } from '../lib/rules.js';
import type { SourceProfile } from '../lib/seams/source.js';
import type { CommandWord } from '../lib/seams/invocation.js';
import type { PlatformProfile } from '../lib/seams/platform.js';
import type { ChannelStatus, PlatformName } from '../lib/seams/store.js';
import type { ForumAdminStatus } from './context.js';

/**
 * How a command is typed on a platform (its profile's prefix and names): `/discourse`, `!discourse` where clients
 * keep `/`, `/discourse topic` where the platform keeps `/topic` for itself (Slack).
 */
export function commandPrefix(profile: Pick<PlatformProfile, 'commandPrefix' | 'commandNames'>, word: CommandWord = 'discourse'): string {
  return `${profile.commandPrefix}${profile.commandNames?.[word] ?? word}`;
}

/** How replies speak of a source's scopes: `c/CATEGORY`, the others, and where events come from. */
export interface SourceWords {
  /** `all, c/CATEGORY, c/PARENT/CHILD or t/TAG` */
  forms: string;
  /** The main scope form and the rest: `c/CATEGORY` and `all, c/PARENT/CHILD, t/TAG`. */
  main: string;
  others: string;
  /** `c/meta` */
  example: string;
  /** `the forum`, `GitLab` */
  from: string;
}

export function sourceWords(source: SourceProfile): SourceWords {
  const [all, main, ...rest] = scopeForms(source.name).split(', ');
  const forms = [all!, main!, ...rest];
  return {
    forms: `${forms.slice(0, -1).join(', ')} or ${forms[forms.length - 1]}`,
    main: main!,
    others: [all!, ...rest].join(', '),
    example: source.exampleScope,
    from: source.from,
  };
}

/** `1. mute t/spam` lines, numbered from 1 in the order given. */
export function ruleLines(rules: readonly { filter: Filter; scope: Scope }[]): string {
  return rules.map((r, i) => `${i + 1}. ${r.filter} ${formatScope(r.scope)}`).join('\n');
}

/** What the user typed, echoed back, cut short so that a pasted essay does not come back whole. */
function echo(typed: string): string {
  const chars = Array.from(typed);
  return chars.length <= 40 ? typed : `${chars.slice(0, 39).join('')}…`;
}

function list(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** Why the user is not (known to be) a forum admin, as a clause. */
function identityClause(fa: ForumAdminStatus): string {
  switch (fa.status) {
    case 'not_linked':
      return 'your chat account is not linked to a forum account';
    case 'not_admin':
      return `your chat account is linked to forum user ${fa.username}, who is not a forum admin`;
    case 'unknown':
      return `your chat account is linked to forum user ${fa.username}, but the forum could not be asked right now whether they are an admin`;
    case 'admin':
      return `your chat account is linked to forum admin ${fa.username}`;
  }
}

const LINK_HINT = 'a Parley admin can link your chat account to your forum account if you are a forum admin';

function cliAdd(platform: PlatformName, externalId: string, filter: Filter, path: string): string {
  return `parley rules add ${platform}:${externalId} ${filter} c/${path}`;
}

/** Who may do what, for help. */
/** Who may change rules here; `moderators` names the platform's moderators (docs/rules.md#who-may-change-rules). */
export function permissionSentence(mode: RulesPermission, moderators: string): string {
  switch (mode) {
    case 'anyone':
      return 'Anyone here may use every command.';
    case 'moderators':
      return `Anyone may use help and status; changing rules is for this channel's moderators (${moderators}) and chat users linked to forum admins.`;
    case 'forum-admins':
      return 'Anyone may use help and status; changing rules is for chat users linked to forum admins.';
  }
}

const STATUS_LINE: Record<ChannelStatus, string> = {
  active: 'Channel status: active.',
  pending: "Channel status: pending, waiting for an admin's approval.",
  error: 'Channel status: error, Parley cannot deliver here until the problem below is fixed.',
};

export const MESSAGES = {
  // The tokenizer and the grammar.
  'parse.unterminated_quote': (p: { open: string; close: string; column: number }) =>
    `The quote ${p.open} at character ${p.column} is never closed. Close it with ${p.close}, as in title:${p.open}Weekly sync${p.close}, or write \\${p.open} for the quote character itself.`,
  'parse.unknown_subcommand': (p: { cmd: string; word: string; suggestion: string | null; hint: string | null; valid: readonly string[] }) =>
    [
      `"${echo(p.word)}" is not a ${p.cmd} command.`,
      p.hint ?? (p.suggestion ? `Did you mean ${p.cmd} ${p.suggestion}?` : null),
      `The commands are: ${p.valid.join(', ')}. Type ${p.cmd} help for examples.`,
    ]
      .filter((line): line is string => line !== null)
      .join(' '),
  'parse.scope_missing': (p: { cmd: string; filter: Filter; words: SourceWords }) =>
    `${p.filter} needs at least one scope: ${p.words.forms}, as in ${p.cmd} ${p.filter} ${p.words.example}. Several scopes add one rule each.`,
  'parse.bad_scope': (p: { cmd: string; filter: Filter; error: string; guess: string | null; words: SourceWords }) =>
    `${p.error}.${p.guess ? ` Did you mean ${p.cmd} ${p.filter} ${p.guess}?` : ` For example: ${p.cmd} ${p.filter} ${p.words.example}.`} Nothing was changed.`,
  'parse.numbers_missing': (p: { cmd: string }) =>
    `remove needs the number of a rule as shown by ${p.cmd} status, as in ${p.cmd} remove 2 (or several: ${p.cmd} remove 1 3).`,
  'parse.not_a_number': (p: { cmd: string; word: string }) =>
    `"${echo(p.word)}" is not a rule number: use the numbers shown by ${p.cmd} status (1, 2, …), as in ${p.cmd} remove 2. Nothing was removed.`,
  'parse.unexpected_args': (p: { cmd: string; subcommand: string; extra: string }) =>
    `${p.subcommand} takes nothing after it, but got "${echo(p.extra)}". Type just ${p.cmd} ${p.subcommand}.`,

  // Dispatch.
  'command.unknown': (p: { word: string; commands: readonly string[] }) =>
    `Parley has no command "${echo(p.word)}". Its commands are: ${p.commands.join(', ')} (try ${p.commands[0] ?? '/discourse'} help).`,
  'command.internal_error': (p: { errorId: string }) =>
    `Something went wrong inside Parley (error id ${p.errorId}). Please try again; if it keeps happening, give that id to an admin.`,

  // The channel itself.
  'channel.pending': (p: { platform: PlatformName; externalId: string }) =>
    `This channel waits for an admin's approval before Parley serves it, so its rules cannot change yet. An admin must activate it with: parley channels add ${p.platform}:${p.externalId}`,

  // The bot added to a room (commands/membership.ts).
  'membership.active': (p: { cmd: string }) =>
    `Parley is here and will bring forum posts to this chat. Choose what with ${p.cmd} watch c/CATEGORY (or all, t/TAG); ${p.cmd} help lists the commands.`,
  'membership.pending': (p: { platform: PlatformName; externalId: string; cmd: string }) =>
    `Parley is here, but this chat waits for an admin's approval before it gets anything from the forum: the bot was added by someone who may not change its rules. An admin can approve it with: parley channels add ${p.platform}:${p.externalId} (then ${p.cmd} help).`,

  'help.text': (p: { cmd: string; permission: RulesPermission; moderators: string }) =>
    [
      'Parley brings forum posts to this channel. Commands:',
      `${p.cmd} status: this channel's rules, numbered, most restrictive first`,
      `${p.cmd} watch c/meta: every new post in a category (scopes: all, c/SLUG, c/PARENT/CHILD, t/TAG)`,
      `${p.cmd} follow t/announcements: only the first post of each new topic`,
      `${p.cmd} thread c/support: every post, replies in the chat thread of the topic's first message`,
      `${p.cmd} mute t/offtopic: nothing from that scope, whatever the other rules say`,
      `${p.cmd} remove 2: removes rule 2 as numbered by status`,
      `${p.cmd} help: this text`,
      `Several scopes add one rule each: ${p.cmd} watch c/meta t/release`,
      permissionSentence(p.permission, p.moderators),
      'A rule naming a read-restricted category (other than mute) needs a chat user linked to a forum admin.',
    ].join('\n'),
  'help.gitlab': (p: { cmd: string; permission: RulesPermission; moderators: string }) =>
    [
      'Parley brings GitLab issues, merge requests, comments, failed pipelines and releases to this channel. Commands:',
      `${p.cmd} status: this channel's GitLab rules, numbered, most restrictive first`,
      `${p.cmd} watch p/group/project: everything of a project: new issues and merge requests, comments, state changes (scopes: all, p/GROUP/PROJECT, g/GROUP, l/LABEL)`,
      `${p.cmd} follow g/group: only what opens something (new issues and merge requests, releases, failed pipelines) in the group and its subgroups`,
      `${p.cmd} thread p/group/project: as watch, with comments in the chat thread of their issue's announcement`,
      `${p.cmd} mute l/wontfix: nothing with that label, whatever the other rules say`,
      `${p.cmd} remove 2: removes rule 2 as numbered by status`,
      `${p.cmd} help: this text`,
      permissionSentence(p.permission, p.moderators),
      'Confidential issues and comments are never announced. A rule naming a private or internal project (other than mute) needs a chat user linked to a GitLab user with Reporter access to it; nothing of such a project comes through all, g/ or l/.',
    ].join('\n'),

  'status.rules': (p: { cmd: string; channelName: string; rules: readonly { filter: Filter; scope: Scope }[] }) =>
    `Rules of ${p.channelName}, most restrictive first:\n${ruleLines(p.rules)}\nRemove one with ${p.cmd} remove N.`,
  'status.empty': (p: { cmd: string; words: SourceWords }) =>
    `This channel has no rules, so it gets nothing from ${p.words.from}. Add one with ${p.cmd} watch ${p.words.main} (or ${p.words.others}); ${p.cmd} help lists the rest.`,
  'status.channel': (p: { status: ChannelStatus; platform: PlatformName; externalId: string }) =>
    p.status === 'pending'
      ? `${STATUS_LINE.pending} An admin must activate it with: parley channels add ${p.platform}:${p.externalId}`
      : STATUS_LINE[p.status],
  'status.last_error': (p: { code: string; message: string; at: Date }) => `Last error: ${p.code}: ${p.message} (${p.at.toISOString()}).`,

  // Changing rules.
  'rules.added': (p: { who: string; added: readonly string[]; existing: readonly string[]; rules: readonly { filter: Filter; scope: Scope }[] }) =>
    [
      `${p.who} added ${p.added.length === 1 ? 'a rule' : 'rules'}: ${list(p.added)}.`,
      p.existing.length > 0 ? `Already there: ${list(p.existing)}.` : null,
      `This channel now gets:\n${ruleLines(p.rules)}`,
    ]
      .filter((line): line is string => line !== null)
      .join('\n'),
  'rules.exists': (p: { cmd: string; existing: readonly string[] }) =>
    `This channel already has ${list(p.existing)}, so nothing changed. See all its rules with ${p.cmd} status.`,
  'rules.removed': (p: { who: string; removed: readonly string[]; rules: readonly { filter: Filter; scope: Scope }[]; words: SourceWords }) =>
    `${p.who} removed ${p.removed.length === 1 ? 'a rule' : 'rules'}: ${list(p.removed)}.\n` +
    (p.rules.length > 0 ? `This channel now gets:\n${ruleLines(p.rules)}` : `This channel has no rules left, so it gets nothing from ${p.words.from}.`),
  'rules.remove_out_of_range': (p: { cmd: string; wrong: readonly number[]; count: number }) =>
    `${p.wrong.length === 1 ? 'There is no rule' : 'There are no rules'} ${list(p.wrong.map(String))} in this channel: ${
      p.count === 1 ? 'its only rule is number 1' : `its rules are numbered 1 to ${p.count}`
    } (see ${p.cmd} status). Nothing was removed.`,
  'rules.remove_nothing': (p: { cmd: string; words: SourceWords }) =>
    `This channel has no rules, so there is nothing to remove. Add one with ${p.cmd} watch ${p.words.main}.`,
  'rules.unknown_category': (p: { unknown: readonly { path: string; suggestions: readonly string[] }[] }) =>
    [
      ...p.unknown.map(
        (u) =>
          `The forum has no category c/${u.path}.` +
          (u.suggestions.length > 0 ? ` Nearest: ${u.suggestions.map((s) => `c/${s}`).join(', ')}.` : " Check the slug in the forum's category list."),
      ),
      'Nothing was changed.',
    ].join('\n'),
  'rules.restricted_category': (p: { platform: PlatformName; externalId: string; filter: Filter; paths: readonly string[]; identity: ForumAdminStatus }) =>
    [
      `${list(p.paths.map((x) => `c/${x}`))} ${p.paths.length === 1 ? 'is' : 'are'} read-restricted in the forum, so only a chat user linked to a forum admin may add a ${p.filter} rule for ${p.paths.length === 1 ? 'it' : 'them'} here, and ${identityClause(p.identity)}. Nothing was changed.`,
      `A forum admin can add ${p.paths.length === 1 ? 'it' : 'them'} with: ${p.paths.map((x) => cliAdd(p.platform, p.externalId, p.filter, x)).join(' ; ')}`,
      '(Muting a restricted category needs no forum admin.)',
    ].join('\n'),
  'rules.category_unverified': (p: { platform: PlatformName; externalId: string; filter: Filter; paths: readonly string[]; identity: ForumAdminStatus }) =>
    [
      `Parley does not know the forum's categories right now, so it cannot tell whether ${list(p.paths.map((x) => `c/${x}`))} ${p.paths.length === 1 ? 'is' : 'are'} read-restricted. Until it can, only a chat user linked to a forum admin may add a ${p.filter} rule for a category, and ${identityClause(p.identity)}. Nothing was changed.`,
      `Try again once the forum is reachable, use all or t/TAG meanwhile, or a forum admin can add it with: ${p.paths.map((x) => cliAdd(p.platform, p.externalId, p.filter, x)).join(' ; ')}`,
    ].join('\n'),

  // GitLab's scopes (commands/rules/gitlab-scopes.ts).
  'gitlab.not_configured': (p: { cmd: string }) =>
    `GitLab is not configured on this Parley, so ${p.cmd} has nothing to follow. An admin can set PARLEY_GITLAB_URL, PARLEY_GITLAB_TOKEN and PARLEY_GITLAB_WEBHOOK_SECRET (see the README).`,
  'rules.unknown_gitlab_path': (p: { unknown: readonly { scope: string; suggestions: readonly string[] }[] }) =>
    [
      ...p.unknown.map(
        (u) =>
          `GitLab has no ${u.scope.startsWith('g/') ? 'group' : 'project'} ${u.scope} that Parley can see.` +
          (u.suggestions.length > 0 ? ` Nearest projects: ${u.suggestions.map((s) => `p/${s}`).join(', ')}.` : ' Check the path in GitLab (the part of the URL after the host).'),
      ),
      'Nothing was changed.',
    ].join('\n'),
  'rules.restricted_project': (p: { platform: PlatformName; externalId: string; filter: Filter; paths: readonly string[]; chatUser: string; username: string | null; level: number | null }) =>
    [
      `${list(p.paths.map((x) => `p/${x}`))} ${p.paths.length === 1 ? 'is a private or internal project' : 'are private or internal projects'}, so a ${p.filter} rule for ${p.paths.length === 1 ? 'it' : 'them'} needs a chat user linked to a GitLab user with at least Reporter access, and ` +
        (p.username === null
          ? 'your chat account is not linked to a GitLab account.'
          : `GitLab user ${p.username} has ${p.level === 0 ? 'no access' : `access level ${p.level}`} there.`) +
        ' Nothing was changed.',
      p.username === null
        ? `A Parley admin can link you with: parley identities add ${p.chatUser} gitlab:USERNAME ; or add the rule with: ${p.paths.map((x) => `parley rules add ${p.platform}:${p.externalId} gitlab ${p.filter} p/${x}`).join(' ; ')}`
        : `A Parley admin can add the rule with: ${p.paths.map((x) => `parley rules add ${p.platform}:${p.externalId} gitlab ${p.filter} p/${x}`).join(' ; ')}`,
    ].join('\n'),
  'rules.gitlab_unverified': (p: { error: string }) =>
    `GitLab could not be asked whether the projects exist and who may see them (${p.error}), so nothing was changed. Try again in a minute; mute rules need no check.`,

  // Who may change rules.
  'rules.forbidden.moderators': (p: { moderators: string; identity: ForumAdminStatus }) =>
    `Only moderators of this channel (${p.moderators}) and chat users linked to forum admins may change its rules. You are not a moderator here, and ${identityClause(p.identity)}. Ask a moderator to make the change, or ${LINK_HINT}.`,
  'rules.forbidden.forum_admins': (p: { identity: ForumAdminStatus }) =>
    `On this Parley only chat users linked to forum admins may change rules (PARLEY_RULES_PERMISSION=forum-admins), and ${identityClause(p.identity)}. Ask a forum admin to make the change, or ${LINK_HINT}.`,
  'rules.forbidden.unknown_role': (p: { moderators: string; why: string; identity: ForumAdminStatus }) =>
    `Parley could not tell whether you moderate this channel: ${p.why}. Changing rules needs a moderator of this channel (${p.moderators}) or a chat user linked to a forum admin (PARLEY_RULES_PERMISSION=moderators), and ${identityClause(p.identity)}. A Parley admin can fix what stops the role check, set PARLEY_RULES_PERMISSION=anyone, or link your chat account to your forum account if you are a forum admin.`,

  // /topic: its grammar (commands/topic/grammar.ts) and its time ranges (commands/topic/time-range.ts).
  'topic.help': (p: { cmd: string; maxMessages: number; zone: string | null; defaultPauseMinutes: number; defaultMaxMessages: number }) =>
    [
      `${p.cmd} turns part of this conversation into one forum topic (or GitLab issue), posted as you. Options, in any order, each at most once:`,
      `last:50: the last 50 messages (at most ${p.maxMessages})`,
      'from:15:35-16:10: the messages between two times of today; an end before the start reaches back to yesterday (from:23:30-00:15)',
      'since:2h: everything since a time, as in since:90m, since:"yesterday 3pm" or since:"monday 9:00"',
      `Without last:, from: or since:, it takes the messages back to the last pause of ${p.defaultPauseMinutes} minutes or more, at most ${p.defaultMaxMessages}.`,
      p.zone
        ? `Times are read in ${p.zone}.`
        : "Times are read in your time zone where the chat tells it, else in the channel's or Parley's configured zone.",
      "category:staff: the forum category (else the channel's default)",
      'tags:incident,database: tags for the topic',
      "ignore:bob,sara: leave these people's messages out",
      'title:"Outage review": the title (else one naming the channel and the time range)',
      'preview: show the topic first, with a link to post it from the forum, instead of posting it',
      "to:gitlab: make it a GitLab issue instead of a forum topic (to:forum for the forum; without to:, the channel's default)",
      "project:group/project: the GitLab project of the issue (else the channel's default); tags: become the issue's labels",
      `Example: ${p.cmd} last:50 category:staff ignore:bob title:"Outage review"`,
    ].join('\n'),
  'topic.unknown_option': (p: { cmd: string; key: string; suggestion: string | null; valid: readonly string[] }) =>
    `${p.cmd} has no option "${echo(p.key)}:".${p.suggestion ? ` Did you mean ${p.suggestion}?` : ''} Its options are: ${p.valid.join(', ')}.`,
  'topic.stray_word': (p: { cmd: string; word: string; suggestion: string | null; note: string | null; valid: readonly string[] }) =>
    [
      `"${echo(p.word)}" is not an option of ${p.cmd}.`,
      p.suggestion ? `Did you mean ${p.suggestion}${p.note ? ` (${p.note})` : ''}?` : null,
      `Options are written key:value, as in ${p.cmd} last:50 category:staff; they are: ${p.valid.join(', ')}. Type ${p.cmd} help for more.`,
    ]
      .filter((line): line is string => line !== null)
      .join(' '),
  'topic.repeated_option': (p: { key: string; first: string; second: string; list: boolean }) =>
    `${p.key === 'preview' ? 'preview' : `${p.key}:`} is given twice${p.first === p.second ? '' : ` (${echo(p.first)} and ${echo(p.second)})`}; give it once.${
      p.list ? ` To give several, separate them with commas, as in ${p.key}:a,b.` : ''
    }`,
  'topic.range_conflict': (p: { cmd: string; first: string; second: string }) =>
    `${echo(p.first)} and ${echo(p.second)} cannot go together: both choose which messages to take (last: counts back from now, from: and since: take a time span). Use one of them, as in ${p.cmd} ${echo(p.first)} or ${p.cmd} ${echo(p.second)}.`,
  'topic.empty_value': (p: { key: string; example: string }) => `${p.key}: needs a value after the colon, as in ${p.example}.`,
  'topic.preview_value': (p: { value: string }) =>
    `preview takes no value: write just preview (or leave it out to post at once), not preview:${echo(p.value)}.`,
  'topic.last_not_a_number': (p: { value: string; max: number; since: string | null }) =>
    `last: takes a number of messages, from 1 to ${p.max}, as in last:50; "${echo(p.value)}" is not a whole number.${
      p.since ? ` For a span of time, use ${p.since}.` : ''
    }`,
  'topic.last_too_small': (p: { value: string; max: number; negative: boolean }) =>
    `last:${echo(p.value)} ${p.negative ? 'is a negative count' : 'would take no messages'}: last: counts messages back from now, from 1 to ${p.max}, as in last:50.`,
  'topic.last_too_large': (p: { value: string; max: number }) =>
    `last:${echo(p.value)} is more than Parley takes at once: at most ${p.max} messages (PARLEY_TRANSCRIPT_MAX_MESSAGES). Use last:${p.max} or fewer, or split the conversation into several topics with from:HH:MM-HH:MM.`,
  'topic.from_malformed': (p: { value: string; hint: string | null }) =>
    `from: takes the start and end times of today, as in from:15:35-16:10 (or from:3:35pm-4:10pm); "${echo(p.value)}" is not that.${p.hint ? ` ${p.hint}` : ''}`,
  'topic.from_bad_time': (p: { value: string; time: string; why: string }) =>
    `"${echo(p.time)}" in from:${echo(p.value)} is not a time of day: ${p.why}. For example: from:15:35-16:10.`,
  'topic.from_empty_range': (p: { value: string; time: string }) =>
    `from:${echo(p.value)} starts and ends at ${p.time}, so it holds no messages. Give an end after the start, as in from:15:35-16:10.`,
  'topic.bad_category': (p: { value: string }) =>
    `category: takes a forum category's slug, as in category:staff or category:support/billing (parent/child); "${echo(p.value)}" is not one.`,
  'topic.bad_target': (p: { value: string; suggestion: string | null }) =>
    `to: says where the transcript goes: to:forum (a forum topic) or to:gitlab (a GitLab issue); "${echo(p.value)}" is neither.${p.suggestion ? ` Did you mean ${p.suggestion}?` : ''}`,
  'topic.bad_project': (p: { value: string }) =>
    `project: takes a GitLab project's path, as in project:group/project or project:group/sub/project (letters, digits, _, - and . between the slashes); "${echo(p.value)}" is not one.`,
  'topic.project_missing': (p: { cmd: string }) =>
    `to:gitlab needs the GitLab project the issue goes to, as in ${p.cmd} last:50 to:gitlab project:group/project. (An admin can give this channel a default with parley channels add … --transcript-target gitlab:group/project.)`,
  'topic.project_with_forum': (p: { project: string }) =>
    `project:${echo(p.project)} is a GitLab project, but to:forum posts a forum topic. Leave out project: for the forum, or write to:gitlab for a GitLab issue.`,
  'topic.category_with_gitlab': (p: { project: string; category: string; byDefault: boolean }) =>
    `category:${echo(p.category)} is a forum category, but this transcript goes to GitLab (${p.project})${p.byDefault ? ", this channel's default" : ''}, where an issue has labels, not a category. Write to:forum to post it in the forum, or use tags: for the issue's labels.`,
  'topic.preview_with_gitlab': (p: { project: string }) =>
    `preview shows a forum topic before it is posted; a GitLab issue (${p.project}) has no such preview. Leave out preview, or write to:forum for a forum topic.`,
  'topic.bad_label': (p: { label: string; why: string }) =>
    `"${echo(p.label)}" cannot be a GitLab label: ${p.why}. Separate labels with commas, as in tags:incident,database (quote them when one has spaces: tags:"incident,needs review").`,
  'topic.bad_tag': (p: { tag: string; why: string; suggestion: string | null }) =>
    `"${echo(p.tag)}" cannot be a forum tag: ${p.why}.${p.suggestion ? ` Did you mean tags:${p.suggestion}?` : ''} Separate tags with commas, as in tags:incident,database.`,
  'topic.range_in_future': (p: { value: string; now: string; zone: string; example: string; earlier: string }) =>
    `from:${echo(p.value)} has not begun yet: it is ${p.now} now in ${p.zone}, and from: reads its times as today's (or, when the end comes before the start, from yesterday to today). Choose a range that has begun, as in from:${p.example}, or for an earlier day use since:, as in ${p.earlier}.`,
  'topic.from_skipped': (p: { value: string; zone: string }) =>
    `from:${echo(p.value)} never happened today in ${p.zone}: the clocks skipped those minutes when they were put forward for daylight saving time. Widen the range so that it reaches past the change, or use last:N.`,
  'topic.since_future': (p: { typed: string; when: string; now: string; zone: string; suggestion: string | null }) =>
    `${echo(p.typed)} means ${p.when} (${p.zone}), which is not in the past: it is ${p.now} now. since: takes a time in the past, as in ${
      p.suggestion ?? 'since:2h or since:"yesterday 3pm"'
    }.`,
  'topic.since_unreadable': (p: { typed: string; zone: string }) =>
    `Parley cannot read ${echo(p.typed)} as a time. since: takes a time in the past, as in since:2h, since:90m, since:"yesterday 3pm", since:"monday 9:00" or since:15:30 (read in ${p.zone}); quote it when it has spaces.`,
  'topic.since_partial': (p: { typed: string; understood: string; rest: string; zone: string }) =>
    `In ${echo(p.typed)} Parley understood "${echo(p.understood)}" but not "${echo(p.rest)}". Give just the time, as in since:"yesterday 3pm" or since:2h (read in ${p.zone}).`,
  'topic.since_range': (p: { typed: string; understood: string }) =>
    `${echo(p.typed)} names a span ("${echo(p.understood)}"), but since: takes one time and runs until now, as in since:"yesterday 3pm". For a span of today use from:, as in from:15:35-16:10.`,
  'topic.bad_zone': (p: { zone: string }) =>
    `Parley cannot read times here: "${echo(p.zone)}" is not a known time zone (an IANA name such as Europe/Berlin). An admin should fix the channel's zone or PARLEY_TIMEZONE; meanwhile last:N works.`,
} satisfies Record<string, (params: never) => string>;

export type MessageId = keyof typeof MESSAGES;
export type MessageParams<K extends MessageId> = Parameters<(typeof MESSAGES)[K]>[0];

/** The text of a message, by id. */
export function text<K extends MessageId>(id: K, params: MessageParams<K>): string {
  return (MESSAGES[id] as (p: MessageParams<K>) => string)(params);
}

/** A message with its id, the shape of every parse failure and refusal. */
export function failure<K extends MessageId>(id: K, params: MessageParams<K>): { id: K; message: string } {
  return { id, message: text(id, params) };
}
