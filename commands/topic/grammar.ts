// The `/topic` grammar: text after the command word → a typed command, or a failure that says what was
// wrong and what would be right. Pure: no I/O, no clock (times are resolved by ./time-range.ts), never throws.
//
//   [last:N | from:HH:MM-HH:MM | since:WHEN] [category:SLUG] [tags:a,b] [ignore:u1,u2] [title:"..."] [preview]
//   [to:forum|gitlab] [project:group/project]
//
// Options come in any order, each at most once; keys are case-insensitive (the shared tokenizer lower-cases
// them) and values may be quoted. `help` anywhere answers with the help text (as the failure `topic.help`,
// so that callers reply with it like with any other message).
//
// The default range, with none of last:, from:, since: — back to the last pause of DEFAULT_RANGE.pauseMinutes
// (10) minutes, at most DEFAULT_RANGE.maxMessages (100) messages. The parser cannot know where that pause is,
// so it returns `{ kind: 'default' }` and the transcript job resolves it against the messages themselves.
//
// Where it goes: `to:forum` (a topic, the default) or `to:gitlab` (an issue in `project:`). Without to:, the
// channel's default target (`parley channels add … --transcript-target gitlab:group/project`), or GitLab when a
// project: is named. With GitLab, tags: are the issue's labels (GitLab's rules, not the forum's), and category:
// and preview, which only a forum has, are refused.
import { closest, distance } from 'fastest-levenshtein';
import { parseScope } from '../../lib/rules.js';
import { DEFAULT_RANGE } from '../../lib/transcript/types.js';
import type { ParseFailure } from '../grammar.js';
import { failure } from '../messages.js';
import { tokenize, type OptionToken, type Token } from '../tokenize.js';

export type { ParseFailure } from '../grammar.js';

/** A wall-clock time of day, 24-hour. */
export interface ClockTime {
  h: number;
  m: number;
}

/** Which messages the command asks for, as typed: ./time-range.ts turns it into instants. */
export type TopicRangeSpec =
  | { kind: 'last'; count: number }
  | { kind: 'from'; start: ClockTime; end: ClockTime }
  | { kind: 'since'; text: string }
  | { kind: 'default' };

/** Where the transcript goes; a GitLab project by its path as typed (GitLab compares paths case-insensitively). */
export type TopicTarget = { kind: 'forum' } | { kind: 'gitlab'; project: string };

export interface TopicCommand {
  range: TopicRangeSpec;
  target: TopicTarget;
  /** Category slug path (`staff`, `support/billing`), lower-cased; null: the channel's default. */
  category: string | null;
  /** Forum: lower-cased, valid Discourse tag names. GitLab: label names as typed. Without duplicates. */
  tags: string[];
  /** Chat usernames whose messages are left out, without a leading @. */
  ignore: string[];
  /** null: a default title naming the channel and the range. */
  title: string | null;
  /** Reply with a composer link instead of posting. */
  preview: boolean;
}

export interface TopicGrammarOptions {
  /** How the command is typed on the platform (`/topic`, `!topic`), for examples in messages. */
  cmd?: string;
  /** Upper bound of `last:` (PARLEY_TRANSCRIPT_MAX_MESSAGES). */
  maxMessages?: number;
  /** Discourse's max_tag_length site setting. */
  maxTagLength?: number;
  /** The zone times will be read in, named by the help text when known. */
  zone?: string;
  /** The channel's default target (its transcriptTarget setting); null or absent: the forum. */
  defaultTarget?: TopicTarget | null;
}

/** PARLEY_TRANSCRIPT_MAX_MESSAGES when not configured. */
export const DEFAULT_MAX_MESSAGES = 1000;
/** Discourse's default max_tag_length. */
export const DEFAULT_MAX_TAG_LENGTH = 20;
export { DEFAULT_RANGE };

export const TOPIC_OPTIONS = ['last', 'from', 'since', 'category', 'tags', 'ignore', 'title', 'preview', 'to', 'project'] as const;
type TopicOption = (typeof TOPIC_OPTIONS)[number];

/** How each option is written, for the lists in messages. */
const OPTION_FORMS: Record<TopicOption, string> = {
  last: 'last:N',
  from: 'from:HH:MM-HH:MM',
  since: 'since:WHEN',
  category: 'category:SLUG',
  tags: 'tags:a,b',
  ignore: 'ignore:user1,user2',
  title: 'title:"..."',
  preview: 'preview',
  to: 'to:forum|gitlab',
  project: 'project:GROUP/PROJECT',
};
const VALID = TOPIC_OPTIONS.map((o) => OPTION_FORMS[o]);

const EXAMPLES: Record<Exclude<TopicOption, 'preview'>, string> = {
  last: 'last:50',
  from: 'from:15:35-16:10',
  since: 'since:2h',
  category: 'category:staff',
  tags: 'tags:incident,database',
  ignore: 'ignore:bob,sara',
  title: 'title:"Outage review"',
  to: 'to:gitlab',
  project: 'project:group/project',
};

/** Keys people try that are not ours, mapped to the option they most likely meant (edit distance would miss them). */
const KEY_INTENTS: Readonly<Record<string, TopicOption>> = {
  count: 'last',
  n: 'last',
  num: 'last',
  messages: 'last',
  msgs: 'last',
  limit: 'last',
  until: 'from',
  between: 'from',
  range: 'from',
  time: 'from',
  after: 'since',
  ago: 'since',
  when: 'since',
  c: 'category',
  cat: 'category',
  categories: 'category',
  t: 'tags',
  tag: 'tags',
  exclude: 'ignore',
  except: 'ignore',
  skip: 'ignore',
  without: 'ignore',
  name: 'title',
  subject: 'title',
  topic: 'title',
  target: 'to',
  dest: 'to',
  destination: 'to',
  repo: 'project',
  repository: 'project',
  proj: 'project',
  label: 'tags',
  labels: 'tags',
  draft: 'preview',
  dry: 'preview',
  'dry-run': 'preview',
  dryrun: 'preview',
};

/** Characters Discourse strips from tag names (DiscourseTagging::TAGS_FILTER_REGEXP), whitespace aside. */
const TAG_FORBIDDEN = /[/?#[\]@!$&'()*+,;=.%\\`^|{}"<>]/gu;

/** `2h`, `90m`, `1h30m`, `45min`, `2 hours ago`: spans chrono-node does not read, shared with ./time-range.ts. */
export const COMPACT_DURATION =
  /^\s*((?:\d{1,6}\s*(?:s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|w|wks?|weeks?|mo|mos|months?)\s*)+)(?:ago\s*)?$/iu;

export function isTopicFailure<T extends object>(result: T | ParseFailure): result is ParseFailure {
  return 'id' in result && 'message' in result;
}

/** `key:value`, quoting a value that needs it, as a user would retype it. */
export function formatOption(key: string, value: string): string {
  return /[\s"]/u.test(value) || value === '' ? `${key}:"${value.replace(/"/g, '\\"')}"` : `${key}:${value}`;
}

export function formatClock(t: ClockTime): string {
  return `${String(t.h).padStart(2, '0')}:${String(t.m).padStart(2, '0')}`;
}

export function topicHelp(opts: TopicGrammarOptions = {}): ParseFailure {
  return failure('topic.help', {
    cmd: opts.cmd ?? '/topic',
    maxMessages: opts.maxMessages ?? DEFAULT_MAX_MESSAGES,
    zone: opts.zone ?? null,
    defaultPauseMinutes: DEFAULT_RANGE.pauseMinutes,
    defaultMaxMessages: DEFAULT_RANGE.maxMessages,
  });
}

function isOption(key: string): key is TopicOption {
  return (TOPIC_OPTIONS as readonly string[]).includes(key);
}

function nearestOption(word: string): TopicOption | null {
  const lower = word.toLowerCase();
  if (Object.hasOwn(KEY_INTENTS, lower)) return KEY_INTENTS[lower]!;
  const best = closest(lower, TOPIC_OPTIONS);
  // Close enough to be a typo, not another word: 1 edit for short words, 2 for longer ones.
  return isOption(best) && distance(lower, best) <= (lower.length <= 4 ? 1 : 2) ? best : null;
}

// ---- last: ----

function parseLast(value: string, max: number): TopicRangeSpec | ParseFailure {
  const v = value.trim();
  if (/^[+-]?\d+$/.test(v)) {
    const n = Number(v);
    if (n < 1) return failure('topic.last_too_small', { value: v, max, negative: n < 0 });
    if (n > max) return failure('topic.last_too_large', { value: v, max });
    return { kind: 'last', count: n };
  }
  return failure('topic.last_not_a_number', { value: v, max, since: COMPACT_DURATION.test(v) ? formatOption('since', v) : null });
}

// ---- from: ----

interface TypedTime {
  text: string;
  h: number;
  /** null: not written (`3pm`). */
  minutes: string | null;
  meridiem: 'am' | 'pm' | null;
}

const TIME = String.raw`(\d{1,2})(?:[:.](\d{1,2}))?\s*(?:([ap])\.?\s?m\.?)?`;
const FROM = new RegExp(String.raw`^\s*(${TIME})\s*(?:-|–|—|to)\s*(${TIME})\s*$`, 'iu');

function typedTime(text: string, h: string, min: string | undefined, mer: string | undefined): TypedTime {
  return { text: text.trim(), h: Number(h), minutes: min ?? null, meridiem: mer ? (mer.toLowerCase() === 'a' ? 'am' : 'pm') : null };
}

/** A typed time → minutes since midnight, or why it is not a time of day. */
function clockOf(t: TypedTime, meridiem: 'am' | 'pm' | null): { ok: true; time: ClockTime } | { ok: false; why: string } {
  if (t.minutes !== null && t.minutes.length !== 2) return { ok: false, why: `minutes are written with two digits, as in ${t.h}:0${t.minutes}` };
  const m = t.minutes === null ? 0 : Number(t.minutes);
  if (m > 59) return { ok: false, why: 'minutes go from 00 to 59' };
  if (meridiem !== null) {
    if (t.h < 1 || t.h > 12) return { ok: false, why: 'with am or pm, hours go from 1 to 12' };
    return { ok: true, time: { h: (t.h % 12) + (meridiem === 'pm' ? 12 : 0), m } };
  }
  if (t.minutes === null) {
    return { ok: false, why: `write the minutes too, as in ${t.h}:00${t.h >= 1 && t.h <= 12 ? ` (24-hour) or ${t.h}am or ${t.h}pm` : ''}` };
  }
  if (t.h === 24 && m === 0) return { ok: false, why: 'hours go from 0 to 23; for midnight write 00:00' };
  if (t.h > 23) return { ok: false, why: 'hours go from 0 to 23' };
  return { ok: true, time: { h: t.h, m } };
}

const minutesOf = (t: ClockTime) => t.h * 60 + t.m;

function parseFrom(value: string): TopicRangeSpec | ParseFailure {
  const match = FROM.exec(value);
  if (!match) {
    const single = new RegExp(String.raw`^\s*${TIME}\s*$`, 'iu').test(value);
    return failure('topic.from_malformed', {
      value,
      hint: single ? `To take everything since ${value.trim()}, use ${formatOption('since', value.trim())}.` : null,
    });
  }
  const start = typedTime(match[1]!, match[2]!, match[3], match[4]);
  const end = typedTime(match[5]!, match[6]!, match[7], match[8]);
  const endClock = clockOf(end, end.meridiem);
  let startClock = clockOf(start, start.meridiem);
  // `3-4pm`, `11-1pm`: a start without am/pm takes the end's when that keeps it before the end, else the other.
  if (endClock.ok && start.meridiem === null && end.meridiem !== null && start.h >= 1 && start.h <= 12) {
    const same = clockOf(start, end.meridiem);
    startClock = same.ok && minutesOf(same.time) < minutesOf(endClock.time) ? same : clockOf(start, end.meridiem === 'pm' ? 'am' : 'pm');
  }
  if (!startClock.ok) return failure('topic.from_bad_time', { value, time: start.text, why: startClock.why });
  if (!endClock.ok) return failure('topic.from_bad_time', { value, time: end.text, why: endClock.why });
  if (minutesOf(startClock.time) === minutesOf(endClock.time)) {
    return failure('topic.from_empty_range', { value, time: formatClock(startClock.time) });
  }
  return { kind: 'from', start: startClock.time, end: endClock.time };
}

// ---- category:, tags:, ignore: ----

function parseCategory(value: string): string | ParseFailure {
  // People write categories as /discourse scopes do (c/staff) or as Discourse's hashtags (#staff).
  const slug = value.trim().replace(/^(?:c\/|#)/i, '');
  const parsed = parseScope(`c/${slug}`);
  if (!parsed.ok || parsed.scope.type !== 'category') return failure('topic.bad_category', { value });
  return parsed.scope.path;
}

/** Comma-separated items, trimmed, empty ones dropped. */
function listItems(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function parseTags(value: string, maxTagLength: number): string[] | ParseFailure {
  const tags: string[] = [];
  for (const item of listItems(value)) {
    // `t/name` as in /discourse scopes, `#name` as in hashtags: neither character can be part of a tag.
    const tag = item.replace(/^(?:t\/|#)/i, '').toLowerCase();
    if (/\s/u.test(tag)) {
      return failure('topic.bad_tag', { tag: item, why: 'a tag has no spaces', suggestion: [...tags, tag.replace(/\s+/gu, '-')].join(',') });
    }
    const forbidden = [...new Set(tag.match(TAG_FORBIDDEN) ?? [])];
    if (forbidden.length > 0 || tag === '') {
      const cleaned = tag.replace(TAG_FORBIDDEN, '');
      return failure('topic.bad_tag', {
        tag: item,
        why: tag === '' ? 'a tag needs a name after t/ or #' : `a tag cannot contain ${forbidden.map((c) => `"${c}"`).join(' or ')}`,
        suggestion: cleaned ? [...tags, cleaned].join(',') : null,
      });
    }
    if (Array.from(tag).length > maxTagLength) {
      return failure('topic.bad_tag', { tag: item, why: `a tag has at most ${maxTagLength} characters`, suggestion: null });
    }
    if (!tags.includes(tag)) tags.push(tag);
  }
  return tags;
}

/** GitLab's label titles (app/models/label.rb): anything but a comma, at most 255 characters, trimmed. */
const MAX_LABEL_LENGTH = 255;

function parseLabels(value: string): string[] | ParseFailure {
  const labels: string[] = [];
  for (const item of listItems(value)) {
    // `~bug` is how GitLab's own text refers to a label.
    const label = item.replace(/^~/u, '').trim();
    if (label === '') return failure('topic.bad_label', { label: item, why: 'a label needs a name after ~' });
    if (Array.from(label).length > MAX_LABEL_LENGTH) return failure('topic.bad_label', { label: item, why: `a label has at most ${MAX_LABEL_LENGTH} characters` });
    // Case is kept (it is the label's name); the same label twice counts once.
    if (!labels.some((l) => l.toLowerCase() === label.toLowerCase())) labels.push(label);
  }
  return labels;
}

// ---- to:, project: ----

const TARGETS = ['forum', 'gitlab'] as const;
// A single time of day (`to:16:10` is half a from: range).
const ONE_TIME = new RegExp(String.raw`^\s*${TIME}\s*$`, 'iu');

function parseTo(value: string): 'forum' | 'gitlab' | ParseFailure {
  const v = value.trim().toLowerCase();
  if (v === 'forum' || v === 'discourse') return 'forum';
  if (v === 'gitlab') return 'gitlab';
  let suggestion: string | null = null;
  const asProject = parseProjectPath(value);
  if (FROM.test(value) || ONE_TIME.test(value)) suggestion = EXAMPLES.from;
  else if (asProject !== null) suggestion = `to:gitlab ${formatOption('project', asProject)}`;
  else {
    const best = closest(v, TARGETS);
    if (distance(v, best) <= 2) suggestion = `to:${best}`;
  }
  return failure('topic.bad_target', { value, suggestion });
}

/**
 * `group/sub/project`, also typed `p/group/project` (as in /gitlab scopes) or pasted as the project's URL → the
 * path; null when it cannot be a project path. GitLab's path rules: letters, digits, `_`, `-` and `.`, not
 * starting with `-`, not ending in `.git` or `.atom`; a namespace and the project's own name; groups nest 20 deep.
 */
export function parseProjectPath(value: string): string | null {
  let v = value.trim();
  const url = /^https?:\/\/[^/\s]+\/(\S+)$/iu.exec(v);
  if (url) v = url[1]!.split('/-/')[0]!.replace(/\.git$/iu, '');
  const parts = v.replace(/^p\//iu, '').replace(/^\/+|\/+$/gu, '').split('/');
  if (parts.length < 2 || parts.length > 21) return null;
  if (!parts.every((part) => /^[A-Za-z0-9_.][A-Za-z0-9_.-]*$/u.test(part) && !/\.(?:git|atom)$/iu.test(part))) return null;
  return parts.join('/');
}

/**
 * A channel's transcriptTarget setting (`gitlab:group/project`, or `forum`) → the target, or null when it is
 * not one. Shared with `parley channels add --transcript-target`, which refuses what this cannot read.
 */
export function parseTargetSetting(value: unknown): TopicTarget | null {
  if (typeof value !== 'string') return null;
  const v = value.trim();
  if (v.toLowerCase() === 'forum') return { kind: 'forum' };
  const m = /^gitlab:(.+)$/iu.exec(v);
  const project = m ? parseProjectPath(m[1]!) : null;
  return project ? { kind: 'gitlab', project } : null;
}

function parseIgnore(value: string): string[] {
  const users: string[] = [];
  for (const item of listItems(value)) {
    const user = item.replace(/^@+/, '').trim();
    if (user && !users.includes(user)) users.push(user);
  }
  return users;
}

// ---- words that are not options ----

/** What a bare word most likely meant, with a note on why, or null. */
function guessForWord(word: string, next: Token | undefined): { suggestion: string; note: string | null } | null {
  const lower = word.toLowerCase();
  if (/^[+-]?\d+$/.test(word)) return { suggestion: `last:${word.replace(/^\+/, '')}`, note: null };
  if (COMPACT_DURATION.test(word)) return { suggestion: formatOption('since', word), note: null };
  if (FROM.test(word)) return { suggestion: formatOption('from', word), note: null };
  if (isOption(lower) && lower !== 'preview') {
    const value = next?.kind === 'word' ? next.value : null;
    return { suggestion: value ? formatOption(lower, value) : EXAMPLES[lower], note: 'with a colon' };
  }
  if (/^(?:c\/|#)\S+$/iu.test(word)) return { suggestion: formatOption('category', word.replace(/^(?:c\/|#)/i, '')), note: null };
  if (/^t\/\S+$/iu.test(word)) return { suggestion: formatOption('tags', word.slice(2)), note: null };
  if (/^@\S+$/u.test(word)) return { suggestion: formatOption('ignore', word.slice(1)), note: null };
  if (lower === 'gitlab' || lower === 'forum') return { suggestion: `to:${lower}`, note: null };
  const project = /^p\/\S+$/iu.test(word) ? parseProjectPath(word) : null;
  if (project !== null) return { suggestion: formatOption('project', project), note: null };
  if (/^(?:yesterday|today|tonight)$/i.test(word)) return { suggestion: formatOption('since', word), note: null };
  const option = nearestOption(lower);
  if (option === 'preview') return { suggestion: 'preview', note: null };
  return null;
}

/** Words right after an unquoted `title:` or `since:` (or a list with a stray space) most likely belong to it. */
function continuation(prev: OptionToken, words: readonly string[]): { suggestion: string; note: string } | null {
  if ((prev.key === 'title' || prev.key === 'since') && !prev.quoted) {
    return { suggestion: formatOption(prev.key, [prev.value, ...words].join(' ')), note: 'quote a value that has spaces' };
  }
  if ((prev.key === 'tags' || prev.key === 'ignore') && (prev.value.endsWith(',') || words[0]?.startsWith(','))) {
    return { suggestion: `${prev.key}:${[prev.value, ...words].join('').replace(/\s*,\s*/g, ',')}`, note: 'no spaces in a list' };
  }
  return null;
}

function strayWord(cmd: string, tokens: readonly Token[], index: number): ParseFailure {
  const token = tokens[index]!;
  const word = token.kind === 'word' ? token.value : token.raw;
  const prev = tokens[index - 1];
  if (prev?.kind === 'option') {
    const words: string[] = [];
    for (let j = index; j < tokens.length && tokens[j]!.kind === 'word'; j++) {
      const t = tokens[j]!;
      if (t.value.toLowerCase() === 'preview') break;
      words.push(t.value);
    }
    const joined = continuation(prev, words);
    if (joined) return failure('topic.stray_word', { cmd, word, suggestion: joined.suggestion, note: joined.note, valid: VALID });
  }
  const guess = guessForWord(word, tokens[index + 1]);
  return failure('topic.stray_word', { cmd, word, suggestion: guess?.suggestion ?? null, note: guess?.note ?? null, valid: VALID });
}

// ---- the command ----

/** Parses what follows `/topic`. */
export function parseTopicCommand(args: string, opts: TopicGrammarOptions = {}): TopicCommand | ParseFailure {
  const cmd = opts.cmd ?? '/topic';
  const max = opts.maxMessages ?? DEFAULT_MAX_MESSAGES;
  const maxTagLength = opts.maxTagLength ?? DEFAULT_MAX_TAG_LENGTH;
  const tokenized = tokenize(args);
  if (!tokenized.ok) return { id: tokenized.error.id, message: tokenized.error.message };
  const tokens = tokenized.tokens;
  const first = tokens[0];
  // `help` first, whatever follows (`/topic help since`), as `/discourse help` does.
  if (first?.kind === 'word' && !first.quoted && first.value.toLowerCase() === 'help') return topicHelp(opts);

  const command: TopicCommand = { range: { kind: 'default' }, target: { kind: 'forum' }, category: null, tags: [], ignore: [], title: null, preview: false };
  const seen = new Map<string, string>();
  let rangeToken: OptionToken | null = null;
  // Tags are read once the target is known: forum tags and GitLab labels follow different rules.
  let tagsValue: string | null = null;
  let to: 'forum' | 'gitlab' | null = null;
  let project: string | null = null;

  for (const [index, token] of tokens.entries()) {
    if (token.kind === 'word') {
      if (token.quoted || token.value.toLowerCase() !== 'preview') return strayWord(cmd, tokens, index);
      if (seen.has('preview')) return failure('topic.repeated_option', { key: 'preview', first: 'preview', second: 'preview', list: false });
      seen.set('preview', token.raw);
      command.preview = true;
      continue;
    }

    const key = token.key;
    if (key === 'help') return topicHelp(opts);
    if (!isOption(key)) {
      const option = nearestOption(key);
      const suggestion =
        option === null
          ? null
          : option === 'preview'
            ? 'preview'
            : option === 'from' && !FROM.test(token.value) // to:16:10 is half a range
              ? EXAMPLES.from
              : formatOption(option, token.value);
      return failure('topic.unknown_option', { cmd, key, suggestion, valid: VALID });
    }
    if (key === 'preview') return failure('topic.preview_value', { value: token.value });
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      return failure('topic.repeated_option', { key, first: earlier, second: token.raw, list: key === 'tags' || key === 'ignore' });
    }
    seen.set(key, token.raw);

    const value = token.value;
    if (value.trim() === '') return failure('topic.empty_value', { key, example: EXAMPLES[key] });

    switch (key) {
      case 'last':
      case 'from':
      case 'since': {
        if (rangeToken !== null) return failure('topic.range_conflict', { cmd, first: rangeToken.raw, second: token.raw });
        rangeToken = token;
        const range = key === 'last' ? parseLast(value, max) : key === 'from' ? parseFrom(value) : ({ kind: 'since', text: value.trim() } as const);
        if (isTopicFailure(range)) return range;
        command.range = range;
        break;
      }
      case 'category': {
        const category = parseCategory(value);
        if (typeof category !== 'string') return category;
        command.category = category;
        break;
      }
      case 'tags':
        if (listItems(value).length === 0) return failure('topic.empty_value', { key, example: EXAMPLES.tags });
        tagsValue = value;
        break;
      case 'to': {
        const target = parseTo(value);
        if (typeof target !== 'string') return target;
        to = target;
        break;
      }
      case 'project':
        project = parseProjectPath(value);
        if (project === null) return failure('topic.bad_project', { value });
        break;
      case 'ignore': {
        const users = parseIgnore(value);
        if (users.length === 0) return failure('topic.empty_value', { key, example: EXAMPLES.ignore });
        command.ignore = users;
        break;
      }
      case 'title':
        // A forum title is one line.
        command.title = value.trim().replace(/\s+/gu, ' ');
        break;
    }
  }

  // Where it goes: to:, else GitLab when a project is named, else the channel's default.
  const fallback = opts.defaultTarget ?? { kind: 'forum' };
  if (to === 'forum') {
    if (project !== null) return failure('topic.project_with_forum', { project });
  } else if (to === 'gitlab' || project !== null) {
    const path = project ?? (fallback.kind === 'gitlab' ? fallback.project : null);
    if (path === null) return failure('topic.project_missing', { cmd });
    command.target = { kind: 'gitlab', project: path };
  } else {
    command.target = fallback;
  }
  if (command.target.kind === 'gitlab') {
    const byDefault = to === null && project === null;
    if (command.category !== null) return failure('topic.category_with_gitlab', { project: command.target.project, category: command.category, byDefault });
    if (command.preview) return failure('topic.preview_with_gitlab', { project: command.target.project });
  }
  if (tagsValue !== null) {
    const tags = command.target.kind === 'gitlab' ? parseLabels(tagsValue) : parseTags(tagsValue, maxTagLength);
    if (isTopicFailure(tags)) return tags;
    command.tags = tags;
  }
  return command;
}

/** The help text, for callers that show it without parsing. */
export function topicHelpText(opts: TopicGrammarOptions = {}): string {
  return topicHelp(opts).message;
}
