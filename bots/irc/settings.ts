// IRC's settings, read from its variables by ./index.ts.

/** How the connection is secured: TLS checking the server's certificate (the default), TLS without checking, or none. */
export type IrcTls = 'verify' | 'no-verify' | 'off';

export interface IrcSettings {
  host: string;
  port: number;
  tls: IrcTls;
  /** PEM of extra certificate authorities to trust (a network with its own CA), or null for the system's. */
  caFile: string | null;
  /** A client certificate and key (PEM files): SASL EXTERNAL, or CertFP with NickServ. */
  clientCert: { certFile: string; keyFile: string } | null;
  nick: string;
  /** The services account and password: SASL PLAIN where offered, else NickServ IDENTIFY. */
  account: { user: string; password: string } | null;
  /** Channels joined whether or not they are registered (`#parley`, `#ops secretkey`). */
  channels: { name: string; key: string | null }[];
  /**
   * Whose INVITE makes a channel active at once: globs over services accounts (`alice`, `staff-*`) or, with a
   * `!` or `@`, over `nick!user@host` masks on a network without accounts.
   */
  allowedInviters: string[];
  /** Lines sent at once before the pace applies, and the pace: one line per this many milliseconds. */
  burst: number;
  lineIntervalMs: number;
}
