// Consecutive messages of one author, close in time, read as one block under one name. Pure functions.
import type { ChatAuthor, ChatMessage } from './types.js';

/** Default for PARLEY_TRANSCRIPT_MERGE_SECONDS. */
export const DEFAULT_MERGE_SECONDS = 120;

/**
 * Whether `next` joins the block whose latest message is `previous`: same author, and sent less than
 * `gapMs` after it. The gap is measured from the previous message of the block (not from the block's
 * first), so a steady stream of short messages stays one block. The boundary is exclusive: exactly
 * `gapMs` apart starts a new block (with the default, 119 s merges and 120 s does not). A gap of 0
 * never merges; a message older than `previous` (input out of order) never merges either.
 */
export function continuesBlock(previous: ChatMessage, next: ChatMessage, gapMs: number): boolean {
  if (previous.author.id !== next.author.id) return false;
  const delta = next.sentAt.getTime() - previous.sentAt.getTime();
  return delta >= 0 && delta < gapMs;
}

export interface MessageBlock {
  author: ChatAuthor;
  /** At least one message, oldest first. */
  messages: ChatMessage[];
}

/** Groups messages (already in time order, see selectMessages) into blocks. */
export function mergeMessages(messages: readonly ChatMessage[], gapSeconds: number = DEFAULT_MERGE_SECONDS): MessageBlock[] {
  const gapMs = gapSeconds * 1000;
  const blocks: MessageBlock[] = [];
  let current: MessageBlock | null = null;
  for (const message of messages) {
    const last = current?.messages[current.messages.length - 1];
    if (current !== null && last !== undefined && continuesBlock(last, message, gapMs)) {
      current.messages.push(message);
    } else {
      current = { author: message.author, messages: [message] };
      blocks.push(current);
    }
  }
  return blocks;
}
