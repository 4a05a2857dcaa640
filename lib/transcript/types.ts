// The transcript seam: chat messages as adapters hand them over (already in forum Markdown), and the range
// a /topic command asks for.

export interface ChatAuthor {
  /** The platform's user id. */
  id: string;
  /** Handle without @ (may be empty where the platform has none). */
  username: string;
  displayName: string;
  isBot: boolean;
}

/** One chat message, normalized by its adapter: the body is forum Markdown, mentions already names. */
export interface ChatMessage {
  /** The platform's message id (unique within the channel). */
  id: string;
  author: ChatAuthor;
  sentAt: Date;
  /** Forum Markdown, converted from the platform's markup by the adapter (bots/<platform>/markup.ts). */
  markdown: string;
  /** Files and images, linked in the transcript. */
  attachments: { name: string; url: string }[];
  /**
   * Where the platform has threads (Slack): the replies in this message's thread, oldest first, shown under it
   * in the transcript (docs/architecture.md#a-transcript). Replies carry no replies of their own.
   */
  replies?: ChatMessage[];
}

/** Which messages a transcript covers, resolved to absolute times or a count. */
export type TranscriptRange =
  | { kind: 'last'; count: number }
  | { kind: 'between'; from: Date; to: Date };

/** A range as /topic resolves it; `default` is found from the messages themselves (back to the last pause). */
export type ResolvedRange = TranscriptRange | { kind: 'default' };

/** The range without last:, from: or since:: back to the last pause of 10 minutes, at most 100 messages. */
export const DEFAULT_RANGE = { pauseMinutes: 10, maxMessages: 100 } as const;
