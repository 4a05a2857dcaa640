// The rules grammar of `/discourse` and `/gitlab` (one grammar, each source with its own scopes): text after the
// command word → a typed command, or a failure that says what was wrong and what would be right. Pure: no I/O,
// never throws.
//
//   help | status | (watch|follow|mute|thread) SCOPE... | remove N...
//
// Subcommands are case-insensitive. Scopes and numbers may also be separated by commas.
import { closest, distance } from 'fastest-levenshtein';
import { isFilter, parseScope, type Filter, type Scope, type SourceName } from '../lib/rules.js';
import { sourceProfile } from '../lib/sources.js';
import { failure, sourceWords, type MessageId } from './messages.js';
import { tokenize, type Token } from './tokenize.js';

export type RulesCommand =
  | { kind: 'help' }
  | { kind: 'status' }
  | { kind: 'subscribe'; filter: Filter; scopes: Scope[] }
  | { kind: 'remove'; numbers: number[] };

export interface ParseFailure {
  id: MessageId;
  message: string;
}

export const SUBCOMMANDS = ['help', 'status', 'watch', 'follow', 'mute', 'thread', 'remove'] as const;

/** Words people try that are not ours, mapped to what they most likely meant (edit distance would mislead: unmute → mute). */
const INTENTS: Readonly<Record<string, (cmd: string) => string>> = {
  unwatch: (cmd) => `To stop a rule, find its number with ${cmd} status, then ${cmd} remove N.`,
  unfollow: (cmd) => `To stop a rule, find its number with ${cmd} status, then ${cmd} remove N.`,
  unmute: (cmd) => `To lift a mute, find its number with ${cmd} status, then ${cmd} remove N.`,
  unsubscribe: (cmd) => `To stop a rule, find its number with ${cmd} status, then ${cmd} remove N.`,
  delete: (cmd) => `Did you mean ${cmd} remove N (N as shown by ${cmd} status)?`,
  rm: (cmd) => `Did you mean ${cmd} remove N (N as shown by ${cmd} status)?`,
  list: (cmd) => `Did you mean ${cmd} status?`,
  rules: (cmd) => `Did you mean ${cmd} status?`,
  show: (cmd) => `Did you mean ${cmd} status?`,
  subscribe: (cmd) => `Did you mean ${cmd} watch SCOPE (or follow, thread)?`,
  add: (cmd) => `Did you mean ${cmd} watch SCOPE (or follow, thread, mute)?`,
};

export function isParseFailure(result: RulesCommand | ParseFailure): result is ParseFailure {
  return 'id' in result;
}

/** The words of a token list, split on commas too (`c/meta,t/release`, `1,3`). */
function items(tokens: readonly Token[]): string[] {
  return tokens.flatMap((t) => (t.kind === 'word' ? t.value : t.raw).split(',')).map((s) => s.trim()).filter((s) => s.length > 0);
}

function nearestSubcommand(word: string): string | null {
  const best = closest(word, SUBCOMMANDS);
  // Close enough to be a typo, not a different word: 1 edit for short words, 2 for longer ones.
  return distance(word, best) <= (word.length <= 4 ? 1 : 2) ? best : null;
}

/**
 * A word that looks like a bare name gets a suggestion: `meta` or `#meta` → `c/meta` (Discourse);
 * `group/project` → `p/group/project`, `group` → `g/group` (GitLab).
 */
function guessScope(word: string, source: SourceName): string | null {
  if (source === 'gitlab') {
    const path = /^[\p{L}\p{N}_.-]+(\/[\p{L}\p{N}_.-]+)*$/u.exec(word)?.[0]?.toLowerCase();
    return path ? (path.includes('/') ? `p/${path}` : `g/${path}`) : null;
  }
  const m = /^#?([\p{L}\p{N}_-]+)$/u.exec(word);
  return m ? `c/${m[1]!.toLowerCase()}` : null;
}

function parseScopes(cmd: string, source: SourceName, filter: Filter, rest: readonly Token[]): RulesCommand | ParseFailure {
  const words = items(rest);
  const scopeWords = sourceWords(sourceProfile(source));
  if (words.length === 0) return failure('parse.scope_missing', { cmd, filter, words: scopeWords });
  const scopes: Scope[] = [];
  const seen = new Set<string>();
  for (const word of words) {
    const parsed = parseScope(word, source);
    if (!parsed.ok) return failure('parse.bad_scope', { cmd, filter, error: parsed.error, guess: guessScope(word, source), words: scopeWords });
    const key = JSON.stringify(parsed.scope);
    if (seen.has(key)) continue;
    seen.add(key);
    scopes.push(parsed.scope);
  }
  return { kind: 'subscribe', filter, scopes };
}

function parseNumbers(cmd: string, rest: readonly Token[]): RulesCommand | ParseFailure {
  const words = items(rest);
  if (words.length === 0) return failure('parse.numbers_missing', { cmd });
  const numbers: number[] = [];
  for (const word of words) {
    // `#2` is how some people write "number 2". Up to 9 digits: no channel has a billion rules.
    const m = /^#?(\d{1,9})$/.exec(word);
    const n = m ? Number(m[1]) : 0;
    if (n < 1) return failure('parse.not_a_number', { cmd, word });
    if (!numbers.includes(n)) numbers.push(n);
  }
  return { kind: 'remove', numbers };
}

/**
 * Parses what follows `/discourse` or `/gitlab` (`source`, default Discourse). `cmd` is how the command is typed
 * on the platform, used in the examples of failure messages.
 */
export function parseRulesCommand(args: string, opts: { cmd?: string; source?: SourceName } = {}): RulesCommand | ParseFailure {
  const source = opts.source ?? 'discourse';
  const cmd = opts.cmd ?? `/${source}`;
  const tokenized = tokenize(args);
  if (!tokenized.ok) return { id: tokenized.error.id, message: tokenized.error.message };
  const [first, ...rest] = tokenized.tokens;
  // `/discourse` alone: the most useful answer is the help.
  if (first === undefined) return { kind: 'help' };

  const word = first.kind === 'word' ? first.value : first.raw;
  const sub = word.toLowerCase();
  if (first.kind === 'word') {
    if (sub === 'help') return { kind: 'help' }; // anything after `help` is ignored: `help watch` still helps
    if (sub === 'status') {
      if (rest.length > 0) return failure('parse.unexpected_args', { cmd, subcommand: 'status', extra: rest.map((t) => t.raw).join(' ') });
      return { kind: 'status' };
    }
    if (isFilter(sub)) return parseScopes(cmd, source, sub, rest);
    if (sub === 'remove') return parseNumbers(cmd, rest);
  }

  const intent = Object.hasOwn(INTENTS, sub) ? INTENTS[sub]!(cmd) : null;
  return failure('parse.unknown_subcommand', {
    cmd,
    word,
    suggestion: intent ? null : nearestSubcommand(sub),
    hint: intent,
    valid: SUBCOMMANDS,
  });
}
