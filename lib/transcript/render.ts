// One forum post from a chat conversation: a header (platform, channel, time range with zone, participants,
// message count), then each block of one author's consecutive messages under `**Name** · 15:35`.
//
// Streaming: a job feeds the renderer page by page (oldest first) and drops each page afterwards, so memory
// is bounded by the output, never by an array of the range. With `maxLength` (the forum's limit) it stops
// keeping text once the post cannot fit and only counts, so even a huge range costs about one page.
import { DateTime, IANAZone } from 'luxon';
import { closeOpenFence, escapeName, link, neutralizeMentions } from './markdown.js';
import { continuesBlock, DEFAULT_MERGE_SECONDS } from './merge.js';
import { compareMessages } from './select.js';
import { countCharacters, postLengthVerdict } from './size.js';
import type { ChatAuthor, ChatMessage } from './types.js';

export interface TranscriptOptions {
  /** The platform's label (`Telegram`), shown in the header. */
  platform: string;
  /** The channel's display name. */
  channelName: string;
  /** IANA zone the times are shown in (the channel's or the instance's). */
  timeZone: string;
  /** PARLEY_TRANSCRIPT_MERGE_SECONDS; default 120. */
  mergeSeconds?: number;
  /** The forum's max post length in characters; over it the result is `too_long` (never truncated). */
  maxLength?: number;
  /** Whose limit maxLength is, for the too-long message: `the forum` (default), `a GitLab issue`. */
  limitOf?: string;
}

export interface TranscriptSummary {
  /** Display names, most messages first (ties: who spoke first). */
  participants: string[];
  messageCount: number;
  blockCount: number;
  /** First and last message. */
  from: Date;
  to: Date;
  /** Characters (code points) of the whole post, as the forum counts them. */
  length: number;
}

export type TranscriptResult =
  | { status: 'empty'; message: string }
  | ({ status: 'too_long'; max: number; message: string } & TranscriptSummary)
  | ({ status: 'ok'; markdown: string; bytes: number } & TranscriptSummary);

export const EMPTY_TRANSCRIPT_MESSAGE =
  'There are no messages to archive in that range (the command itself, bot messages and ignored users are left out).';

/** The name a transcript shows for a chat user. */
export function authorName(author: ChatAuthor): string {
  return author.displayName.trim() || author.username.trim() || `user ${author.id}`;
}

/** `yyyy-MM-dd ` added before each block's time when the range spans days. */
const DATE_PREFIX_LENGTH = 'yyyy-MM-dd '.length;

interface Stamp {
  time: string;
  date: string;
}

interface Participant {
  name: string;
  count: number;
  order: number;
}

export class TranscriptRenderer {
  private readonly zone: string;
  private readonly gapMs: number;
  private readonly maxLength: number | undefined;
  /** The body so far; empty once the post is known not to fit. */
  private parts: string[] = [];
  /** Indexes into `parts` of each block's time, to prefix with the date when the range spans days. */
  private stampParts: { part: number; date: string }[] = [];
  private bodyLength = 0;
  private overflowed = false;
  private finished = false;
  private last: ChatMessage | null = null;
  private first: ChatMessage | null = null;
  private messageCount = 0;
  private blockCount = 0;
  private readonly participants = new Map<string, Participant>();
  private readonly escapedNames = new Map<string, string>();
  private stampMinute = Number.NaN;
  private stampCache: Stamp = { time: '', date: '' };

  constructor(private readonly options: TranscriptOptions) {
    if (!IANAZone.isValidZone(options.timeZone)) throw new RangeError(`not an IANA time zone: ${options.timeZone}`);
    this.zone = options.timeZone;
    const seconds = options.mergeSeconds ?? DEFAULT_MERGE_SECONDS;
    if (!(seconds >= 0)) throw new RangeError(`merge gap must be 0 or more seconds, not ${seconds}`);
    this.gapMs = seconds * 1000;
    this.maxLength = options.maxLength;
  }

  /**
   * Adds one page of kept messages (see selectMessages). A page may be in any order; pages must come
   * oldest first, and a message older than one already rendered is a caller's bug, refused loudly.
   */
  add(messages: readonly ChatMessage[]): void {
    if (this.finished) throw new Error('the transcript is already finished');
    const page = isSorted(messages) ? messages : [...messages].sort(compareMessages);
    for (const message of page) this.addOne(message);
  }

  private addOne(message: ChatMessage): void {
    const at = message.sentAt.getTime();
    if (Number.isNaN(at)) throw new RangeError(`message ${message.id} has no valid time`);
    const last = this.last;
    if (last !== null && at < last.sentAt.getTime()) {
      throw new RangeError(
        `transcript pages must come oldest first: message ${message.id} (${message.sentAt.toISOString()}) is older than message ${last.id} (${last.sentAt.toISOString()})`,
      );
    }
    this.tally(message.author);
    if (last === null || !continuesBlock(last, message, this.gapMs)) this.startBlock(message.author, at);
    this.push(renderMessage(message));
    this.push('\n\n');
    this.first ??= message;
    this.last = message;
    this.messageCount++;
    for (const reply of message.replies ?? []) this.addReply(reply);
    if (!this.overflowed && this.maxLength !== undefined && this.bodyLength > this.maxLength) {
      // It cannot fit any more: keep counting (for the size in the reply), stop keeping text.
      this.overflowed = true;
      this.parts = [];
      this.stampParts = [];
    }
  }

  /**
   * A thread reply, quoted under its first message with its own name and time. The reply may be newer than
   * later messages of the channel; the range's end still follows the channel's messages.
   */
  private addReply(reply: ChatMessage): void {
    const at = reply.sentAt.getTime();
    if (Number.isNaN(at)) throw new RangeError(`message ${reply.id} has no valid time`);
    this.tally(reply.author);
    const stamp = this.stamp(at);
    const body = `↳ **${escapeName(authorName(reply.author))}** · ${stamp.date} ${stamp.time}\n${renderMessage(reply)}`;
    this.push(body.split('\n').map((line) => (line === '' ? '>' : `> ${line}`)).join('\n'));
    this.push('\n\n');
    this.messageCount++;
  }

  private startBlock(author: ChatAuthor, at: number): void {
    let name = this.escapedNames.get(author.id);
    if (name === undefined) {
      name = `**${escapeName(authorName(author))}** · `;
      this.escapedNames.set(author.id, name);
    }
    const stamp = this.stamp(at);
    this.push(name);
    if (!this.overflowed) this.stampParts.push({ part: this.parts.length, date: stamp.date });
    this.push(stamp.time);
    this.push('\n\n');
    this.blockCount++;
  }

  private tally(author: ChatAuthor): void {
    const p = this.participants.get(author.id);
    if (p) p.count++;
    else this.participants.set(author.id, { name: authorName(author), count: 1, order: this.participants.size });
  }

  private push(text: string): void {
    this.bodyLength += countCharacters(text);
    if (!this.overflowed) this.parts.push(text);
  }

  /** HH:MM and the date in the zone; consecutive blocks often share a minute, so the last one is cached. */
  private stamp(ms: number): Stamp {
    const minute = Math.floor(ms / 60_000);
    if (minute !== this.stampMinute) {
      const t = DateTime.fromMillis(ms, { zone: this.zone });
      this.stampCache = { time: t.toFormat('HH:mm'), date: t.toFormat('yyyy-MM-dd') };
      this.stampMinute = minute;
    }
    return this.stampCache;
  }

  finish(): TranscriptResult {
    this.finished = true;
    const first = this.first;
    const last = this.last;
    if (first === null || last === null) return { status: 'empty', message: EMPTY_TRANSCRIPT_MESSAGE };

    const from = DateTime.fromJSDate(first.sentAt, { zone: this.zone });
    const to = DateTime.fromJSDate(last.sentAt, { zone: this.zone });
    const spansDays = from.toFormat('yyyy-MM-dd') !== to.toFormat('yyyy-MM-dd');
    const participants = [...this.participants.values()].sort((a, b) => b.count - a.count || a.order - b.order).map((p) => p.name);
    const header = this.header(from, to, spansDays, participants);
    // The body ends with a blank line; the post ends with a single newline.
    const length = countCharacters(header) + this.bodyLength - 1 + (spansDays ? this.blockCount * DATE_PREFIX_LENGTH : 0);
    const summary: TranscriptSummary = { participants, messageCount: this.messageCount, blockCount: this.blockCount, from: first.sentAt, to: last.sentAt, length };

    if (this.maxLength !== undefined) {
      const verdict = postLengthVerdict(length, this.maxLength, this.messageCount, this.options.limitOf);
      if (!verdict.ok) return { status: 'too_long', max: verdict.max, message: verdict.message, ...summary };
    }
    const parts = this.parts;
    if (spansDays) for (const s of this.stampParts) parts[s.part] = `${s.date} ${parts[s.part]!}`;
    const body = parts.join('');
    this.parts = [];
    const markdown = header + body.slice(0, -1);
    return { status: 'ok', markdown, bytes: Buffer.byteLength(markdown, 'utf8'), ...summary };
  }

  private header(from: DateTime, to: DateTime, spansDays: boolean, participants: string[]): string {
    const platform = this.options.platform;
    const t1 = from.toFormat('HH:mm');
    const t2 = to.toFormat('HH:mm');
    const range = spansDays
      ? `${from.toFormat('yyyy-MM-dd')} ${t1} – ${to.toFormat('yyyy-MM-dd')} ${t2}`
      : t1 === t2
        ? `${from.toFormat('yyyy-MM-dd')} ${t1}`
        : `${from.toFormat('yyyy-MM-dd')} ${t1}–${t2}`;
    const count = `${this.messageCount.toLocaleString('en-US')} ${this.messageCount === 1 ? 'message' : 'messages'}`;
    return [
      `**Chat transcript** · ${escapeName(platform)} · ${escapeName(this.options.channelName)}`,
      `${range} (${this.zone}) · ${count}`,
      `Participants: ${participants.map(escapeName).join(', ')}`,
      '',
      '---',
      '',
      '',
    ].join('\n');
  }
}

function isSorted(messages: readonly ChatMessage[]): boolean {
  for (let i = 1; i < messages.length; i++) if (compareMessages(messages[i - 1]!, messages[i]!) > 0) return false;
  return true;
}

/** A message's Markdown, with mentions broken outside code and a dangling fence closed, then its files. */
function renderMessage(message: ChatMessage): string {
  const text = closeOpenFence(neutralizeMentions(message.markdown));
  if (message.attachments.length === 0) return text;
  // A file without a shareable link (Telegram: its URL would carry the bot token) is named, not linked.
  const files = message.attachments.map((a) => (a.url ? link(a.name || a.url, a.url) : `📎 ${escapeName(a.name || 'file')}`)).join('\n');
  if (text.trim() === '') return files;
  // A blank line first, so that a file link never continues a quote or list the text ended with.
  return `${text}${text.endsWith('\n') ? '\n' : '\n\n'}${files}`;
}

/** The whole range at once (tests, small ranges); jobs should feed pages to a TranscriptRenderer. */
export function renderTranscript(messages: readonly ChatMessage[], options: TranscriptOptions): TranscriptResult {
  const renderer = new TranscriptRenderer(options);
  renderer.add(messages);
  return renderer.finish();
}
