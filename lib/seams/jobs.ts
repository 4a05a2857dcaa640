// The queue seam: the payloads of Parley's jobs, as commands and the webhook queue them and jobs/ carries them
// out. Payloads are JSON in Redis: a job queued by one version may be run by the next.
import type { Notification } from '../notification.js';
import type { CommandInvocation } from './invocation.js';

/** A forum webhook as accepted by POST /hooks/discourse, processed later by jobs/ingest.ts. */
export interface IngestJob {
  source: 'discourse';
  eventId: string;
  /** X-Discourse-Event, e.g. post_created. */
  event: string;
  /** X-Discourse-Event-Type, e.g. post. */
  eventType: string;
  instance: string | null;
  body: unknown;
  /** The webhook already recorded this event id (it began handling it, then handed it to the queue). */
  recorded?: boolean;
}

export interface DeliverJob {
  /** Same as the BullMQ job id and the delivery row's job_id. */
  deliveryId: string;
  channelId: number;
  notification: Notification;
  /** Set for `thread` rules on replies: the topic whose announcement the reply goes under. */
  threadTopicId: number | null;
}

/**
 * A change to an announcement already sent, or being sent: the post was edited (the chat message is edited to
 * the latest version, read when the job runs), or deleted or hidden (the chat message is deleted).
 * Queued in the platform's delivery queue under the name FOLLOW_UP_JOB (jobs/queues.ts), beside the deliveries it follows.
 */
export interface FollowUpJob {
  /** The delivery whose message changes (its job id). */
  deliveryId: string;
  channelId: number;
  postId: number;
  change: 'edit' | 'withdraw';
}

/** A /topic request, checked and resolved by commands/topic/handler.ts, carried out by jobs/transcript.ts. */
export interface TranscriptJob {
  /** Same as the BullMQ job id; the topic's external_id is derived from it, so a retry never posts twice. */
  transcriptId: string;
  invocation: CommandInvocation;
  channelId: number;
  forumUsername: string;
  /** ISO instants; `default`: back to the last pause, resolved against the messages. */
  range: { kind: 'last'; count: number } | { kind: 'between'; from: string; to: string } | { kind: 'default' };
  categoryId: number | null;
  tags: string[];
  ignore: string[];
  title: string | null;
  preview: boolean;
  /** IANA zone the transcript's times are shown in. */
  zone: string;
  requestedAt: string;
}

