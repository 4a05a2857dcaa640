// The IRC adapter (docs/architecture.md#irc): ./connection.ts holds the one connection to the network,
// ./inbound.ts says what it hears, ./sender.ts says everything Parley says. This file puts them together and
// answers for the platform as a whole: start, stop, health, the channels to be in, and who moderates a channel.
import { InFlight } from '../../lib/adapters/in-flight.js';
import { PlatformPermanentError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import type { Notification } from '../../lib/notification.js';
import type { CommandInvocation, CommandReply } from '../../lib/seams/invocation.js';
import type { AdapterDeps, MemberRole, PlatformAdapter, RateLimits, SendOptions } from '../../lib/seams/platform.js';
import type { ChannelRecord } from '../../lib/seams/store.js';
import { IrcConnection } from './connection.js';
import type { IrcContext } from './context.js';
import { IrcInbound } from './inbound.js';
import { IrcSender } from './sender.js';
import type { IrcSettings } from './settings.js';

/** The channel errors a kill or a server ban leaves: about the connection, not about the channel. */
const THROWN_OUT_CODES = new Set(['killed', 'server_banned']);

/** How often the channels the bot is in are compared with those it should be in (an admin's accept, a removal). */
const RECONCILE_EVERY_MS = 60_000;

export class IrcAdapter implements PlatformAdapter<IrcContext> {
  readonly platform = 'irc' as const;
  readonly rateLimits: RateLimits;
  /** One connection per nick: a second one would take an alternate nick and answer every command again. */
  readonly uniqueConnection = true;
  private readonly log: Logger;
  private readonly connection: IrcConnection;
  private readonly sender: IrcSender;
  private readonly inFlight = new InFlight();
  private reconcileTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly deps: AdapterDeps,
    private readonly settings: IrcSettings,
  ) {
    this.log = deps.log.child({ platform: 'irc' });
    // The connection is what the server's flood limit counts, so the platform's limit is the one that binds: the
    // worker's pace (jobs/channel-limiter.ts) spaces notifications one every two intervals (a notification is one
    // or two lines), so that the pacer (./pacer.ts) rarely holds a line back, and jobs go in the order they asked.
    // The channel's window, which puts a job that finds it full back to wait (and so behind later ones), is twice
    // as wide as the platform's and never full.
    const durationMs = settings.burst * settings.lineIntervalMs * 2;
    this.rateLimits = { perChannel: [{ max: settings.burst * 2, durationMs }], perPlatform: { max: settings.burst, durationMs } };
    const keys = new Map(settings.channels.map((c) => [c.name.toLowerCase(), c.key]));
    const track = <T>(work: Promise<T>) => this.inFlight.track(work);
    let inbound: IrcInbound | null = null;
    this.connection = new IrcConnection(settings, this.log, {
      attach: (client) => inbound?.attach(client),
      registered: () => track(this.joinAll()),
      thrownOut: (reason, banned) => track(this.thrownOut(reason, banned)),
    });
    this.sender = new IrcSender(this.connection, (channel) => keys.get(channel.toLowerCase()) ?? null);
    inbound = new IrcInbound(deps, this.connection, this.sender, settings.allowedInviters, this.log, track);
  }

  async start(): Promise<void> {
    await this.connection.start();
    this.reconcileTimer = setInterval(() => void this.inFlight.track(this.joinAll()), RECONCILE_EVERY_MS);
    this.reconcileTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.reconcileTimer) clearInterval(this.reconcileTimer);
    this.reconcileTimer = null;
    await this.connection.stop();
    await this.inFlight.drain();
  }

  async health(): Promise<{ ok: boolean; detail?: string }> {
    if (this.connection.connected) return { ok: true, detail: `${this.connection.nick} on ${this.settings.host}` };
    // A web or workers process, or a bots process standing by: the connection is another process's to hold.
    if (!this.connection.running && this.connection.startError) return { ok: false, detail: `could not connect to ${this.settings.host}: ${this.connection.startError}` };
    if (!this.connection.running) return { ok: true, detail: `${this.settings.host}: not connected in this process (the bots process holding the lease connects)` };
    return { ok: false, detail: `not connected to ${this.settings.host}: ${this.connection.failure ?? 'not started in this process'}` };
  }

  sendNotification(channel: ChannelRecord, notification: Notification, opts: SendOptions): Promise<{ messageRef: string | null }> {
    return this.sender.sendNotification(channel, notification, opts);
  }

  replyLater(invocation: CommandInvocation<IrcContext>, reply: CommandReply): Promise<void> {
    return this.sender.replyLater(invocation, reply);
  }

  async memberRole(invocation: CommandInvocation<IrcContext>): Promise<MemberRole> {
    const channel = invocation.channel.externalId;
    const nick = invocation.platformContext?.nick ?? invocation.user.displayName;
    const members = this.connection.members;
    if (!members.knows(channel)) return { role: 'unknown', why: `the bot is not in ${channel}, so it cannot see its operators` };
    const role = members.role(channel, nick);
    return role === 'absent' ? { role: 'unknown', why: `${nick} is not in ${channel} any more` } : { role };
  }

  /** The channels of PARLEY_IRC_CHANNELS and the registered ones (active or pending) joined; the others left. */
  private async joinAll(): Promise<void> {
    if (!this.connection.connected) return;
    // Channels marked only because the server threw the bot out are joined again with the rest.
    const registered = (await this.deps.store.channels.list({ platform: 'irc' })).filter(
      (c) => c.status === 'active' || c.status === 'pending' || (c.status === 'error' && THROWN_OUT_CODES.has(c.lastError?.code ?? '')),
    );
    const wanted = new Map<string, { name: string; key: string | null; record: ChannelRecord | null }>();
    for (const c of this.settings.channels) wanted.set(this.connection.fold(c.name), { ...c, record: null });
    for (const record of registered) {
      const key = this.connection.fold(record.externalId);
      wanted.set(key, { name: record.externalId, key: wanted.get(key)?.key ?? null, record });
    }
    await Promise.all(
      [...wanted.values()].map(async ({ name, key, record }) => {
        try {
          await this.connection.join(name, key);
        } catch (err) {
          if (!(err instanceof PlatformPermanentError)) return; // disconnected: the next registration joins again
          this.log.warn({ channel: name, err: err.message }, 'irc: cannot join a channel');
          if (record) await this.deps.store.channels.setError(record.id, { code: `join_${err.reason}`, message: err.message });
        }
      }),
    );
  }

  /** Killed or banned by the server: every channel says why, for an admin to see before anything else fails. */
  private async thrownOut(reason: string, banned: boolean): Promise<void> {
    this.log.error({ reason, banned }, banned ? 'irc: banned from the server' : 'irc: killed by the server');
    const message = banned
      ? `The IRC server banned the bot ("${reason}"): ask the network's staff to lift the ban; Parley tries again every 10 minutes`
      : `The IRC server killed the bot's connection ("${reason}"); it reconnected. If the reason is flooding, set PARLEY_IRC_SEND_INTERVAL_SECONDS higher`;
    for (const channel of await this.deps.store.channels.list({ platform: 'irc' })) {
      if (channel.status === 'active') await this.deps.store.channels.setError(channel.id, { code: banned ? 'server_banned' : 'killed', message });
    }
  }
}
