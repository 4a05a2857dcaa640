// A Mattermost message as forum Markdown, for transcripts. Both are CommonMark with GFM tables and
// strikethrough, so most text passes through as it is; what differs is what Mattermost links or renders
// on its own: @user and ~channel references, HTML (shown as text in Mattermost, live in Discourse), and
// its image size syntax. Code (fenced blocks, inline spans) is kept exactly. Pure functions.
import { escapeName, mapOutsideCode, ZWSP } from '../../lib/transcript/markdown.js';

export interface MattermostMarkupOptions {
  /** Mattermost username (without @) → display name. */
  users?: ReadonlyMap<string, string>;
  /** Channel name (the URL handle, as in `~town-square`) → display name. */
  channels?: ReadonlyMap<string, string>;
}

// One pass over prose, first match wins:
//  1. image with Mattermost's size suffix: ![alt](url =WIDTHxHEIGHT)
//  2. autolinks <scheme:…>, bare URLs and link destinations: left alone
//  3. `<` starting an HTML tag, comment or declaration: escaped (Mattermost shows HTML as text)
//  4. @username (Mattermost handles: letters, digits, . _ -), starting a word
//  5. ~channel, starting a word (not ~~strikethrough)
const PROSE =
  /!\[([^\]\n]*)\]\(([^)\s]+) =(\d*)(?:x(\d*))?\)|(<[a-z][a-z0-9+.-]*:[^\s<>]*>|(?:https?|ftp):\/\/[^\s<>]*|www\.[^\s<>]*|\]\([^)\s]*)|(<(?=[a-z/!?]))|(^|[^\p{L}\p{N}_.@~-])@([a-z0-9][a-z0-9._-]*)|(^|[^\p{L}\p{N}_~-])~([a-z0-9][a-z0-9_-]*)/giu;

/** Looks a handle up; Mattermost drops trailing `.`, `_`, `-` ("thanks @bob.") when the whole is unknown. */
function lookup(map: ReadonlyMap<string, string> | undefined, handle: string): { name: string; rest: string } | null {
  if (!map) return null;
  let key = handle;
  while (key !== '') {
    const name = map.get(key) ?? map.get(key.toLowerCase());
    if (name !== undefined) return { name, rest: handle.slice(key.length) };
    if (!/[._-]$/u.test(key)) return null;
    key = key.slice(0, -1);
  }
  return null;
}

function convertProse(prose: string, options: MattermostMarkupOptions): string {
  return prose.replace(PROSE, (...m: (string | undefined)[]) => {
    const [all, alt, url, width, height, keep, html, beforeUser, user, beforeChannel, channel] = m as [string, ...(string | undefined)[]];
    if (url !== undefined) {
      // Discourse sizes images as ![alt|WIDTHxHEIGHT](url); it needs both numbers.
      return width && height ? `![${alt ?? ''}|${width}x${height}](${url})` : `![${alt ?? ''}](${url})`;
    }
    if (keep !== undefined) return keep;
    if (html !== undefined) return '\\<';
    if (user !== undefined) {
      const found = lookup(options.users, user);
      // Known or not, `@` is followed by a zero-width space: forum users of the same name are not pinged.
      return found ? `${beforeUser!}@${ZWSP}${escapeName(found.name)}${found.rest}` : `${beforeUser!}@${ZWSP}${user}`;
    }
    if (channel !== undefined) {
      // Mattermost links ~channel; the forum shows it as text, the display name when known.
      const found = lookup(options.channels, channel);
      return found ? `${beforeChannel!}~${escapeName(found.name)}${found.rest}` : all;
    }
    return all;
  });
}

/** A Mattermost post's `message` as forum Markdown. */
export function mattermostToMarkdown(message: string, options: MattermostMarkupOptions = {}): string {
  return mapOutsideCode(message, (prose) => convertProse(prose, options));
}
