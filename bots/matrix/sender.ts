// Everything Parley says in Matrix: notifications (m.notice, threaded for `thread` rules), their edits
// (m.replace) and redactions, answers to commands (replies to them, in their thread), a transcript's progress.
//
// Exactly once: every send carries a transaction id derived from what it is (the delivery's key, the command's
// event id and the answer's text, the message edited and its new text). The homeserver answers a repeated
// transaction id with the first event, so a send retried after a lost answer (a timeout, a 502, a worker killed
// mid-job) is the same event, never a second one.
import { createHash } from 'node:crypto';
import { PlatformPermanentError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import type { Notification } from '../../lib/notification.js';
import type { CommandInvocation, CommandReply } from '../../lib/seams/invocation.js';
import type { SendOptions } from '../../lib/seams/platform.js';
import type { ChannelRecord } from '../../lib/seams/store.js';
import type { MatrixApi } from './client.js';
import type { MatrixContext } from './context.js';
import { mapMatrixError } from './errors.js';
import { asReplyTo, commandReplyContent, editOf, inThread, notificationContent, type MatrixTextContent } from './format.js';

/** A transaction id for one thing said: the same thing always gets the same id. */
export function txnIdFor(kind: string, key: string): string {
  return `parley.${kind}.${createHash('sha256').update(key).digest('base64url').slice(0, 32)}`;
}

/** The answer to a command: a reply to it, inside its thread when it was typed in one. */
function answerContent(invocation: CommandInvocation<MatrixContext>, text: string): MatrixTextContent {
  const content = commandReplyContent({ text, visibility: 'channel' });
  const root = invocation.platformContext?.threadRoot;
  const placed = root ? inThread(content, root) : content;
  return invocation.commandMessageId ? asReplyTo(placed, invocation.commandMessageId) : placed;
}

/** Said where an encrypted room's error is shown. */
export const ENCRYPTED_ROOM_ERROR = 'The room is end-to-end encrypted, which Parley does not support: use an unencrypted room';

/**
 * A room seen to be encrypted (./invitations.ts marks its channel) gets nothing in the clear: a send would
 * succeed, and a success would clear the channel's error. Encryption cannot be turned off in a Matrix room.
 */
function refuseEncrypted(channel: ChannelRecord): void {
  if (channel.lastError?.code === 'encrypted_room') throw new PlatformPermanentError('encrypted_room', ENCRYPTED_ROOM_ERROR);
}

export class MatrixSender {
  constructor(
    private readonly api: MatrixApi,
    private readonly log: Logger,
  ) {}

  async sendNotification(channel: ChannelRecord, notification: Notification, opts: SendOptions): Promise<{ messageRef: string | null }> {
    refuseEncrypted(channel);
    const content = notificationContent(notification);
    const body = opts.threadRoot ? inThread(content, opts.threadRoot) : content;
    try {
      return { messageRef: await this.api.send(channel.externalId, body, txnIdFor('notify', opts.idempotencyKey)) };
    } catch (err) {
      throw mapMatrixError(err);
    }
  }

  async editNotification(channel: ChannelRecord, messageRef: string, notification: Notification): Promise<void> {
    refuseEncrypted(channel);
    const content = notificationContent(notification);
    try {
      await this.assertPresent(channel.externalId, messageRef);
      await this.api.send(channel.externalId, editOf(messageRef, content), txnIdFor('edit', `${messageRef}\n${content.formatted_body}`));
    } catch (err) {
      throw mapMatrixError(err, 'message');
    }
  }

  async deleteNotification(channel: ChannelRecord, messageRef: string): Promise<void> {
    try {
      await this.assertPresent(channel.externalId, messageRef);
      await this.api.redact(channel.externalId, messageRef, txnIdFor('redact', messageRef), 'The forum post was deleted or hidden');
    } catch (err) {
      throw mapMatrixError(err, 'message');
    }
  }

  /**
   * A homeserver takes an edit or a redaction of a message that is already redacted without a word; the core
   * needs to know that the message is gone (message_not_found), so it is asked first.
   */
  private async assertPresent(roomId: string, eventId: string): Promise<void> {
    const event = await this.api.event(roomId, eventId);
    if (event.unsigned?.redacted_because !== undefined) throw new PlatformPermanentError('message_not_found', `The message ${eventId} was redacted in the room`);
  }

  /** A command's answer, now or later (a transcript's link). */
  async replyLater(invocation: CommandInvocation<MatrixContext>, reply: CommandReply): Promise<void> {
    if (!reply.text.trim()) return;
    const key = `${invocation.channel.externalId}\n${invocation.commandMessageId ?? ''}\n${reply.text}`;
    try {
      await this.api.send(invocation.channel.externalId, answerContent(invocation, reply.text), txnIdFor('reply', key));
    } catch (err) {
      throw mapMatrixError(err);
    }
  }

  /** A job's progress: a reply to the command the first time, then edits of that reply. */
  async progress(invocation: CommandInvocation<MatrixContext>, text: string, ref: string | null): Promise<string | null> {
    const roomId = invocation.channel.externalId;
    try {
      if (ref === null) return await this.api.send(roomId, answerContent(invocation, text), txnIdFor('progress', `${roomId}\n${invocation.commandMessageId ?? ''}\n${text}`));
      await this.api.send(roomId, editOf(ref, commandReplyContent({ text, visibility: 'channel' })), txnIdFor('edit', `${ref}\n${text}`));
      return ref;
    } catch (err) {
      this.log.debug({ roomId, err: mapMatrixError(err).message }, 'matrix: could not show progress');
      return ref;
    }
  }

  /** Says something in a room on Parley's own account (a greeting, a refusal), once per `key`. */
  async say(roomId: string, text: string, key: string): Promise<void> {
    await this.api.send(roomId, commandReplyContent({ text, visibility: 'channel' }), txnIdFor('say', key));
  }
}
