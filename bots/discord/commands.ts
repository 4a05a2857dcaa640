// Parley's Discord application commands (slash commands), and how their interactions become the shared command
// language. Pure: no I/O. Discord shows each option as a field of its own; Parley hands the core the text a user
// would have typed on any other platform, so that every reply and every mistake reads the same everywhere
// (docs/commands.md).
//
// Discord's rules for the definitions (docs "Application Commands": Application Command Object, Naming,
// Option Type, Autocomplete): names 1-32 characters of `^[-_\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$` in lower
// case; descriptions 1-100 characters; at most 25 options per command or subcommand, and 25 choices; required
// options before optional ones; a subcommand's siblings are subcommands too; `autocomplete` only on string,
// integer and number options, and not together with `choices`; at most 4000 characters of names, descriptions and
// choice values in one command. An autocomplete answer has at most 25 choices, each name and value 1-100 characters.
import { createHash } from 'node:crypto';
import {
  ApplicationCommandOptionType,
  ApplicationCommandType,
  ApplicationIntegrationType,
  InteractionContextType,
  type APIApplicationCommandInteractionDataOption,
  type APIApplicationCommandOption,
  type APIChatInputApplicationCommandInteractionData,
  type RESTPutAPIApplicationCommandsJSONBody,
} from 'discord.js';
import { COMMAND_WORDS, type CommandWord } from '../../lib/seams/invocation.js';
import { DEFAULT_LAST_MAX } from './settings.js';
import type { CategoryRecord } from '../../lib/seams/store.js';

/** Discord's limits that the code below keeps. */
export const DISCORD_LIMITS = {
  autocompleteChoices: 25,
  choiceNameLength: 100,
  choiceValueLength: 100,
  descriptionLength: 100,
  nameLength: 32,
  options: 25,
  commandCharacters: 4000,
} as const;


export const RULE_SUBCOMMANDS = ['watch', 'follow', 'mute', 'thread'] as const;

type RuleSubcommand = (typeof RULE_SUBCOMMANDS)[number];

/** What each rules command's options say: `/discourse` speaks of the forum, `/gitlab` of GitLab. */
const RULE_TEXTS = {
  discourse: {
    description: 'What this channel hears from the forum: add rules, remove them, see them',
    scope: 'all, c/SLUG, t/TAG; several separated by spaces',
    rules: {
      watch: 'Post every new topic and reply from the forum here',
      follow: 'Post new topics only (first posts) from the forum here',
      mute: 'Silence posts from the forum here, whatever other rules match',
      thread: 'Post every new post; replies go into a thread under their topic',
    } satisfies Record<RuleSubcommand, string>,
  },
  gitlab: {
    description: 'What this channel hears from GitLab: add rules, remove them, see them',
    scope: 'all, p/GROUP/PROJECT, g/GROUP, l/LABEL; several separated by spaces',
    rules: {
      watch: 'Post new issues, merge requests, comments and state changes from GitLab here',
      follow: 'Post only what opens something: new issues and MRs, releases, failed pipelines',
      mute: 'Silence GitLab events here, whatever other rules match',
      thread: 'As watch, with comments in a thread under their issue',
    } satisfies Record<RuleSubcommand, string>,
  },
} as const;

export interface ApplicationCommandSettings {
  /** The upper bound of `last:` (PARLEY_TRANSCRIPT_MAX_MESSAGES); 1000 by default. */
  maxMessages?: number;
  /** Register `/gitlab` too (GitLab is configured). */
  gitlab?: boolean;
}

/**
 * The bodies for `PUT /applications/{application.id}/commands` (a bulk overwrite: Discord keeps exactly these).
 * Both commands are for servers only (contexts: Guild) and installed to servers (integration_types: GuildInstall):
 * a rule or a transcript belongs to a channel of a server.
 */
export function applicationCommands(settings: ApplicationCommandSettings = {}): RESTPutAPIApplicationCommandsJSONBody {
  const maxMessages = settings.maxMessages ?? DEFAULT_LAST_MAX;
  // One rules command per source: the same subcommands, each source's own words (GitLab's scopes are not autocompleted).
  const rulesCommand = (name: keyof typeof RULE_TEXTS): RESTPutAPIApplicationCommandsJSONBody[number] => ({
    type: ApplicationCommandType.ChatInput,
    name,
    description: RULE_TEXTS[name].description,
    contexts: [InteractionContextType.Guild],
    integration_types: [ApplicationIntegrationType.GuildInstall],
    options: [
      ...RULE_SUBCOMMANDS.map((sub): APIApplicationCommandOption => ({
        type: ApplicationCommandOptionType.Subcommand,
        name: sub,
        description: RULE_TEXTS[name].rules[sub],
        options: [{ type: ApplicationCommandOptionType.String, name: 'scope', description: RULE_TEXTS[name].scope, required: true, autocomplete: name === 'discourse' }],
      })),
      {
        type: ApplicationCommandOptionType.Subcommand,
        name: 'remove',
        description: `Remove a rule by its number, as /${name} status shows it`,
        options: [{ type: ApplicationCommandOptionType.Integer, name: 'number', description: `The rule number from /${name} status`, required: true, min_value: 1 }],
      },
      { type: ApplicationCommandOptionType.Subcommand, name: 'status', description: "This channel's rules, numbered, and its status" },
      { type: ApplicationCommandOptionType.Subcommand, name: 'help', description: 'Every command with an example, and who may change rules here' },
    ],
  });
  return [
    rulesCommand('discourse'),
    ...(settings.gitlab ? [rulesCommand('gitlab')] : []),
    {
      type: ApplicationCommandType.ChatInput,
      name: 'topic',
      description: 'Post recent messages of this channel to the forum as a new topic',
      contexts: [InteractionContextType.Guild],
      integration_types: [ApplicationIntegrationType.GuildInstall],
      options: [
        { type: ApplicationCommandOptionType.Integer, name: 'last', description: `The last N messages (1 to ${maxMessages})`, min_value: 1, max_value: maxMessages },
        { type: ApplicationCommandOptionType.String, name: 'from', description: 'Between two times of today, HH:MM-HH:MM (15:35-16:10)' },
        { type: ApplicationCommandOptionType.String, name: 'since', description: 'From a past time until now: 2h, 90m, yesterday 3pm' },
        { type: ApplicationCommandOptionType.String, name: 'category', description: "The forum category's slug; default: the channel's", autocomplete: true },
        { type: ApplicationCommandOptionType.String, name: 'tags', description: 'Tags for the topic, separated by commas' },
        { type: ApplicationCommandOptionType.String, name: 'ignore', description: 'Leave out these users, separated by commas' },
        { type: ApplicationCommandOptionType.String, name: 'title', description: "The topic's title; default: the channel and the time range" },
        { type: ApplicationCommandOptionType.Boolean, name: 'preview', description: "Reply with a link to the forum's composer instead of posting" },
        // Where GitLab is configured, a transcript may become a GitLab issue instead of a forum topic.
        ...(settings.gitlab
          ? [
              {
                type: ApplicationCommandOptionType.String,
                name: 'to',
                description: 'Post to the forum (default) or to GitLab as an issue',
                choices: [
                  { name: 'forum', value: 'forum' },
                  { name: 'gitlab', value: 'gitlab' },
                ],
              } satisfies APIApplicationCommandOption,
              { type: ApplicationCommandOptionType.String, name: 'project', description: "The GitLab project, group/project; default: the channel's" } satisfies APIApplicationCommandOption,
            ]
          : []),
      ],
    },
  ];
}

export const APPLICATION_COMMANDS: RESTPutAPIApplicationCommandsJSONBody = applicationCommands();

// ---------------------------------------------------------------------------------------------------------
// The hash

/** JSON with object keys sorted at every depth (array order kept: options are ordered). */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** A sha256 (hex) of the definitions' canonical JSON: equal for equal definitions, whatever their key order. */
export function commandsHash(commands: RESTPutAPIApplicationCommandsJSONBody): string {
  return createHash('sha256').update(canonicalJson(commands)).digest('hex');
}

// ---------------------------------------------------------------------------------------------------------
// Interaction → shared text

/** Characters that open a quote in the shared tokenizer (commands/tokenize.ts), at the start of a value. */
const QUOTE_OPENERS = /^["'\u201C\u2018\u201E\u00AB]/u;

/**
 * A value as the shared tokenizer reads it back unchanged: bare when it is plain, else in straight double quotes
 * with `"` and `\` escaped (inside quotes a backslash escapes only the closing quote and itself).
 */
export function quoteValue(value: string): string {
  const plain = value !== '' && !/[\s\\]/u.test(value) && !QUOTE_OPENERS.test(value);
  return plain ? value : `"${value.replace(/[\\"]/gu, (c) => `\\${c}`)}"`;
}

/** The /topic options in the order the grammar's help lists them (TOPIC_OPTIONS of commands/topic/grammar.ts). */
const TOPIC_ORDER = ['last', 'from', 'since', 'category', 'tags', 'ignore', 'title', 'preview', 'to', 'project'];

function optionText(option: APIApplicationCommandInteractionDataOption): string | null {
  switch (option.type) {
    case ApplicationCommandOptionType.Boolean:
      // `preview` is a bare word when true, and absent when false.
      return option.value ? option.name : null;
    case ApplicationCommandOptionType.String:
      return `${option.name}:${quoteValue(option.value.trim())}`;
    case ApplicationCommandOptionType.Integer:
    case ApplicationCommandOptionType.Number:
      return `${option.name}:${String(option.value)}`;
    default:
      // Users, channels, roles, attachments: none of Parley's commands has them; as text, the grammar refuses them.
      return 'value' in option ? `${option.name}:${quoteValue(String(option.value))}` : option.name;
  }
}

function isCommandWord(name: string): name is CommandWord {
  return (COMMAND_WORDS as readonly string[]).includes(name);
}

/**
 * An interaction's command and options as the text a user types after the command word on other platforms:
 * `/discourse watch scope:c/meta t/x` → `watch c/meta t/x`; `/topic last:50 title:Release notes` →
 * `last:50 title:"Release notes"`. Throws on a command that is not Parley's (not one of COMMAND_WORDS).
 */
export function toShared(data: APIChatInputApplicationCommandInteractionData): { command: CommandWord; args: string } {
  const command = data.name.toLowerCase();
  if (!isCommandWord(command)) throw new Error(`/${data.name} is not a Parley command`);
  const options = data.options ?? [];
  if (command === 'discourse' || command === 'gitlab') {
    const sub = options.find((o) => o.type === ApplicationCommandOptionType.Subcommand);
    if (!sub) return { command, args: '' };
    // The scope is space-separated words as typed: it stays as it is. A number is a number.
    const values = (sub.options ?? []).map((o) => ('value' in o ? String(o.value).trim() : '')).filter((v) => v !== '');
    return { command, args: [sub.name, ...values].join(' ') };
  }
  const rank = (name: string): number => {
    const at = TOPIC_ORDER.indexOf(name);
    return at === -1 ? TOPIC_ORDER.length : at;
  };
  const words = [...options]
    .sort((a, b) => rank(a.name) - rank(b.name))
    .map(optionText)
    .filter((w): w is string => w !== null);
  return { command, args: words.join(' ') };
}

// ---------------------------------------------------------------------------------------------------------
// Autocomplete

export interface AutocompleteChoice {
  name: string;
  value: string;
}

export interface ForumVocabulary {
  /** The forum's categories (the store's cached list); a parent is found by `parentId`. */
  categories: readonly Pick<CategoryRecord, 'id' | 'slug' | 'name' | 'parentId'>[];
  tags: readonly string[];
}

interface Candidate {
  /** What the choice puts in the field (for a scope, the last word). */
  text: string;
  /** The part after `c/` or `t/` (a slug path or tag), matched as a prefix too. */
  key: string;
  /** Shown after the text: the category's name. */
  label: string | null;
}

/** `slug` or `parent/child` per category, parents first, then alphabetically. */
function categoryPaths(categories: ForumVocabulary['categories']): { path: string; name: string }[] {
  const byId = new Map(categories.map((c) => [c.id, c]));
  return categories
    .map((c) => {
      const parent = c.parentId === null ? undefined : byId.get(c.parentId);
      return { path: (parent ? `${parent.slug}/${c.slug}` : c.slug).toLowerCase(), name: c.name };
    })
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Candidates whose text or key starts with the query, then those that contain it (text or label), in their order. */
function rankCandidates(candidates: readonly Candidate[], query: string): Candidate[] {
  const q = query.toLowerCase();
  if (q === '') return [...candidates];
  const prefix: Candidate[] = [];
  const substring: Candidate[] = [];
  for (const c of candidates) {
    const text = c.text.toLowerCase();
    if (text.startsWith(q) || c.key.toLowerCase().startsWith(q)) prefix.push(c);
    else if (text.includes(q) || (c.label?.toLowerCase().includes(q) ?? false)) substring.push(c);
  }
  return [...prefix, ...substring];
}

/** A choice's name: at most 100 characters, cut at the front (the end is what was being completed). */
function choiceName(text: string): string {
  const chars = Array.from(text);
  return chars.length <= DISCORD_LIMITS.choiceNameLength ? text : `…${chars.slice(chars.length - DISCORD_LIMITS.choiceNameLength + 1).join('')}`;
}

function toChoices(ranked: readonly Candidate[], before: string): AutocompleteChoice[] {
  const choices: AutocompleteChoice[] = [];
  for (const c of ranked) {
    const value = `${before}${c.text}`;
    // Discord refuses a choice value over 100 characters: such a choice cannot be offered at all.
    if (Array.from(value).length > DISCORD_LIMITS.choiceValueLength) continue;
    choices.push({ name: choiceName(c.label ? `${value} (${c.label})` : value), value });
    if (choices.length === DISCORD_LIMITS.autocompleteChoices) break;
  }
  return choices;
}

/**
 * The choices Discord shows while a user types an autocompleted option: `scope` of the rule subcommands (the last
 * word, separated by spaces or commas, is completed to `all`, `c/slug`, `c/parent/child` or `t/tag`; the earlier
 * words are kept in the value) or `category` of /topic (a slug or parent/child path). Prefix matches first, then
 * substrings (also of a category's name), case-insensitive; at most 25. Another option: none.
 */
export function autocompleteChoices(focused: { name: string; value: string }, forum: ForumVocabulary): AutocompleteChoice[] {
  const paths = categoryPaths(forum.categories);
  if (focused.name === 'category') {
    const query = focused.value.trim().replace(/^(?:c\/|#)/iu, '');
    const candidates = paths.map((p) => ({ text: p.path, key: p.path, label: p.name }));
    return toChoices(rankCandidates(candidates, query), '');
  }
  if (focused.name !== 'scope') return [];

  const value = focused.value.trimStart();
  const cut = Math.max(value.search(/[\s,][^\s,]*$/u), -1);
  const before = cut === -1 ? '' : value.slice(0, cut + 1);
  const query = value.slice(cut + 1);
  const earlier = new Set(before.toLowerCase().split(/[\s,]+/u).filter((w) => w !== ''));
  const tags = [...new Set(forum.tags.map((t) => t.toLowerCase()))].sort();
  const candidates: Candidate[] = [
    { text: 'all', key: 'all', label: null },
    ...paths.map((p) => ({ text: `c/${p.path}`, key: p.path, label: p.name })),
    ...tags.map((t) => ({ text: `t/${t}`, key: t, label: null })),
  ].filter((c) => !earlier.has(c.text));
  return toChoices(rankCandidates(candidates, query), before);
}
