// The part of irc-framework (which ships no types) that Parley uses, typed from its source (src/client.js,
// src/commands/handlers/*.js). Events carry more fields than listed; only those read here are.
declare module 'irc-framework' {
  export interface ClientOptions {
    host: string;
    port: number;
    nick: string;
    username?: string;
    gecos?: string;
    tls?: boolean;
    rejectUnauthorized?: boolean;
    /** Passed to tls.connect as `ca` by Parley's own transport wrapper, see ./connection.ts. */
    ca?: string;
    client_certificate?: { private_key: string; certificate: string };
    account?: { account: string; password: string };
    sasl_mechanism?: 'PLAIN' | 'EXTERNAL';
    sasl_disconnect_on_fail?: boolean;
    auto_reconnect?: boolean;
    ping_interval?: number;
    ping_timeout?: number;
    version?: string | null;
    encoding?: string;
  }

  export interface IrcMessage {
    tags: Record<string, string>;
    prefix: string;
    nick: string;
    ident: string;
    hostname: string;
    /** A numeric stays a three-digit string here; its name is given only to parsed events. */
    command: string;
    params: string[];
  }

  export interface MessageEvent {
    nick: string;
    ident: string;
    hostname: string;
    target: string;
    message: string;
    tags: Record<string, string>;
    /** server-time, ms since 1970, where the server sent it. */
    time?: number;
    /** The sender's services account (account-tag), where the server sent it. */
    account?: string;
    from_server: boolean;
  }

  export interface JoinEvent {
    nick: string;
    ident: string;
    hostname: string;
    channel: string;
    /** extended-join: the account, or false for none; undefined where the server does not say. */
    account?: string | false;
  }

  export interface PartEvent { nick: string; channel: string; message: string }
  export interface KickEvent { nick: string; ident: string; hostname: string; kicked: string; channel: string; message: string }
  export interface QuitEvent { nick: string; message: string }
  export interface NickEvent { nick: string; new_nick: string }
  export interface InviteEvent { nick: string; ident: string; hostname: string; invited: string; channel: string; tags: Record<string, string> }
  export interface ModeEvent { nick: string; target: string; modes: { mode: string; param?: string }[] }
  export interface UserlistEvent { channel: string; users: { nick: string; ident: string; hostname: string; modes: string[] }[] }
  export interface AccountEvent { nick: string; account: string | false }
  export interface SaslFailedEvent { reason: string; message?: string }

  export interface NetworkInfo {
    options: Record<string, unknown> & { PREFIX?: { symbol: string; mode: string }[]; CASEMAPPING?: string };
    cap: { isEnabled(cap: string): boolean; available: Map<string, string> };
  }

  type Middleware = (command: string, message: IrcMessage, rawLine: string, client: Client, next: (err?: Error) => void) => void;

  export class Client {
    constructor(options?: ClientOptions);
    user: { nick: string; username: string; host: string };
    network: NetworkInfo;
    connected: boolean;
    connect(options?: ClientOptions): void;
    use(fn: (client: Client, raw: { use(m: Middleware): void }, parsed: { use(m: (...args: unknown[]) => void): void }) => void): this;
    raw(line: string): void;
    quit(message?: string): void;
    join(channel: string, key?: string): void;
    part(channel: string, message?: string): void;
    changeNick(nick: string): void;
    caseCompare(a: string, b: string): boolean;
    caseLower(s: string): string;
    on(event: 'registered', listener: (event: { nick: string }) => void): this;
    on(event: 'privmsg' | 'action' | 'notice', listener: (event: MessageEvent) => void): this;
    on(event: 'join', listener: (event: JoinEvent) => void): this;
    on(event: 'part', listener: (event: PartEvent) => void): this;
    on(event: 'kick', listener: (event: KickEvent) => void): this;
    on(event: 'quit', listener: (event: QuitEvent) => void): this;
    on(event: 'nick', listener: (event: NickEvent) => void): this;
    on(event: 'invite', listener: (event: InviteEvent) => void): this;
    on(event: 'mode', listener: (event: ModeEvent) => void): this;
    on(event: 'userlist', listener: (event: UserlistEvent) => void): this;
    on(event: 'account', listener: (event: AccountEvent) => void): this;
    on(event: 'nick in use', listener: (event: { nick: string; reason: string }) => void): this;
    on(event: 'sasl failed', listener: (event: SaslFailedEvent) => void): this;
    on(event: 'loggedin', listener: (event: { account: string }) => void): this;
    on(event: 'close' | 'socket close', listener: (hadError?: unknown) => void): this;
    on(event: 'socket error', listener: (err: Error) => void): this;
    on(event: 'irc error', listener: (event: { error: string; reason?: string; channel?: string; nick?: string }) => void): this;
    removeAllListeners(): this;
  }
}

declare module 'irc-framework/src/transports/net.js' {
  /** The default TCP/TLS transport; ./connection.ts subclasses it to pass a certificate authority. */
  export default class NetTransport {
    constructor(options: Record<string, unknown>);
    options: Record<string, unknown>;
    connect(): void;
  }
}
