// The Mattermost adapter, composed as bolt-js composes an app: a receiver (slash commands in over HTTP,
// receiver-slash-command.ts) and a sender (notifications out through a channel's incoming webhook or, with a bot token, the
// REST API; later answers; sender.ts). What is left here reads Mattermost: health, roles and history.
import { PlatformPermanentError } from '../../lib/errors.js';
import type { AdapterDeps, MemberRole, PlatformAdapter, RateLimits } from '../../lib/seams/platform.js';
import { MattermostClient } from './client.js';
import type { MattermostContext } from './context.js';
import { MattermostHistory } from './history.js';
import { SlashCommandReceiver } from './receiver-slash-command.js';
import { createSender } from './sender.js';
import type { MattermostSettings } from './settings.js';

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

const RATE_LIMITS: RateLimits = {
  perChannel: [{ max: 1, durationMs: 1000 }],
  // Mattermost's own limiter (when an admin enables it) defaults to 10 requests a second per client IP.
  perPlatform: { max: 10, durationMs: 1000 },
};

const ROLE_HINT = 'Parley cannot read Mattermost roles: set PARLEY_MATTERMOST_TOKEN (a bot account token) or PARLEY_RULES_PERMISSION=anyone';

const hasRole = (roles: string | undefined, ...wanted: string[]) => (roles ?? '').split(/\s+/u).some((r) => wanted.includes(r));

export function createMattermostAdapter(deps: AdapterDeps, settings: MattermostSettings, opts: MattermostAdapterOptions = {}): PlatformAdapter<MattermostContext> {
  const log = deps.log.child({ platform: 'mattermost' });
  const client = settings.token ? new MattermostClient({ baseUrl: settings.url, token: settings.token, timeoutMs: opts.requestTimeoutMs }) : null;
  const receiver = new SlashCommandReceiver({
    tokens: settings.commandTokens,
    handleCommand: (invocation) => deps.handleCommand(invocation),
    log,
    deadlineMs: opts.commandDeadlineMs,
    stopTimeoutMs: opts.stopTimeoutMs,
  });
  // Without a bot token the sender has no editNotification or deleteNotification (webhook posts return no id).
  const sender = createSender({ client, store: deps.store, log, requestTimeoutMs: opts.requestTimeoutMs });

  return {
    platform: 'mattermost',
    rateLimits: RATE_LIMITS,

    registerRoutes: (app) => receiver.registerRoutes(app),
    // Commands arrive over HTTP; there is no streaming connection to open.
    async start(): Promise<void> {},
    // Late command answers finish first (at most stopTimeoutMs).
    stop: () => receiver.stop(),

    ...sender,

    async health() {
      if (!client) return { ok: true, detail: 'webhook-only' };
      try {
        const me = await client.getMe();
        return { ok: true, detail: `@${me.username}` };
      } catch (err) {
        return { ok: false, detail: (err as Error).message };
      }
    },

    // GET /api/v4/channels/{id}/posts needs the bot token; without it fetchHistory says so (there is no message log to fall back on).
    fetchHistory(channel, range, { pageSize }) {
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

    async memberRole(invocation): Promise<MemberRole> {
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
        log.warn({ err }, 'mattermost: could not read roles');
        return { role: 'unknown', why: `Parley could not read your Mattermost roles (${(err as Error).message}); an admin can check the bot's token and channel membership, or set PARLEY_RULES_PERMISSION=anyone` };
      }
    },
  };
}
