// Whether a transcript fits in one forum post. Never truncate: over the limit, say how big it is and how
// to ask for less. Pure functions.

/** Discourse's default `max_post_length`. */
export const DEFAULT_MAX_POST_LENGTH = 32_000;

/**
 * Length as Discourse counts it (Ruby's String#length: Unicode code points), not JavaScript's UTF-16
 * units: an emoji is one character to the forum but two to `.length`.
 */
export function countCharacters(text: string): number {
  let surrogates = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // Count high surrogates that start a pair; each pair is one code point.
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        surrogates++;
        i++;
      }
    }
  }
  return text.length - surrogates;
}

export type PostLengthCheck =
  | { ok: true; length: number; max: number }
  | { ok: false; length: number; max: number; message: string };

const number = (n: number): string => n.toLocaleString('en-US');

/**
 * The verdict for a transcript of `length` characters holding `messageCount` messages. The advice names
 * a `last:` count that would fit, estimated from the average message size (with a margin).
 */
export function postLengthVerdict(length: number, max: number, messageCount?: number, place = 'the forum'): PostLengthCheck {
  if (length <= max) return { ok: true, length, max };
  const size = `the transcript is ${number(length)} characters; ${place} allows ${number(max)}`;
  let advice: string;
  if (messageCount === 1) {
    advice = 'its one message alone is longer than a post can be, so it cannot be archived as one post';
  } else if (messageCount !== undefined && messageCount > 1) {
    const fits = Math.max(1, Math.floor(((messageCount * max) / length) * 0.9));
    advice = `try last:${fits} or a shorter from:`;
  } else {
    advice = 'try a smaller last: or a shorter from:';
  }
  return { ok: false, length, max, message: `${size}: ${advice}` };
}

/** Does this Markdown fit in a post of at most `max` characters? If not, a message for the chat user. */
export function checkPostLength(markdown: string, max: number, messageCount?: number, place?: string): PostLengthCheck {
  return postLengthVerdict(countCharacters(markdown), max, messageCount, place);
}
