// A room's history for transcripts: GET /rooms/{roomId}/messages read backwards from the end (or, for a
// between range, from its end found with /timestamp_to_event where the server has it) until the range is
// covered; edits applied (the latest text: an edit read on the way, or the one the server bundles with its
// original), redactions left out, thread replies carried by their root, messages converted from Matrix HTML to
// forum Markdown with mention pills as display names; handed out oldest first.
//
// Rate limits: an M_LIMIT_EXCEEDED asking for at most MAX_RATE_LIMIT_WAIT_MS is waited out here (announced
// through onSlowdown) a few times; a longer one reaches the transcript job, which retries later.
import { setTimeout as sleep } from 'node:timers/promises';
import { PlatformRateLimitedError } from '../../lib/errors.js';
import type { HistoryOptions } from '../../lib/seams/platform.js';
import type { ChatMessage, TranscriptRange } from '../../lib/transcript/types.js';
import type { MatrixApi, MessagesResponse, RoomEvent } from './client.js';
import { errcodeOf, mapMatrixError } from './errors.js';
import { isEdit, localpart, threadOf } from './events.js';
import { matrixAttachments, matrixMessageToMarkdown } from './markup.js';

/** The largest page most servers give. */
export const PER_PAGE = 100;
export const MAX_RATE_LIMIT_WAITS = 3;
export const MAX_RATE_LIMIT_WAIT_MS = 60_000;
/** Only messages: edits and thread replies are messages too; redacted ones arrive emptied. */
const MESSAGES_FILTER = JSON.stringify({ types: ['m.room.message'], lazy_load_members: true });

export interface MatrixHistoryOptions extends HistoryOptions {
  /** The bot's own user id: its messages are a bot's. */
  botUserId: string;
}

/** Notices are what bots send (the spec asks bots to use them); Parley's own messages are a bot's. */
function isBotMessage(event: RoomEvent, botUserId: string): boolean {
  return event.sender === botUserId || event.content.msgtype === 'm.notice';
}

function isRedacted(event: RoomEvent): boolean {
  return event.unsigned?.redacted_because !== undefined || Object.keys(event.content).length === 0;
}

/** The newest text of a message: from an edit read on the way, else from the edit the server bundled with it. */
function latestContent(event: RoomEvent, edits: ReadonlyMap<string, RoomEvent>): Record<string, unknown> {
  const bundled = (event.unsigned?.['m.relations'] as { 'm.replace'?: RoomEvent } | undefined)?.['m.replace'];
  const edit = edits.get(event.event_id) ?? bundled;
  const replaced = edit?.content['m.new_content'];
  return replaced !== null && typeof replaced === 'object' ? (replaced as Record<string, unknown>) : event.content;
}

export async function* matrixHistory(api: MatrixApi, roomId: string, range: TranscriptRange, opts: MatrixHistoryOptions): AsyncIterable<ChatMessage[]> {
  const names = await api.memberNames(roomId).catch(() => new Map<string, string>());
  let waits = 0;
  let read = 0;
  /** One request, with the rate-limit waits this reader makes itself. */
  const request = async <T>(fn: () => Promise<T>): Promise<T> => {
    for (;;) {
      try {
        return await fn();
      } catch (err) {
        const mapped = mapMatrixError(err);
        if (!(mapped instanceof PlatformRateLimitedError) || waits >= MAX_RATE_LIMIT_WAITS || mapped.retryAfterMs > MAX_RATE_LIMIT_WAIT_MS) throw mapped;
        waits++;
        opts.onSlowdown?.({ read, waitMs: mapped.retryAfterMs, remainingMs: null });
        await sleep(mapped.retryAfterMs);
      }
    }
  };

  const from = range.kind === 'between' ? range.from.getTime() : -Infinity;
  const to = range.kind === 'between' ? range.to.getTime() : Infinity;
  const wanted = range.kind === 'last' ? range.count : Infinity;

  // A between range starts at its end where the server can find it; its first page comes with the jump.
  const jump = range.kind === 'between' ? await request(() => jumpTo(api, roomId, to)) : null;
  let token: string | null = jump?.token ?? null;
  let first: RoomEvent[] | null = jump?.events ?? null;
  const messages: RoomEvent[] = [];
  const edits = new Map<string, RoomEvent>();
  let topLevel = 0;
  reading: for (;;) {
    const page: MessagesResponse = first ? { chunk: first, start: '', ...(token ? { end: token } : {}) } : await request(() => api.messages(roomId, { from: token, dir: 'b', limit: PER_PAGE, filter: MESSAGES_FILTER }));
    const fromJump = first !== null;
    first = null;
    for (const event of page.chunk) {
      read++;
      if (event.type !== 'm.room.message' || isRedacted(event)) continue;
      const rel = event.content['m.relates_to'] as { event_id?: string } | undefined;
      // Newest first: the first edit seen of a message is its latest.
      if (isEdit(event)) {
        if (rel?.event_id && !edits.has(rel.event_id)) edits.set(rel.event_id, event);
        continue;
      }
      if (event.origin_server_ts > to) continue;
      if (event.origin_server_ts < from) break reading;
      messages.push(event);
      // `last:N` counts the conversation: not the command itself, not what bots (Parley included) said.
      const counts = !threadOf(event) && event.event_id !== opts.commandMessageId && !isBotMessage(event, opts.botUserId);
      if (counts && ++topLevel >= wanted) break reading;
    }
    if (!page.end || page.chunk.length === 0 || (!fromJump && page.end === token)) break;
    token = page.end;
  }

  const convert = (event: RoomEvent): ChatMessage => {
    const content = latestContent(event, edits);
    return {
      id: event.event_id,
      author: {
        id: event.sender,
        username: localpart(event.sender),
        displayName: names.get(event.sender) ?? localpart(event.sender),
        isBot: isBotMessage(event, opts.botUserId),
      },
      sentAt: new Date(event.origin_server_ts),
      markdown: matrixMessageToMarkdown({ ...content, 'm.relates_to': event.content['m.relates_to'] } as Parameters<typeof matrixMessageToMarkdown>[0], { user: (id) => names.get(id) }),
      attachments: matrixAttachments(content),
    };
  };

  // Thread replies go under their root when the root is in the range; otherwise they stand on their own.
  const ids = new Set(messages.map((m) => m.event_id));
  const replies = new Map<string, RoomEvent[]>();
  const roots: RoomEvent[] = [];
  for (const event of messages) {
    const root = threadOf(event);
    if (root && ids.has(root)) replies.set(root, [...(replies.get(root) ?? []), event]);
    else roots.push(event);
  }
  const byTime = (a: RoomEvent, b: RoomEvent) => a.origin_server_ts - b.origin_server_ts || (a.event_id < b.event_id ? -1 : 1);
  const out = roots.sort(byTime).map((event) => {
    const message = convert(event);
    const thread = replies.get(event.event_id);
    return thread ? { ...message, replies: thread.sort(byTime).map(convert) } : message;
  });
  for (let i = 0; i < out.length; i += opts.pageSize) yield out.slice(i, i + opts.pageSize);
}

/**
 * The last event at or before `ts` with the events before it (newest first) and the token to read on from them;
 * null (read from the room's end) where the server has no /timestamp_to_event or the room nothing that early.
 */
async function jumpTo(api: MatrixApi, roomId: string, ts: number): Promise<{ events: RoomEvent[]; token: string | null } | null> {
  try {
    const found = await api.timestampToEvent(roomId, ts, 'b');
    const context = await api.context(roomId, found.event_id, { limit: PER_PAGE, filter: MESSAGES_FILTER });
    return { events: [context.event, ...(context.events_before ?? [])], token: context.start ?? null };
  } catch (err) {
    const code = errcodeOf(err);
    if (code === 'M_UNRECOGNIZED' || code === 'M_NOT_FOUND') return null;
    throw err;
  }
}
