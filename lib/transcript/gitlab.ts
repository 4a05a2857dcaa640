// A transcript as a GitLab issue (`/topic … to:gitlab`): the forum Markdown of ./render.ts made GitLab-flavoured,
// and the issue's title and description around it. Pure functions.
//
// Both dialects are CommonMark with GitHub's extensions, so the renderer is reused as it is; only what differs is
// adapted, outside code (which stays byte for byte):
//  - Discourse breaks a line at every newline; GitLab joins the lines of a paragraph. A line that continues a
//    paragraph gets a hard break (two trailing spaces, which are simply dropped where no paragraph goes on), so the
//    header's lines and a message's lines stay lines.
//  - GitLab runs quick actions (`/close`, `/assign @x`, `/confidential`, `/move …`) found at the start of a line of a
//    new issue's description. A line starting with `/` is escaped (`\/close`, shown as typed): chat text never acts.
//  - The BBCode Discourse reads (`[b]` `[i]` `[s]` `[u]`, `[spoiler]`, from Discord's markup, bots/discord/markup.ts)
//    becomes the HTML GitLab keeps: <strong>, <em>, <del>, <ins>, and <details> for a spoiler.
// Mentions are already broken by the renderer (`@` + a zero-width space), which stops GitLab's mentions as well.
// References such as `#12` or `!3` are left to link as in any GitLab text.
import { escapeName, mapOutsideCode } from './markdown.js';
import { countCharacters } from './size.js';

/** Issuable::DESCRIPTION_LENGTH_MAX: 1 MiB characters. */
export const GITLAB_DESCRIPTION_MAX = 1_048_576;
/** Issuable::TITLE_LENGTH_MAX. */
export const GITLAB_TITLE_MAX = 255;
/** Room kept for the "Posted by" line and the marker; the whole description is measured again before posting. */
export const GITLAB_DESCRIPTION_RESERVE = 4096;

const INLINE_BBCODE = /(?<!\\)\[(\/?)(b|i|s|u|spoiler)\]/giu;
const HTML: Record<string, readonly [string, string]> = {
  b: ['<strong>', '</strong>'],
  i: ['<em>', '</em>'],
  s: ['<del>', '</del>'],
  u: ['<ins>', '</ins>'],
  spoiler: ['<details><summary>Spoiler</summary>', '</details>'],
};

/** Two trailing spaces on every line that another line of the same block follows. */
function hardBreaks(prose: string): string {
  return prose.replace(/\n(?!\n)/gu, (nl: string, offset: number) => {
    const start = prose.lastIndexOf('\n', offset - 1) + 1;
    const line = prose.slice(start, offset);
    // A blank line ends the block; a line already ending in a hard break keeps its own. A piece that starts with
    // the newline follows inline code on the same line, so it breaks too.
    if ((start > 0 && line.trim() === '') || line.endsWith('  ') || line.endsWith('\\')) return nl;
    return `  ${nl}`;
  });
}

function adaptProse(prose: string): string {
  // A block spoiler (its tags alone on their lines, around a code block) gets blank lines inside <details>, so
  // that GitLab renders the Markdown in it.
  let out = prose.replace(/^\[spoiler\]$/gmu, `${HTML.spoiler![0]}\n`).replace(/^\[\/spoiler\]$/gmu, `\n${HTML.spoiler![1]}`);
  out = out.replace(INLINE_BBCODE, (_m: string, close: string, tag: string) => HTML[tag.toLowerCase()]![close ? 1 : 0]);
  out = out.replace(/^\//gmu, '\\/');
  return hardBreaks(out);
}

/** Forum Markdown (a rendered transcript) as GitLab-flavoured Markdown. */
export function toGitLabMarkdown(markdown: string): string {
  // The last line continues nothing: no break after it.
  return mapOutsideCode(markdown, adaptProse).replace(/ {2}(\n?)$/u, '$1');
}

/** A title GitLab accepts: at most 255 characters, cut with an ellipsis (the transcript itself is never cut). */
export function issueTitle(title: string): string {
  const chars = Array.from(title);
  return chars.length <= GITLAB_TITLE_MAX ? title : `${chars.slice(0, GITLAB_TITLE_MAX - 1).join('')}…`;
}

export interface IssueDescriptionInput {
  /** The rendered transcript (forum Markdown, as ./render.ts makes it). */
  markdown: string;
  /** Hidden in the description, found again by a retried job (lib/gitlab/client.ts issueMarker). */
  marker: string;
  /**
   * Set when the issue is created as the token's user rather than as the issuing user: who asked for it, by their
   * GitLab username and as the chat knows them.
   */
  postedBy: { username: string; chatName: string; platform: string } | null;
}

/** The issue's description: who posted it (when not created as them), the transcript, the marker. */
export function issueDescription(input: IssueDescriptionInput): { text: string; length: number } {
  const by = input.postedBy;
  const parts = [
    // The GitLab username is a mention on purpose: the user it names asked for this issue.
    by ? `Posted by ${/^[\w.-]+$/u.test(by.username) ? `@${by.username}` : escapeName(by.username)} (${escapeName(by.chatName)} on ${escapeName(by.platform)}) through Parley.\n\n` : '',
    toGitLabMarkdown(input.markdown),
    `\n\n<!-- ${input.marker} -->\n`,
  ];
  const text = parts.join('');
  return { text, length: countCharacters(text) };
}
