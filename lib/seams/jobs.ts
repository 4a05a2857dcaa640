// The queue seam: the payloads of Parley's jobs, as commands and the webhook queue them and jobs/ carries them
// out. Payloads are JSON in Redis: a job queued by one version may be run by the next.
import type { Notification } from '../notification.js';
import type { CommandInvocation } from './invocation.js';

/** A source's webhook as accepted, processed later by jobs/ingest.ts (which hands GitLab's to jobs/ingest-gitlab.ts). */
export type IngestJob = DiscourseIngestJob | GitLabIngestJob;

/** A forum webhook as accepted by POST /hooks/discourse. */
export interface DiscourseIngestJob {
  source: 'discourse';
  eventId: string;
  /** X-Discourse-Event, e.g. post_created. */
  event: string;
  /** X-Discourse-Event-Type, e.g. post. */
  eventType: string;
  instance: string | null;
  body: unknown;
  /**
   * Set by earlier builds, whose webhook recorded the event id before handing the event to the queue: such a job is
   * handled without looking at the record.
   */
  recorded?: boolean;
  /** Epoch ms the webhook accepted it, for parley_event_to_delivered_seconds; absent on jobs of older versions. */
  acceptedAt?: number;
}

/** A GitLab webhook as accepted by POST /hooks/gitlab. */
export interface GitLabIngestJob {
  source: 'gitlab';
  /** The delivery key (lib/gitlab/signature.ts deliveryKey): the same for GitLab's retries of one delivery. */
  eventId: string;
  /** X-Gitlab-Event, e.g. Issue Hook; null when the request had none. */
  event: string | null;
  body: unknown;
  recorded?: boolean;
  acceptedAt?: number;
}

export interface DeliverJob {
  /** Same as the BullMQ job id and the delivery row's job_id. */
  deliveryId: string;
  channelId: number;
  notification: Notification;
  /** Set for `thread` rules on replies: the thread (Notification.thread) whose opening announcement the reply goes under. */
  thread: string | null;
  /** The source event's id (IngestJob.eventId), the correlation id of its log lines; absent on jobs of older versions. */
  eventId?: string;
  /** Epoch ms the source event reached the webhook (IngestJob.acceptedAt); absent on jobs of older versions. */
  acceptedAt?: number;
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
  /** Notification.subject of the announcement. */
  subject: string;
  change: 'edit' | 'withdraw';
  /** The forum event that asked for it, for its log lines; absent on jobs of older versions. */
  eventId?: string;
}

/**
 * Where a transcript goes (commands/topic/handler.ts decides, jobs/transcript.ts posts): a forum topic created as
 * the issuing user's forum account, or a GitLab issue in `project` (`group/sub/project`), created as `username` through
 * the Sudo header when `sudo`, else as the token's user with "Posted by @username" in it.
 */
export type TranscriptTarget =
  | { kind: 'forum'; username: string; categoryId: number | null; tags: string[] }
  | { kind: 'gitlab'; project: string; labels: string[]; username: string; sudo: boolean };

/** A /topic request, checked and resolved by commands/topic/handler.ts, carried out by jobs/transcript.ts. */
export interface TranscriptJob {
  /** Same as the BullMQ job id; the topic's external_id (the marker) is derived from it, so a retry never posts twice. */
  transcriptId: string;
  invocation: CommandInvocation;
  channelId: number;
  /** Jobs queued before targets existed have none: they are forum topics, from forumUsername, categoryId and tags. */
  target?: TranscriptTarget;
  /** Older jobs only (without `target`): the forum user the topic is created as. */
  forumUsername?: string;
  /** Older jobs only (without `target`). */
  categoryId?: number | null;
  /** Older jobs only (without `target`). */
  tags?: string[];
  /** ISO instants; `default`: back to the last pause, resolved against the messages. */
  range: { kind: 'last'; count: number } | { kind: 'between'; from: string; to: string } | { kind: 'default' };
  ignore: string[];
  title: string | null;
  preview: boolean;
  /** IANA zone the transcript's times are shown in. */
  zone: string;
  requestedAt: string;
}
