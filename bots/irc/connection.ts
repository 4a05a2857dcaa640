// The bot's one connection to the IRC network (docs/architecture.md#irc), through irc-framework: TLS (the server's
// certificate checked unless PARLEY_IRC_TLS=no-verify), SASL PLAIN or EXTERNAL where the network offers it and
// NickServ IDENTIFY where it does not, a taken nick replaced by an alternate and regained later, reconnection with
// backoff and jitter. Every line Parley writes is paced (./pacer.ts). A message is confirmed by a PING written
// after it: the server answers lines in order, so a refusal of the message arrives before the PONG, or none does.
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, type ClientOptions, type IrcMessage } from 'irc-framework';
import NetTransport from 'irc-framework/src/transports/net.js';
import { within } from '../../lib/adapters/within.js';
import type { Logger } from '../../lib/log.js';
import { errorOfRefusal, notConnected, REFUSALS, type Refusal } from './errors.js';
import { caseFolder, ChannelMembers, moderatorModes } from './members.js';
import { LinePacer } from './pacer.js';
import type { IrcSettings } from './settings.js';

/** Backoff after a lost connection: doubling from the first to the last, with jitter. */
export const BACKOFF_MS = { first: 1000, max: 60_000 } as const;
/** After a ban from the server (K-line): someone must act; knock rarely. */
const BANNED_RETRY_MS = 10 * 60_000;
/** How long the first connection may take before start() gives up (the lease then retries). */
const FIRST_CONNECT_MS = 20_000;
/** How long a JOIN or a PING may go unanswered: flood control may hold lines back for a while. */
const ANSWER_MS = 30_000;
/** How often a bot on an alternate nick asks for its own back. */
const REGAIN_EVERY_MS = 30_000;
/** How a kill reads in the ERROR line that closes the link. */
const KILLED = /\bkilled\b/iu;
/** How a ban from the whole server reads in ERROR and KILL reasons (K-, G-, Z-lines, AKILLs, Libera's wording). */
const SERVER_BAN = /\b([kgzd]-?lined?|a-?kill|banned from this server|you are banned)\b/iu;

/** What the adapter does at each turn of the connection. */
export interface ConnectionHooks {
  /** A new client was made for a connection attempt: bind its listeners. */
  attach(client: Client): void;
  /** Registered on the network (at start, and after every reconnection): join the channels. Never throws. */
  registered(): Promise<void>;
  /** The server killed or banned the bot (its reason, and whether it is a ban): the channels are marked. Never throws. */
  thrownOut(reason: string, banned: boolean): Promise<void>;
}

interface PendingJoin {
  resolve(): void;
  reject(err: Error): void;
}

interface PendingPing {
  target: string;
  refusals: Refusal[];
  resolve(refusals: Refusal[]): void;
}

/** irc-framework's TCP/TLS transport, with the certificate authority of PARLEY_IRC_TLS_CA_FILE trusted too. */
class CaTransport extends NetTransport {
  override connect(): void {
    const ca = this.options.parleyCa;
    if (typeof ca !== 'string') return super.connect();
    // irc-framework passes no `ca` to tls.connect: add it to the one call that super.connect() makes, synchronously.
    const original = tls.connect;
    const withCa = ((options: tls.ConnectionOptions, ...rest: unknown[]) => (original as (...a: unknown[]) => tls.TLSSocket)({ ...options, ca: [...tls.rootCertificates, ca] }, ...rest)) as typeof tls.connect;
    tls.connect = withCa;
    try {
      super.connect();
    } finally {
      tls.connect = original;
    }
  }
}

export class IrcConnection {
  /** Who is in the bot's channels, with their modes and accounts. */
  readonly members = new ChannelMembers();
  /** Why the connection is down now, for /readyz; null while registered. */
  failure: string | null = 'not connected yet';
  /** Why the last start() failed, until one succeeds: the lease gives the connection to another try. */
  startError: string | null = null;
  private client: Client | null = null;
  private registered = false;
  private stopping = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private readonly joined = new Set<string>();
  private readonly joins = new Map<string, PendingJoin[]>();
  private readonly pings = new Map<string, PendingPing>();
  private pingSeq = 0;
  private readonly pacer: LinePacer;
  private readonly log: Logger;

  constructor(
    private readonly settings: IrcSettings,
    log: Logger,
    private readonly hooks: ConnectionHooks,
  ) {
    this.log = log;
    this.pacer = new LinePacer(settings.burst, settings.lineIntervalMs);
  }

  /** The nick the bot has now (an alternate while its own is taken). */
  get nick(): string {
    return this.client?.user.nick ?? this.settings.nick;
  }

  /** This process holds the connection (started, not stopped), connected or reconnecting. */
  get running(): boolean {
    return this.loop !== null;
  }

  get connected(): boolean {
    return this.registered;
  }

  fold(text: string): string {
    return this.members.fold(text);
  }

  isJoined(channel: string): boolean {
    return this.joined.has(this.fold(channel));
  }

  /** Resolves once registered on the network; rejects (and stops) when the first attempt fails. May follow stop(). */
  async start(): Promise<void> {
    if (this.loop) return;
    this.stopping = false;
    const first = await this.connectOnce();
    if (first.error) {
      this.failure = first.error;
      this.startError = first.error;
      this.disposeClient();
      throw notConnected(first.error);
    }
    this.startError = null;
    this.loop = this.run(first.closed);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    const client = this.client;
    if (client && this.registered) client.quit('Parley stopping');
    await this.loop;
    this.loop = null;
    this.disposeClient();
  }

  /** Writes a line when the pacer lets it go. Never logs the line (it may hold a password). */
  async write(line: string): Promise<void> {
    await this.pacer.send(() => {
      if (!this.client || !this.registered) throw notConnected(this.failure ?? 'disconnected');
      this.client.raw(line);
    });
  }

  /** Joins a channel if the bot is not in it; rejects with the server's refusal. */
  async join(channel: string, key: string | null = null): Promise<void> {
    if (this.isJoined(channel)) return;
    if (!this.registered) throw notConnected(this.failure ?? 'disconnected');
    const folded = this.fold(channel);
    const waiting = new Promise<void>((resolve, reject) => {
      const list = this.joins.get(folded) ?? [];
      list.push({ resolve, reject });
      this.joins.set(folded, list);
    });
    const first = this.joins.get(folded)!.length === 1;
    if (first) await this.write(key ? `JOIN ${channel} ${key}` : `JOIN ${channel}`);
    await this.within(waiting, `no answer to JOIN ${channel}`);
  }

  /** Leaves a channel. */
  async part(channel: string, reason: string): Promise<void> {
    if (!this.isJoined(channel)) return;
    await this.write(`PART ${channel} :${reason}`);
  }

  /**
   * Writes the lines, then a PING; resolves when its PONG arrives with no refusal of `target` before it (the
   * server answers in order), rejects with the refusal's error otherwise.
   */
  async sendConfirmed(target: string, lines: readonly string[]): Promise<void> {
    const token = `parley-${++this.pingSeq}`;
    const answered = new Promise<Refusal[]>((resolve) => this.pings.set(token, { target: this.fold(target), refusals: [], resolve }));
    try {
      for (const line of lines) await this.write(line);
      await this.write(`PING :${token}`);
      const refusals = await this.within(answered, `no PONG after a message to ${target}`);
      const refusal = refusals[0];
      if (refusal) throw errorOfRefusal(refusal, target);
    } finally {
      this.pings.delete(token);
    }
  }

  /** The promise's value, or a transient error when the server has not answered in time. */
  private async within<T>(promise: Promise<T>, what: string): Promise<T> {
    // Wrapped, so that a value of null is not taken for the timeout.
    const answer = await within(promise.then((value) => ({ value })), ANSWER_MS);
    if (answer === null) throw notConnected(`${what} within ${ANSWER_MS / 1000} s`);
    return answer.value;
  }

  private options(): ClientOptions & { transport: typeof CaTransport; parleyCa?: string } {
    const s = this.settings;
    const options: ClientOptions & { transport: typeof CaTransport; parleyCa?: string } = {
      host: s.host,
      port: s.port,
      nick: s.nick,
      username: s.nick.slice(0, 10).toLowerCase(),
      gecos: 'Parley: forum notifications and transcripts',
      tls: s.tls !== 'off',
      rejectUnauthorized: s.tls === 'verify',
      // Parley reconnects itself (./connection.ts run()), with its own backoff and without a retry limit.
      auto_reconnect: false,
      ping_interval: 30,
      ping_timeout: 120,
      version: null,
      transport: CaTransport,
    };
    if (s.caFile) options.parleyCa = readFileSync(s.caFile, 'utf8');
    if (s.clientCert) options.client_certificate = { certificate: readFileSync(s.clientCert.certFile, 'utf8'), private_key: readFileSync(s.clientCert.keyFile, 'utf8') };
    if (s.account) options.account = { account: s.account.user, password: s.account.password };
    else if (s.clientCert) options.sasl_mechanism = 'EXTERNAL';
    return options;
  }

  /** One connection attempt: resolves when registered, or with the reason it failed; `closed` ends with the connection. */
  private connectOnce(): Promise<{ error: string | null; closed: Promise<{ thrownOut: { reason: string; banned: boolean } | null }> }> {
    this.disposeClient();
    const client = new Client();
    this.client = client;
    let socketError: string | null = null;
    let killedFor: string | null = null;
    let errorLine: string | null = null;
    let saslMissing = false;
    let alternates = 0;

    return new Promise((settle) => {
      let settled = false;
      let closedResolve!: (v: { thrownOut: { reason: string; banned: boolean } | null }) => void;
      const closed = new Promise<{ thrownOut: { reason: string; banned: boolean } | null }>((r) => (closedResolve = r));
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        settle({ error: `no registration within ${FIRST_CONNECT_MS / 1000} s${socketError ? ` (${socketError})` : ''}`, closed });
        client.quit();
      }, FIRST_CONNECT_MS);

      client.use((_c, raw) => raw.use((command, message, _line, _client, next) => {
        this.onRaw(command, message);
        if (command === 'KILL' && this.fold(message.params[0] ?? '') === this.fold(client.user.nick)) killedFor = message.params.at(-1) ?? 'killed';
        if (command === 'ERROR') errorLine = message.params.at(-1) ?? '';
        next();
      }));
      client.on('socket error', (err) => (socketError = err.message));
      client.on('socket close', (err) => {
        if (err instanceof Error) socketError = err.message;
      });
      client.on('nick in use', () => {
        if (this.registered) return; // a regain attempt that failed: the timer tries again
        client.changeNick(alternateNick(this.settings.nick, ++alternates));
      });
      client.on('sasl failed', (e) => {
        // A network without SASL: NickServ after registration. A wrong password: said, and carried on without
        // (NickServ would only refuse the same password again).
        if (e.reason === 'capability_missing') saslMissing = true;
        else this.log.error({ reason: e.reason }, 'irc: SASL login failed: check PARLEY_IRC_SASL_USER and PARLEY_IRC_SASL_PASSWORD (or the client certificate)');
      });
      client.on('registered', (event) => {
        clearTimeout(timer);
        // irc-framework tells its listeners before it notes the nick the server gave (an alternate, maybe).
        client.user.nick = event.nick;
        this.registered = true;
        this.failure = null;
        const network = client.network.options;
        this.members.fold = caseFolder(typeof network.CASEMAPPING === 'string' ? network.CASEMAPPING : undefined);
        if (Array.isArray(network.PREFIX) && network.PREFIX.length > 0) this.members.moderators = moderatorModes(network.PREFIX);
        this.log.info({ server: this.settings.host, nick: client.user.nick }, 'irc: connected');
        this.afterRegistration(client, saslMissing);
        if (!settled) {
          settled = true;
          settle({ error: null, closed });
        }
      });
      client.on('close', () => {
        clearTimeout(timer);
        const wasRegistered = this.registered;
        this.registered = false;
        this.joined.clear();
        for (const [channel, list] of this.joins) for (const j of list) j.reject(notConnected(`disconnected before joining ${channel}`));
        this.joins.clear();
        for (const ping of this.pings.values()) ping.resolve([{ numeric: 'close', target: ping.target, reason: 'disconnected' }]);
        const reason = killedFor ?? errorLine ?? socketError ?? 'connection closed';
        this.failure = reason;
        const banned = SERVER_BAN.test(reason);
        // Some servers (ngircd) say a KILL only in the ERROR that closes the link: "(Killed by staff: reason)".
        const killed = killedFor !== null || KILLED.test(errorLine ?? '');
        const thrownOut = killed || banned ? { reason, banned } : null;
        if (!settled) {
          settled = true;
          settle({ error: reason, closed });
        } else if (wasRegistered && !this.stopping) {
          this.log.warn({ reason }, 'irc: disconnected; reconnecting');
        }
        closedResolve({ thrownOut });
      });
      this.hooks.attach(client);
      client.connect(this.options());
    });
  }

  /** NickServ where SASL did not log in; the own nick asked back while on an alternate. */
  private afterRegistration(client: Client, saslMissing: boolean): void {
    const account = this.settings.account;
    // Where the network offers no SASL (or no CAP at all); a refused SASL login would only be refused again.
    if (account && (saslMissing || !client.network.cap.available.has('sasl'))) {
      void this.write(`PRIVMSG NickServ :IDENTIFY ${account.user} ${account.password}`).catch(() => undefined);
    }
    void this.hooks.registered();
    void this.regainNick(client);
  }

  private async regainNick(client: Client): Promise<void> {
    const own = this.settings.nick;
    if (this.settings.account && this.fold(client.user.nick) !== this.fold(own)) {
      // Atheme and Anope (Libera, OFTC with SASL) free a registered nick for its owner.
      await this.write(`PRIVMSG NickServ :REGAIN ${own}`).catch(() => undefined);
    }
    while (this.client === client && this.registered && this.fold(client.user.nick) !== this.fold(own)) {
      // Not holding the process open: a stopped adapter must let it exit.
      await sleep(REGAIN_EVERY_MS, undefined, { ref: false });
      if (this.client === client && this.registered && this.fold(client.user.nick) !== this.fold(own)) await this.write(`NICK ${own}`).catch(() => undefined);
    }
  }

  /** Answers to Parley's own JOINs and PINGs, and a freed nick. */
  private onRaw(command: string, message: IrcMessage): void {
    const client = this.client;
    if (!client) return;
    const me = (nick: string) => this.fold(nick) === this.fold(client.user.nick);
    if (command === 'JOIN' && me(message.nick)) {
      const channel = this.fold(message.params[0] ?? '');
      this.joined.add(channel);
      for (const j of this.joins.get(channel) ?? []) j.resolve();
      this.joins.delete(channel);
    } else if ((command === 'PART' && me(message.nick)) || (command === 'KICK' && me(message.params[1] ?? ''))) {
      this.joined.delete(this.fold(message.params[0] ?? ''));
      this.members.forgetChannel(message.params[0] ?? '');
    } else if (command === 'PONG') {
      const token = message.params.at(-1) ?? '';
      this.pings.get(token)?.resolve(this.pings.get(token)!.refusals);
    } else if (REFUSALS.has(command)) {
      const target = message.params[1] ?? '';
      const refusal = { numeric: command, target, reason: message.params.at(-1) ?? '' };
      for (const ping of this.pings.values()) if (ping.target === this.fold(target)) ping.refusals.push(refusal);
      const joins = this.joins.get(this.fold(target));
      if (joins) {
        for (const j of joins) j.reject(errorOfRefusal(refusal, target));
        this.joins.delete(this.fold(target));
      }
    } else if ((command === 'QUIT' || command === 'NICK') && this.fold(message.nick) === this.fold(this.settings.nick) && !me(this.settings.nick)) {
      // Whoever held the bot's nick let go of it.
      void this.write(`NICK ${this.settings.nick}`).catch(() => undefined);
    }
  }

  /** Reconnects for as long as the adapter runs. */
  private async run(firstClosed: Promise<{ thrownOut: { reason: string; banned: boolean } | null }>): Promise<void> {
    let closed = firstClosed;
    let failures = 0;
    while (!this.stopping) {
      const { thrownOut } = await closed;
      if (this.stopping) break;
      if (thrownOut) await this.hooks.thrownOut(thrownOut.reason, thrownOut.banned);
      let attempt: Awaited<ReturnType<IrcConnection['connectOnce']>>;
      do {
        failures++;
        const waitMs = thrownOut?.banned ? BANNED_RETRY_MS : Math.min(BACKOFF_MS.max, BACKOFF_MS.first * 2 ** Math.min(failures - 1, 16)) * (0.5 + Math.random() / 2);
        this.log.warn({ failures, waitMs: Math.round(waitMs), reason: this.failure }, 'irc: reconnecting');
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, waitMs);
          this.wake = () => (clearTimeout(timer), resolve());
        });
        this.wake = null;
        if (this.stopping) return;
        attempt = await this.connectOnce();
        if (attempt.error) this.failure = attempt.error;
      } while (attempt.error && !this.stopping);
      failures = 0;
      closed = attempt.closed;
    }
  }

  private disposeClient(): void {
    const client = this.client;
    if (!client) return;
    this.client = null;
    this.registered = false;
    client.removeAllListeners();
    // A socket still open (a failed registration, stop) is closed without waiting for the server.
    try {
      client.quit();
    } catch {
      // already closed
    }
  }
}

/** The n-th nick to try while the own one is taken: `parley_`, `parley__`, then `parley` with digits. */
export function alternateNick(nick: string, n: number): string {
  if (n <= 2) return `${nick}${'_'.repeat(n)}`;
  return `${nick.slice(0, 25)}${Math.floor(1000 + Math.random() * 9000)}`;
}
