// Jobs wait in Redis across an upgrade (the delivery delay, retries): one queued before sources still runs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { currentDeliverJob, currentFollowUpJob } from '../../jobs/queues.js';
import type { DeliverJob, FollowUpJob } from '../../lib/seams/jobs.js';
import { notification } from '../helpers/notification.js';

test('a delivery job queued with post and topic numbers gets the subject and thread keys they stand for', () => {
  const { subject: _subject, thread: _thread, ...old } = notification();
  const queued = { deliveryId: 'post-12-ch-3', channelId: 3, notification: { ...old, postId: 12, topicId: 4 }, threadTopicId: 4 } as unknown as DeliverJob;
  const current = currentDeliverJob(queued);
  assert.equal(current.thread, 'discourse:topic:4');
  assert.equal(current.notification.subject, 'discourse:post:12');
  assert.equal(current.notification.thread, 'discourse:topic:4');
  const unthreaded = currentDeliverJob({ ...queued, threadTopicId: null });
  assert.equal(unthreaded.thread, null);
  // Today's jobs pass through as they are.
  const today: DeliverJob = { deliveryId: 'x', channelId: 1, notification: notification(), thread: null };
  assert.equal(currentDeliverJob(today), today);
});

test('a follow-up job queued with a post number gets its subject', () => {
  const old = { deliveryId: 'post-12-ch-3', channelId: 3, postId: 12, change: 'edit' } as unknown as FollowUpJob;
  assert.equal(currentFollowUpJob(old).subject, 'discourse:post:12');
});
