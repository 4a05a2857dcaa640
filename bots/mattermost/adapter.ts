// The Mattermost adapter: slash commands in over HTTP, notifications out through a channel's incoming
// webhook or, with a bot token, the REST API (which also gives threads and role checks).
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { AdapterDeps, Capabilities, MemberRole, PlatformAdapter, RateLimits, SendOptions } from '../adapter.js';
import type { CommandInvocation, CommandReply } from '../../commands/types.js';
import { PlatformPermanentError } from '../../lib/errors.js';
import type { Notification } from '../../lib/notification.js';
import type { ChannelRecord } from '../../lib/store/types.js';
import type { ChatMessage, TranscriptRange } from '../../lib/transcript/types.js';
import { MattermostClient, postJson } from './client.js';
import { isHttpUrl, registerCommandRoute, toResponse, type CommandResponse } from './command-route.js';
import { buildAttachmentPayload } from './format.js';
import { MattermostHistory } from './history.js';

export interface MattermostAdapterOptions {
  /** When a slow command gets its "working on it" answer (default 2.5 s; Mattermost waits 3 s). */
  commandDeadlineMs?: number;
  /** Per request to Mattermost. */
  requestTimeoutMs?: number;
  /** How long stop() waits for late command answers. */
  stopTimeoutMs?: number;
  /** History: the least time between two requests (default 100 ms, under Mattermost's 10 a second). */
  historyRequestIntervalMs?: number;
  /** History: posts per request (default and most 200). */
  historyPerPage?: number;
}

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

const ROLE_HINT = 'Parley cannot read Mattermost roles: set PARLEY_MATTERMOST_TOKEN (a bot account token) or PARLEY_RULES_PERMISSION=anyone';

const hasRole = (roles: string | undefined, ...wanted: string[]) => (roles ?? '').split(/\s+/u).some((r) => wanted.includes(r));

export function createMattermostAdapter(deps: AdapterDeps, opts: MattermostAdapterOptions = {}): PlatformAdapter {
  const settings = deps.config.mattermost;
  if (!settings) throw new Error('Mattermost is not configured: set PARLEY_MATTERMOST_URL');
  const log = deps.log.child({ platform: 'mattermost' });
  const client = settings.token ? new MattermostClient({ baseUrl: settings.url, token: settings.token, timeoutMs: opts.requestTimeoutMs }) : null;
  // One variable, several commands: each Mattermost slash command has its own token, so a comma-separated list is accepted.
  const commandTokens = (settings.commandToken ?? '').split(',').map((t) => t.trim()).filter(Boolean);
  const lateAnswers = new Set<Promise<void>>();

  const capabilities: Capabilities = {
    // Threads need root_id, which only the REST API takes; a webhook channel gets replies unthreaded.
    threads: true,
    // Posts made through the REST API can be edited and deleted; webhook posts return no id to do it by.
    edits: client !== null,
    ephemeralReplies: true,
    // GET /api/v4/channels/{id}/posts, with a bot token (fetchHistory says so when there is none).
    history: true,
  };

  const rateLimits: RateLimits = {
    perChannel: [{ max: 1, durationMs: 1000 }],
    // Mattermost's own limiter (when an admin enables it) defaults to 10 requests a second per client IP.
    perPlatform: { max: 10, durationMs: 1000 },
  };

  /** Where a later answer goes when the response_url cannot take it: the channel's webhook, else the REST API. */
  async function replyInChannel(invocation: CommandInvocation, response: CommandResponse): Promise<void> {
    const channelId = invocation.channel.externalId;
    const webhookUrl = (await deps.store.channels.find('mattermost', channelId))?.settings.webhookUrl;
    if (webhookUrl) {
      await postJson(webhookUrl, { text: response.text }, { action: 'webhook', timeoutMs: opts.requestTimeoutMs });
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

  return {
    platform: 'mattermost',
    capabilities,
    rateLimits,

    registerRoutes(app: FastifyInstance): void {
      registerCommandRoute(app, {
        tokens: commandTokens,
        handleCommand: (invocation) => deps.handleCommand(invocation),
        log,
        deadlineMs: opts.commandDeadlineMs,
        track(work) {
          lateAnswers.add(work);
          void work.catch(() => undefined).finally(() => lateAnswers.delete(work));
        },
      });
    },

    // Commands arrive over HTTP; there is no streaming connection to open.
    async start(): Promise<void> {},

    async stop(): Promise<void> {
      if (lateAnswers.size === 0) return;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, opts.stopTimeoutMs ?? 10_000);
      });
      await Promise.race([Promise.allSettled([...lateAnswers]), timeout]);
      clearTimeout(timer);
    },

    async health() {
      if (!client) return { ok: true, detail: 'webhook-only' };
      try {
        const me = await client.getMe();
        return { ok: true, detail: `@${me.username}` };
      } catch (err) {
        return { ok: false, detail: (err as Error).message };
      }
    },

    async sendNotification(channel: ChannelRecord, notification: Notification, send: SendOptions) {
      const payload = buildAttachmentPayload(notification);
      const webhookUrl = channel.settings.webhookUrl;
      if (webhookUrl) {
        // Incoming webhooks take no root_id, so threadRoot is ignored here and replies arrive unthreaded;
        // they return no post id either, so there is no message reference to thread later replies under.
        await postJson(webhookUrl, payload, { action: 'webhook', timeoutMs: opts.requestTimeoutMs });
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

    async editNotification(_channel: ChannelRecord, messageRef: string, notification: Notification) {
      if (!client) return;
      await client.patchPost(messageRef, { message: '', props: { attachments: buildAttachmentPayload(notification).attachments } });
    },

    async deleteNotification(_channel: ChannelRecord, messageRef: string) {
      if (!client) return;
      await client.deletePost(messageRef);
    },

    async replyLater(invocation: CommandInvocation, reply: CommandReply): Promise<void> {
      if (!reply.text.trim()) return;
      const response = toResponse(reply);
      const responseUrl = invocation.platformContext?.responseUrl ?? '';
      const receivedAt = Number(invocation.platformContext?.receivedAt);
      const fresh = !Number.isFinite(receivedAt) || Date.now() - receivedAt < RESPONSE_URL_LIFETIME_MS;
      if (isHttpUrl(responseUrl) && fresh) {
        try {
          await postJson(responseUrl, response, { action: 'command-response', timeoutMs: opts.requestTimeoutMs });
          return;
        } catch (err) {
          // Used up or expired (a 4xx): the channel is the way left. Anything else is the job's to retry.
          if (!(err instanceof PlatformPermanentError)) throw err;
          log.warn({ err: err.message }, 'mattermost: response_url refused a later answer; answering in the channel');
        }
      }
      await replyInChannel(invocation, response);
    },

    fetchHistory(channel: ChannelRecord, range: TranscriptRange, { pageSize }: { pageSize: number }): AsyncIterable<ChatMessage[]> {
      return (async function* () {
        if (!client) throw new PlatformPermanentError('not_configured', 'Mattermost history needs PARLEY_MATTERMOST_TOKEN (a bot account token)');
        const history = new MattermostHistory(client, channel.externalId, {
          pageSize,
          ...(opts.historyRequestIntervalMs !== undefined ? { minRequestIntervalMs: opts.historyRequestIntervalMs } : {}),
          ...(opts.historyPerPage !== undefined ? { perPage: opts.historyPerPage } : {}),
        });
        yield* history.pages(range);
      })();
    },

    async memberRole(invocation: CommandInvocation): Promise<MemberRole> {
      if (!client) return { role: 'unknown', why: ROLE_HINT };
      const userId = invocation.user.id;
      try {
        const user = await client.getUser(userId);
        if (hasRole(user.roles, 'system_admin')) return { role: 'moderator' };
        const member = await client.getChannelMember(invocation.channel.externalId, userId);
        if (member.scheme_admin === true || hasRole(member.roles, 'channel_admin', 'scheme_admin')) return { role: 'moderator' };
        const teamId = invocation.platformContext?.teamId;
        if (teamId) {
          const teamMember = await client.getTeamMember(teamId, userId);
          if (teamMember.scheme_admin === true || hasRole(teamMember.roles, 'team_admin', 'scheme_admin')) return { role: 'moderator' };
        }
        return { role: 'member' };
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'mattermost: could not read roles');
        return { role: 'unknown', why: `Parley could not read your Mattermost roles (${(err as Error).message}); an admin can check the bot's token and channel membership, or set PARLEY_RULES_PERMISSION=anyone` };
      }
    },
  };
}
