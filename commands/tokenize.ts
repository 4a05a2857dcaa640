// The tokenizer every command shares: whitespace-separated words and `key:value` options.
//
// - Keys are letters, digits, `_` and `-`, starting with a letter, and compare case-insensitively (lower-cased here).
// - A value (or a whole word) may be quoted with "…", '…', “…”, ‘…’, „…“ or «…»: phones and chat clients
//   turn straight quotes into curly ones, so those must work too. A curly quote may also be closed by a
//   straight one (text pasted from several places).
// - A quote opens only at the start of a word or of a value, so apostrophes inside words (don't) stay text.
// - Backslash escapes a quote, a backslash or a space; any other backslash is kept as typed.
import { failure } from './messages.js';

export interface WordToken {
  kind: 'word';
  value: string;
  /** The text as typed, quotes and escapes included. */
  raw: string;
  /** UTF-16 offset of the token's first character in the input. */
  start: number;
  quoted: boolean;
}

export interface OptionToken {
  kind: 'option';
  /** Lower-cased. */
  key: string;
  value: string;
  raw: string;
  start: number;
  quoted: boolean;
}

export type Token = WordToken | OptionToken;

export interface TokenizeError {
  id: 'parse.unterminated_quote';
  message: string;
  /** UTF-16 offset of the opening quote. */
  position: number;
  /** 1-based character (code point) column of the opening quote, as a user counts. */
  column: number;
}

export type TokenizeResult = { ok: true; tokens: Token[] } | { ok: false; error: TokenizeError };

/** Opening quote → the characters that close it (the first is the one we suggest). */
const QUOTES: Readonly<Record<string, string>> = {
  '"': '"',
  "'": "'",
  '\u201C': '\u201D"', // “ → ”
  '\u2018': "\u2019'", // ‘ → ’
  '\u201E': '\u201C\u201D"', // „ → “ or ”
  '\u00AB': '\u00BB', // « → »
};

const KEY = /^[a-z][\w-]*$/i;

function isSpace(ch: string): boolean {
  return /\s/u.test(ch);
}

function isQuote(ch: string): boolean {
  return Object.hasOwn(QUOTES, ch);
}

export function tokenize(input: string): TokenizeResult {
  const tokens: Token[] = [];
  const n = input.length;
  let i = 0;
  while (i < n) {
    while (i < n && isSpace(input[i]!)) i++;
    if (i >= n) break;

    const start = i;
    let value = '';
    let key: string | null = null;
    let quoted = false;
    // Only plain text (no quotes, no escapes) before a colon makes a key.
    let plain = true;
    let atValueStart = true;

    while (i < n && !isSpace(input[i]!)) {
      const ch = input[i]!;
      if (atValueStart && isQuote(ch)) {
        const closers = QUOTES[ch]!;
        let j = i + 1;
        let closed = false;
        while (j < n) {
          const c = input[j]!;
          const next = input[j + 1];
          if (c === '\\' && next !== undefined && (closers.includes(next) || next === '\\')) {
            value += next;
            j += 2;
            continue;
          }
          if (closers.includes(c)) {
            closed = true;
            break;
          }
          value += c;
          j++;
        }
        if (!closed) {
          const column = Array.from(input.slice(0, i)).length + 1;
          const f = failure('parse.unterminated_quote', { open: ch, close: closers[0]!, column });
          return { ok: false, error: { ...f, position: i, column } };
        }
        quoted = true;
        plain = false;
        atValueStart = false;
        i = j + 1;
        continue;
      }
      atValueStart = false;
      const next = input[i + 1];
      if (ch === '\\' && next !== undefined && (isSpace(next) || isQuote(next) || next === '\\')) {
        value += next;
        plain = false;
        i += 2;
        continue;
      }
      if (ch === ':' && key === null && plain && KEY.test(value)) {
        key = value.toLowerCase();
        value = '';
        atValueStart = true;
        i++;
        continue;
      }
      value += ch;
      i++;
    }

    const raw = input.slice(start, i);
    tokens.push(key === null ? { kind: 'word', value, raw, start, quoted } : { kind: 'option', key, value, raw, start, quoted });
  }
  return { ok: true, tokens };
}
