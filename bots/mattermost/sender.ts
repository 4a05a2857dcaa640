// What Parley sends to Mattermost: notifications through a channel's incoming webhook or, with a bot token, the
// REST API (which also threads them and can edit and delete them), and later answers to commands (the command's
// response_url while it lasts, else the channel).
import { createHash } from 'node:crypto';
import { PlatformPermanentError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import type { CommandInvocation } from '../../lib/seams/invocation.js';
import { channelSettingsOf, type PlatformAdapter } from '../../lib/seams/platform.js';
import type { Store } from '../../lib/seams/store.js';
import { postJson, type MattermostClient } from './client.js';
import type { MattermostContext } from './context.js';
import { buildAttachmentPayload } from './format.js';
import { MATTERMOST_CHANNEL_SETTINGS } from './settings.js';
import { isHttpUrl, toResponse, type CommandResponse } from './slash-command.js';

/**
 * Mattermost takes answers at a command's response_url for 30 minutes (and 5 times); past that, Parley
 * posts in the channel instead. A minute is kept in hand for clocks and queues.
 */
export const RESPONSE_URL_LIFETIME_MS = 29 * 60_000;

// Mattermost ids are 26 characters of this base32 alphabet.
const ID_ALPHABET = 'ybndrfg8ejkmcpqxot1uwisza345h769';

/**
 * Mattermost clients send `pending_post_id` as `<user id>:<milliseconds>`; the server remembers it for
 * 30 s and answers a repeat with the first post instead of a second one. We derive both parts from the
 * delivery's idempotency key, so a retried delivery sends the same value (no lookup of our own user id).
 */
export function pendingPostId(idempotencyKey: string): string {
  const hash = createHash('sha256').update(idempotencyKey, 'utf8').digest();
  let id = '';
  for (let i = 0; i < 26; i++) id += ID_ALPHABET[(hash[i] ?? 0) % 32];
  const millis = hash.readUIntBE(26, 6) % 10 ** 13;
  return `${id}:${String(millis).padStart(13, '0')}`;
}

export interface SenderOptions {
  /** The REST API with the bot token; null when only webhooks and response_urls are there. */
  client: MattermostClient | null;
  store: Store;
  log: Logger;
  /** Per request to a webhook or response_url (the client has its own). */
  requestTimeoutMs?: number;
}

/**
 * The adapter's sending half. Without a bot token it has no editNotification or deleteNotification:
 * webhook posts return no post id to change them by.
 */
export type MattermostSender = Pick<PlatformAdapter<MattermostContext>, 'sendNotification' | 'editNotification' | 'deleteNotification' | 'replyLater'>;

export function createSender({ client, store, log, requestTimeoutMs }: SenderOptions): MattermostSender {
  /** Where a later answer goes when the response_url cannot take it: the channel's webhook, else the REST API. */
  async function replyInChannel(invocation: CommandInvocation<MattermostContext>, response: CommandResponse): Promise<void> {
    const channelId = invocation.channel.externalId;
    const record = await store.channels.find('mattermost', channelId);
    const webhookUrl = record ? channelSettingsOf(MATTERMOST_CHANNEL_SETTINGS, record).webhookUrl : undefined;
    if (webhookUrl) {
      await postJson(webhookUrl, { text: response.text }, { action: 'webhook', timeoutMs: requestTimeoutMs });
      return;
    }
    if (!client) {
      throw new PlatformPermanentError(
        'not_configured',
        `Parley cannot answer in Mattermost channel ${channelId} any more (the command's response_url has expired): set PARLEY_MATTERMOST_TOKEN to a bot token, or give the channel an incoming webhook (parley channels add mattermost:${channelId} --webhook-url URL)`,
      );
    }
    if (response.response_type === 'ephemeral') {
      try {
        await client.createEphemeralPost(invocation.user.id, { channel_id: channelId, message: response.text });
        return;
      } catch (err) {
        // Ephemeral posts need create_post_ephemeral, which Mattermost gives system admins only: say it to the channel.
        if (!(err instanceof PlatformPermanentError) || err.reason === 'token_revoked') throw err;
      }
    }
    await client.createPost({ channel_id: channelId, message: response.text });
  }

  const sender: MattermostSender = {
    async sendNotification(channel, notification, send) {
      const payload = buildAttachmentPayload(notification);
      const webhookUrl = channelSettingsOf(MATTERMOST_CHANNEL_SETTINGS, channel).webhookUrl;
      if (webhookUrl) {
        // Incoming webhooks take no root_id, so threadRoot is ignored here and replies arrive unthreaded;
        // they return no post id either, so there is no message reference to thread later replies under.
        await postJson(webhookUrl, payload, { action: 'webhook', timeoutMs: requestTimeoutMs });
        return { messageRef: null };
      }
      if (!client) {
        throw new PlatformPermanentError(
          'not_configured',
          `Mattermost channel ${channel.externalId} has no way to be reached: give it an incoming webhook (parley channels add mattermost:${channel.externalId} --webhook-url URL) or set PARLEY_MATTERMOST_TOKEN to a bot token`,
        );
      }
      const post = await client.createPost({
        channel_id: channel.externalId,
        message: '',
        props: { attachments: payload.attachments },
        ...(send.threadRoot ? { root_id: send.threadRoot } : {}),
        pending_post_id: pendingPostId(send.idempotencyKey),
      });
      return { messageRef: post.id };
    },

    async replyLater(invocation, reply) {
      if (!reply.text.trim()) return;
      const response = toResponse(reply);
      const context = invocation.platformContext;
      const responseUrl = context?.responseUrl ?? '';
      // Number(): a transcript job queued by an older Parley carries receivedAt as a string.
      const receivedAt = Number(context?.receivedAt);
      const fresh = !Number.isFinite(receivedAt) || Date.now() - receivedAt < RESPONSE_URL_LIFETIME_MS;
      if (isHttpUrl(responseUrl) && fresh) {
        try {
          await postJson(responseUrl, response, { action: 'command-response', timeoutMs: requestTimeoutMs });
          return;
        } catch (err) {
          // Used up or expired (a 4xx): the channel is the way left. Anything else is the job's to retry.
          if (!(err instanceof PlatformPermanentError)) throw err;
          // postJson's errors never name the URL (a credential).
          log.warn({ err }, 'mattermost: response_url refused a later answer; answering in the channel');
        }
      }
      await replyInChannel(invocation, response);
    },
  };
  if (!client) return sender;

  // Posts made through the REST API can be edited and deleted.
  return {
    ...sender,
    async editNotification(_channel, messageRef, notification) {
      try {
        await client.patchPost(messageRef, { message: '', props: { attachments: buildAttachmentPayload(notification).attachments } });
      } catch (err) {
        // Mattermost answers a patch of a post deleted in the channel with 403, as if it were a permission
        // problem (api4/post.go, postPatchChecks): reading the post tells the two apart (404: it is gone).
        if (err instanceof PlatformPermanentError && err.reason === 'forbidden') await client.getPost(messageRef);
        throw err;
      }
    },
    async deleteNotification(_channel, messageRef) {
      await client.deletePost(messageRef);
    },
  };
}
