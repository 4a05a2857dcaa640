// What Slack sends Parley, as Bolt listeners, whichever receiver brought it (HTTP or Socket Mode): slash
// commands handed to the core and answered within Slack's 3 seconds, and the membership events that register
// a channel (the bot invited) or mark it in error (removed, archived, the app uninstalled).
import type { App } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { InFlight } from '../../lib/adapters/in-flight.js';
import { answerWithin, within } from '../../lib/adapters/within.js';
import type { Logger } from '../../lib/log.js';
import { COMMAND_WORDS, type MembershipChange } from '../../lib/seams/invocation.js';
import type { AdapterDeps } from '../../lib/seams/platform.js';
import { escapeSlack } from './format.js';
import { toResponse, type CommandResponse } from './response-url.js';
import type { SlackSender } from './sender.js';
import { commandWord, SLASH_COMMAND_WORDS, toInvocation, type SlashCommandPayload } from './slash-command.js';
import type { SlackUsers } from './users.js';

/** Slack gives up after 3 s: a slow command is answered "working on it" before that, and for real later. */
export const DEFAULT_DEADLINE_MS = 2_500;
/** The user's time zone is worth this much of those 3 s (`/topic from:` reads times in it). */
const ZONE_LOOKUP_MS = 1_000;
/** How long stop() waits for late answers. */
const STOP_TIMEOUT_MS = 10_000;

const WORKING: CommandResponse = { response_type: 'ephemeral', text: 'Working on it…' };

export interface InboundOptions {
  deps: AdapterDeps;
  client: WebClient;
  users: SlackUsers;
  sender: SlackSender;
  log: Logger;
  deadlineMs?: number;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** Why a channel is out of reach, as its error says it (docs/vocabulary.md#channel). */
const REASONS = {
  removed: (by: string | null) => ({ code: 'bot_removed', message: `The bot was removed from this Slack channel${by ? ` by ${by}` : ''}: invite it again with /invite` }),
  archived: { code: 'channel_archived', message: 'The Slack channel was archived: unarchive it and invite the bot again, or remove it from Parley' },
  uninstalled: { code: 'token_revoked', message: 'The Slack app was uninstalled from the workspace: reinstall it and set the new PARLEY_SLACK_BOT_TOKEN' },
  revoked: { code: 'token_revoked', message: "The Slack app's bot token was revoked: reinstall the app and set the new PARLEY_SLACK_BOT_TOKEN" },
} as const;

export class SlackInbound {
  private readonly lateAnswers = new InFlight();

  constructor(private readonly opts: InboundOptions) {}

  install(app: App): void {
    const { deps, log } = this.opts;
    // Slack sends an event again when it thinks the first was missed (over both transports): handle it once.
    app.use(async ({ body, next }) => {
      const eventId = str((body as { event_id?: unknown }).event_id);
      if (eventId && !(await deps.store.inboundEvents.record('slack-event', eventId))) return;
      await next();
    });

    app.command(/.*/u, async ({ command, ack }) => {
      const response = await this.command(command);
      await ack(response);
    });

    app.event('member_joined_channel', async ({ event, context }) => {
      if (!context.botUserId || event.user !== context.botUserId) return;
      // Parley's own client: Bolt's adds team_id to every call, which conversations.info does not take.
      const name = await this.opts.client.conversations
        .info({ channel: event.channel })
        .then((r) => (r.channel?.name ? `#${r.channel.name}` : event.channel))
        .catch(() => event.channel);
      const by = event.inviter ? await this.person(event.inviter) : null;
      await this.membership({ platform: 'slack', channel: { externalId: event.channel, name, isPrivate: false }, by, change: 'added' });
    });

    const left = async (channel: string, actor: string | undefined) => {
      const by = actor ? await this.person(actor) : null;
      await this.removed(channel, REASONS.removed(by ? `@${by.username}` : null), by);
    };
    app.event('channel_left', async ({ event }) => left(event.channel, event.actor_id));
    app.event('group_left', async ({ event }) => left(event.channel, (event as { actor_id?: string }).actor_id));
    app.event('channel_archive', async ({ event }) => this.removed(event.channel, REASONS.archived, null));
    app.event('group_archive', async ({ event }) => this.removed(event.channel, REASONS.archived, null));
    app.event('app_uninstalled', async () => this.allRemoved(REASONS.uninstalled));
    app.event('tokens_revoked', async ({ event }) => {
      // Only the bot token matters to Parley; users' tokens (if the app had any) do not.
      if ((event.tokens.bot ?? []).length > 0) await this.allRemoved(REASONS.revoked);
    });

    app.error(async (err) => {
      log.error({ err: err.message, code: err.code }, 'slack: a listener failed');
    });
  }

  /** Waits for late answers still on their way. */
  async stop(): Promise<void> {
    await this.lateAnswers.drain(STOP_TIMEOUT_MS);
  }

  /** The first answer to a slash command, within Slack's 3 seconds; a slow one is finished later through response_url. */
  private async command(payload: SlashCommandPayload): Promise<CommandResponse> {
    const { deps, users, sender, log } = this.opts;
    const started = Date.now();
    const word = commandWord(payload.command);
    if (!(COMMAND_WORDS as readonly string[]).includes(word)) {
      return { response_type: 'ephemeral', text: escapeSlack(`Parley does not answer /${word}; it answers ${SLASH_COMMAND_WORDS.map((w) => `/${w}`).join(', ')}.`) };
    }
    const invocation = toInvocation(payload);
    if (invocation.command === 'topic') {
      // Times in `from:` and `since:` are the user's own; Slack knows their zone.
      const user = await within(users.get(payload.user_id), ZONE_LOOKUP_MS).catch(() => null);
      if (user?.tz) invocation.timezone = user.tz;
      if (user) invocation.user.displayName = user.displayName;
    }
    // The deadline counts from the request: the zone lookup spent part of it.
    const deadline = Math.max(0, (this.opts.deadlineMs ?? DEFAULT_DEADLINE_MS) - (Date.now() - started));
    const first = await answerWithin(deps.handleCommand(invocation), deadline, { send: (late) => sender.replyLater(invocation, late), inFlight: this.lateAnswers, log });
    return first ? toResponse(first) : WORKING;
  }

  private async person(userId: string): Promise<MembershipChange['by']> {
    const user = await this.opts.users.get(userId).catch(() => null);
    return user ? { id: user.id, username: user.username, displayName: user.displayName } : { id: userId, username: userId, displayName: userId };
  }

  private async membership(change: MembershipChange): Promise<void> {
    const answer = await this.opts.deps.handleMembership(change);
    if (answer) await this.opts.sender.say(change.channel.externalId, answer.text);
  }

  private async removed(channel: string, reason: { code: string; message: string }, by: MembershipChange['by']): Promise<void> {
    await this.membership({ platform: 'slack', channel: { externalId: channel, name: channel, isPrivate: false }, by, change: 'removed', reason });
  }

  /** The app is gone from the workspace: every Slack channel is out of reach. */
  private async allRemoved(reason: { code: string; message: string }): Promise<void> {
    const channels = await this.opts.deps.store.channels.list({ platform: 'slack' });
    for (const channel of channels) await this.removed(channel.externalId, reason, null);
    this.opts.log.warn({ channels: channels.length, why: reason.code }, 'slack: the app lost its workspace; every Slack channel is marked');
  }
}
