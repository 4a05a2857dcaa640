// The Slack adapter, composed as bolt-js composes an app: a Bolt App whose receiver is either Parley's own
// HTTP routes (receiver-http.ts) or Bolt's Socket Mode (receiver-socket.ts), with listeners that hand commands
// and membership to the core (inbound.ts); a sender for everything Parley says (sender.ts); history for
// transcripts (history.ts). What is left here answers for the platform as a whole: health, roles, limits.
// Bolt's App module, not its index: the index also loads the Express (with Express itself) and AWS Lambda
// receivers, which Parley does not use: about 0.45 MB of JavaScript less in every process that runs Slack.
import bolt from '@slack/bolt/dist/App.js';
import { WebClient, type WebClientOptions } from '@slack/web-api';
import type { AdapterDeps, MemberRole, PlatformAdapter, RateLimits, Receiver } from '../../lib/seams/platform.js';
import { boltLogger } from './bolt-logger.js';
import type { SlackContext } from './context.js';
import { mapSlackError } from './errors.js';
import { slackHistory } from './history.js';
import { SlackInbound } from './inbound.js';
import { HttpReceiver } from './receiver-http.js';
import { createSocketReceiver } from './receiver-socket.js';
import { slackCall, SlackSender } from './sender.js';
import type { SlackSettings } from './settings.js';
import { SlackUsers } from './users.js';

const { default: App } = bolt;

export interface SlackAdapterOptions {
  /** When a slow command gets its "working on it" answer (default 2.5 s; Slack waits 3 s). */
  commandDeadlineMs?: number;
  /** Per Web API request (default 10 s). */
  requestTimeoutMs?: number;
  /** History: waits are made with this (tests pass a quick one). */
  sleep?: (ms: number) => Promise<void>;
}

// chat.postMessage: about one message a second per channel, short bursts allowed, and several hundred a minute
// per workspace (docs.slack.dev/apis/web-api/rate-limits).
const RATE_LIMITS: RateLimits = {
  perChannel: [{ max: 2, durationMs: 2000 }],
  perPlatform: { max: 300, durationMs: 60_000 },
};

/**
 * The Web API as Parley calls it: no retries of its own and 429s thrown, not waited for, so the delivery job
 * owns retries and a rate-limited channel waits in the queue without holding the others.
 */
export function webClientOptions(apiUrl: string, timeoutMs = 10_000): WebClientOptions {
  return { slackApiUrl: apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, timeout: timeoutMs };
}

export function createSlackAdapter(deps: AdapterDeps, settings: SlackSettings, opts: SlackAdapterOptions = {}): PlatformAdapter<SlackContext> {
  const log = deps.log.child({ platform: 'slack' });
  const clientOptions = webClientOptions(settings.apiUrl, opts.requestTimeoutMs);
  const client = new WebClient(settings.botToken, { ...clientOptions, logger: boltLogger(log) });
  const users = new SlackUsers(client);
  const sender = new SlackSender(client, log);

  // Who the bot is, asked once (auth.test) and again only after a failure: Bolt's own single-token setup asks
  // at construction and leaves a failure unhandled, or asks on every request.
  let identity: Promise<{ botToken: string; botId?: string; botUserId?: string; teamId?: string }> | null = null;
  const authorize = () => {
    identity ??= slackCall(() => client.auth.test()).then(
      (me) => ({ botToken: settings.botToken, ...(me.bot_id ? { botId: me.bot_id } : {}), ...(me.user_id ? { botUserId: me.user_id } : {}), ...(me.team_id ? { teamId: me.team_id } : {}) }),
      (err: unknown) => {
        identity = null;
        throw err;
      },
    );
    return identity;
  };

  const socket = settings.appToken ? createSocketReceiver({ appToken: settings.appToken, apiUrl: settings.apiUrl, log }) : null;
  const http = socket ? null : new HttpReceiver({ signingSecret: settings.signingSecret, store: deps.store, log });
  const receiver: Receiver = socket?.receiver ?? http!;
  const app = new App({ receiver: socket?.bolt ?? http!, authorize, logger: boltLogger(log), clientOptions: { ...clientOptions } });
  const inbound = new SlackInbound({ deps, client, users, sender, log, ...(opts.commandDeadlineMs !== undefined ? { deadlineMs: opts.commandDeadlineMs } : {}) });
  inbound.install(app);

  return {
    platform: 'slack',
    rateLimits: RATE_LIMITS,

    ...(http ? { registerRoutes: (server) => http.registerRoutes(server) } : {}),
    async start() {
      await receiver.start?.();
    },
    async stop() {
      await receiver.stop();
      await inbound.stop();
    },

    async health() {
      try {
        const me = await client.auth.test();
        return { ok: true, detail: `@${me.user ?? '?'} in ${me.team ?? 'the workspace'} (${socket ? 'Socket Mode' : 'HTTP'})` };
      } catch (err) {
        return { ok: false, detail: mapSlackError(err).message };
      }
    },

    sendNotification: (channel, notification, send) => sender.sendNotification(channel, notification, send),
    editNotification: (channel, ref, notification) => sender.editNotification(channel, ref, notification),
    deleteNotification: (channel, ref) => sender.deleteNotification(channel, ref),
    replyLater: (invocation, reply) => sender.replyLater(invocation, reply),
    progress: (invocation, text, ref) => sender.progress(invocation, text, ref),

    fetchHistory: (channel, range, history) => slackHistory(client, users, channel.externalId, range, { ...history, ...(opts.sleep ? { sleep: opts.sleep } : {}) }),

    async memberRole(invocation): Promise<MemberRole> {
      // Their own direct messages with the bot.
      if (invocation.channel.isPrivate) return { role: 'moderator' };
      try {
        const user = await users.get(invocation.user.id);
        if (!user) return { role: 'unknown', why: 'Slack does not know this user' };
        return user.isAdmin ? { role: 'moderator' } : { role: 'member' };
      } catch (err) {
        return { role: 'unknown', why: `Parley could not read your Slack role (${mapSlackError(err).message}); an admin can check the app's users:read scope, or set PARLEY_RULES_PERMISSION=anyone` };
      }
    },
  };
}
