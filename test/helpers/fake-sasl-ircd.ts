// A small fake IRC server for what ngircd cannot do: IRCv3 capability negotiation (CAP LS 302, REQ, END) and
// SASL (PLAIN, and EXTERNAL with a TLS client certificate), as https://ircv3.net/specs/extensions/
// capability-negotiation and sasl-3.1 define them. It is strict on purpose: whatever the specs forbid a
// client to do is recorded in `violations` (and answered with the numeric the specs give), so a test can
// assert that the bot under test spoke correctly, not merely that this server tolerated it.
// Past registration it knows just enough IRC to carry a conversation: JOIN/PART, PRIVMSG/NOTICE relayed to
// channel members (with account/server-time tags and extended-join when negotiated), NICK, PING, QUIT.
import { execFile } from 'node:child_process';
import { X509Certificate, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import { connectPerson, ircLower, onLines, parseLine, type IrcPerson, type ParsedLine } from './irc-person.js';

const run = promisify(execFile);

const SERVER = 'irc.fakenet.test';
const DEFAULT_CAPS = ['sasl=PLAIN,EXTERNAL', 'server-time', 'account-tag', 'extended-join', 'multi-prefix'];
/** The caps this fake actually implements; connectUser() requests those of them that are offered. */
const IMPLEMENTED = new Set(['server-time', 'account-tag', 'extended-join', 'multi-prefix']);

export interface FakeIrcdOptions {
  /** Serve TLS instead of plain TCP; `requestCert` asks the client for a certificate (for SASL EXTERNAL). */
  tls?: { key: string; cert: string; requestCert?: boolean };
  /** account → password, for SASL PLAIN. */
  accounts?: Record<string, string>;
  /** SHA-256 fingerprint of a client certificate (hex, any case, colons allowed) → account, for SASL EXTERNAL. */
  externalFingerprints?: Record<string, string>;
  /** What CAP LS offers, values included (stripped for clients that did not ask for CAP LS 302). */
  caps?: string[];
}

export interface FakeIrcd {
  host: '127.0.0.1';
  port: number;
  serverName: string;
  /** Every line every client sent (connectUser() persons included), in arrival order, without CRLF. */
  received: string[];
  /** What the specs forbid and a client did anyway, one sentence each. */
  violations: string[];
  /** Successful SASL logins, in order. */
  loggedIn: { nick: string; account: string; mechanism: string }[];
  /** Lines from the connection that (last) used this nick: to tell the bot's lines from a helper person's. */
  receivedFrom(nick: string): string[];
  /** Connections open right now. */
  connections(): number;
  close(): Promise<void>;
  /**
   * A second person on this server (over irc-person.ts), negotiating the implemented caps that are offered,
   * and logged in as `account` through SASL PLAIN unless it is null (a password is made up for it).
   */
  connectUser(nick: string, account: string | null): Promise<IrcPerson>;
}

interface Client {
  socket: Socket;
  nick: string | null;
  user: { username: string; realname: string } | null;
  registered: boolean;
  /** CAP LS or REQ before registration suspends it until CAP END. */
  negotiating: boolean;
  capVersion: number;
  caps: Set<string>;
  /** SASL exchange in progress: the mechanism and the base64 collected so far. */
  sasl: { mechanism: string; data: string } | null;
  account: string | null;
  fingerprint: string | null;
  channels: Set<string>;
  received: string[];
}

function normalizeFingerprint(fp: string): string {
  return fp.replace(/:/g, '').toLowerCase();
}

export async function startFakeSaslIrcd(opts: FakeIrcdOptions = {}): Promise<FakeIrcd> {
  const offered = opts.caps ?? DEFAULT_CAPS;
  const capName = (c: string) => c.split('=')[0]!;
  const offeredNames = new Set(offered.map(capName));
  const saslValue = offered.find((c) => capName(c) === 'sasl')?.split('=')[1];
  const mechanisms = (saslValue ?? 'PLAIN,EXTERNAL').split(',').map((m) => m.toUpperCase());
  const accounts = new Map(Object.entries(opts.accounts ?? {}));
  const external = new Map(Object.entries(opts.externalFingerprints ?? {}).map(([fp, account]) => [normalizeFingerprint(fp), account]));

  const clients = new Set<Client>();
  const channels = new Map<string, { name: string; members: Client[] }>();
  const received: string[] = [];
  const violations: string[] = [];
  const loggedIn: FakeIrcd['loggedIn'] = [];
  const lastByNick = new Map<string, Client>();

  const nickOr = (c: Client) => c.nick ?? '*';
  const mask = (c: Client) => `${nickOr(c)}!${c.user?.username ?? '*'}@127.0.0.1`;

  function write(c: Client, line: string): void {
    if (!c.socket.destroyed) c.socket.write(`${line}\r\n`);
  }
  function numeric(c: Client, code: string, ...params: string[]): void {
    const last = params.pop();
    write(c, `:${SERVER} ${code} ${[nickOr(c), ...params].join(' ')}${last === undefined ? '' : ` :${last}`}`);
  }
  function violation(c: Client, what: string): void {
    violations.push(`${nickOr(c)}: ${what}`);
  }
  /** A message from `from` as `to` should see it: tags only for the caps `to` has enabled. */
  function relay(to: Client, from: Client, rest: string): void {
    const tags: string[] = [];
    if (to.caps.has('server-time')) tags.push(`time=${new Date().toISOString()}`);
    if (to.caps.has('account-tag') && from.account) tags.push(`account=${escapeTag(from.account)}`);
    write(to, `${tags.length ? `@${tags.join(';')} ` : ''}:${mask(from)} ${rest}`);
  }
  function peers(c: Client): Set<Client> {
    const out = new Set<Client>();
    for (const name of c.channels) for (const m of channels.get(name)?.members ?? []) if (m !== c) out.add(m);
    return out;
  }

  function onLine(c: Client, raw: string): void {
    received.push(raw);
    c.received.push(raw);
    // RFC 1459: 512 bytes including CRLF, not counting IRCv3 tags (message-tags); ERR_INPUTTOOLONG is 417.
    const untagged = raw.startsWith('@') ? raw.slice(raw.indexOf(' ') + 1) : raw;
    if (Buffer.byteLength(untagged) + 2 > 512) {
      violation(c, `line of ${Buffer.byteLength(untagged) + 2} bytes (max 512 incl. CRLF, without tags)`);
      numeric(c, '417', 'Input line was too long');
      return;
    }
    const line = parseLine(raw);
    const handler = handlers[line.command];
    if (!c.registered && !['CAP', 'AUTHENTICATE', 'NICK', 'USER', 'PING', 'PONG', 'QUIT'].includes(line.command)) {
      numeric(c, '451', 'You have not registered');
      return;
    }
    if (handler) handler(c, line);
    else numeric(c, '421', line.command, 'Unknown command');
  }

  function tryRegister(c: Client): void {
    if (c.registered || c.negotiating || !c.nick || !c.user) return;
    c.registered = true;
    numeric(c, '001', `Welcome to the FakeNet IRC Network ${mask(c)}`);
    numeric(c, '002', `Your host is ${SERVER}, running version fake-sasl-ircd-1`);
    numeric(c, '003', 'This server was created for a test');
    numeric(c, '004', SERVER, 'fake-sasl-ircd-1', 'iow', 'ovimnst');
    numeric(c, '005', 'PREFIX=(ohv)@%+', 'CHANTYPES=#', 'NETWORK=FakeNet', 'CASEMAPPING=rfc1459', 'are supported by this server');
    numeric(c, '375', `- ${SERVER} Message of the day -`);
    numeric(c, '372', '- A fake server for Parley tests');
    numeric(c, '376', 'End of /MOTD command.');
  }

  function finishSasl(c: Client, mechanism: string, base64: string): void {
    c.sasl = null;
    const decoded = Buffer.from(base64, 'base64').toString('utf8');
    let account: string | null = null;
    if (mechanism === 'PLAIN') {
      // RFC 4616: authzid NUL authcid NUL passwd; an empty authzid means "the same as authcid".
      const parts = decoded.split('\0');
      const [authzid, authcid, password] = parts;
      if (parts.length === 3 && authcid && accounts.get(authcid) === password && (authzid === '' || authzid === authcid)) account = authcid;
    } else if (mechanism === 'EXTERNAL' && c.fingerprint) {
      // RFC 4422 EXTERNAL: the response is an authzid, empty to take the identity the certificate gives.
      const byCert = external.get(c.fingerprint);
      if (byCert && (decoded === '' || decoded === byCert)) account = byCert;
    }
    if (!account) {
      numeric(c, '904', 'SASL authentication failed');
      return;
    }
    c.account = account;
    loggedIn.push({ nick: nickOr(c), account, mechanism });
    numeric(c, '900', mask(c), account, `You are now logged in as ${account}`);
    numeric(c, '903', 'SASL authentication successful');
  }

  const handlers: Record<string, (c: Client, l: ParsedLine) => void> = {
    CAP(c, l) {
      const sub = (l.params[0] ?? '').toUpperCase();
      const target = nickOr(c);
      if (sub === 'LS') {
        const version = Number(l.params[1] ?? 0) || 0;
        c.capVersion = Math.max(c.capVersion, version);
        if (!c.registered) c.negotiating = true;
        // Values only for a client that asked for 302 in this very LS (the spec's example).
        write(c, `:${SERVER} CAP ${target} LS :${(version >= 302 ? offered : offered.map(capName)).join(' ')}`);
      } else if (sub === 'LIST') {
        write(c, `:${SERVER} CAP ${target} LIST :${[...c.caps].join(' ')}`);
      } else if (sub === 'REQ') {
        if (!c.registered) c.negotiating = true;
        const asked = (l.params[1] ?? '').split(' ').filter(Boolean);
        // All or nothing: one unknown cap NAKs the whole request.
        if (asked.length === 0 || asked.some((a) => !offeredNames.has(a.replace(/^-/, '')))) {
          write(c, `:${SERVER} CAP ${target} NAK :${asked.join(' ')}`);
          return;
        }
        for (const a of asked) {
          if (a.startsWith('-')) c.caps.delete(a.slice(1));
          else c.caps.add(a);
        }
        write(c, `:${SERVER} CAP ${target} ACK :${asked.join(' ')}`);
      } else if (sub === 'END') {
        if (c.registered) return;
        c.negotiating = false;
        if (c.sasl) {
          // sasl-3.1: registration completed mid-exchange aborts it.
          c.sasl = null;
          numeric(c, '906', 'SASL authentication aborted');
        }
        tryRegister(c);
      } else {
        numeric(c, '410', sub, 'Invalid CAP command');
      }
    },
    AUTHENTICATE(c, l) {
      const param = l.params[0] ?? '';
      if (!c.caps.has('sasl')) {
        // sasl-3.1: "The client MUST enable the sasl capability before using the AUTHENTICATE command".
        violation(c, 'AUTHENTICATE before the sasl capability was ACKed');
        numeric(c, '904', 'SASL authentication failed');
        return;
      }
      if (c.registered) {
        violation(c, 'AUTHENTICATE after registration');
        numeric(c, c.account ? '907' : '904', c.account ? 'You have already authenticated using SASL' : 'SASL authentication failed');
        return;
      }
      if (c.account) {
        violation(c, 'AUTHENTICATE after a successful login');
        numeric(c, '907', 'You have already authenticated using SASL');
        return;
      }
      if (param === '*') {
        c.sasl = null;
        numeric(c, '906', 'SASL authentication aborted');
        return;
      }
      if (!c.sasl) {
        const mechanism = param.toUpperCase();
        if (!mechanisms.includes(mechanism)) {
          numeric(c, '908', mechanisms.join(','), 'are available SASL mechanisms');
          numeric(c, '904', 'SASL authentication failed');
          return;
        }
        c.sasl = { mechanism, data: '' };
        // Both mechanisms are client-first: the initial server response is empty.
        write(c, 'AUTHENTICATE +');
        return;
      }
      if (Buffer.byteLength(param) > 400) {
        violation(c, `AUTHENTICATE chunk of ${Buffer.byteLength(param)} bytes (max 400)`);
        c.sasl = null;
        numeric(c, '905', 'SASL message too long');
        return;
      }
      if (param !== '+') c.sasl.data += param;
      // A 400-byte chunk announces more to come (ended by a shorter chunk or '+').
      if (param.length === 400) return;
      finishSasl(c, c.sasl.mechanism, c.sasl.data);
    },
    NICK(c, l) {
      const wanted = l.params[0];
      if (!wanted) return numeric(c, '431', 'No nickname given');
      for (const other of clients) {
        if (other !== c && other.nick && ircLower(other.nick) === ircLower(wanted)) return numeric(c, '433', wanted, 'Nickname is already in use');
      }
      if (c.registered) {
        const line = `NICK :${wanted}`;
        relay(c, c, line);
        for (const p of peers(c)) relay(p, c, line);
      }
      c.nick = wanted;
      lastByNick.set(ircLower(wanted), c);
      tryRegister(c);
    },
    USER(c, l) {
      if (c.registered) return numeric(c, '462', 'You may not reregister');
      if (l.params.length < 4) return numeric(c, '461', 'USER', 'Not enough parameters');
      c.user = { username: l.params[0]!, realname: l.params[3]! };
      tryRegister(c);
    },
    PING(c, l) {
      write(c, `:${SERVER} PONG ${SERVER} :${l.params.at(-1) ?? ''}`);
    },
    PONG() {},
    JOIN(c, l) {
      for (const name of (l.params[0] ?? '').split(',').filter(Boolean)) {
        if (!name.startsWith('#')) {
          numeric(c, '403', name, 'No such channel');
          continue;
        }
        const key = ircLower(name);
        if (c.channels.has(key)) continue;
        const channel = channels.get(key) ?? { name, members: [] };
        channels.set(key, channel);
        channel.members.push(c);
        c.channels.add(key);
        for (const m of channel.members) {
          relay(m, c, m.caps.has('extended-join') ? `JOIN ${channel.name} ${c.account ?? '*'} :${c.user?.realname ?? ''}` : `JOIN ${channel.name}`);
        }
        // The channel's first member is its operator.
        numeric(c, '353', '=', channel.name, channel.members.map((m, i) => `${i === 0 ? '@' : ''}${nickOr(m)}`).join(' '));
        numeric(c, '366', channel.name, 'End of /NAMES list.');
      }
    },
    PART(c, l) {
      for (const name of (l.params[0] ?? '').split(',').filter(Boolean)) {
        const channel = channels.get(ircLower(name));
        if (!channel || !c.channels.has(ircLower(name))) {
          numeric(c, '442', name, "You're not on that channel");
          continue;
        }
        for (const m of channel.members) relay(m, c, `PART ${channel.name}${l.params[1] ? ` :${l.params[1]}` : ''}`);
        channel.members = channel.members.filter((m) => m !== c);
        c.channels.delete(ircLower(name));
      }
    },
    PRIVMSG: message,
    NOTICE: message,
    QUIT(c, l) {
      for (const p of peers(c)) relay(p, c, `QUIT :Quit: ${l.params[0] ?? ''}`);
      write(c, `ERROR :Closing Link: 127.0.0.1 (Quit: ${l.params[0] ?? ''})`);
      c.socket.end();
    },
  };

  function message(c: Client, l: ParsedLine): void {
    const [target, text] = l.params;
    // NOTICE never gets an automatic reply (RFC 1459).
    const fail = (code: string, ...p: string[]) => l.command === 'PRIVMSG' && numeric(c, code, ...p);
    if (!target) return void fail('411', `No recipient given (${l.command})`);
    if (text === undefined) return void fail('412', 'No text to send');
    const line = `${l.command} ${target} :${text}`;
    if (target.startsWith('#')) {
      const channel = channels.get(ircLower(target));
      if (!channel) return void fail('403', target, 'No such channel');
      if (!c.channels.has(ircLower(target))) return void fail('404', target, 'Cannot send to channel');
      for (const m of channel.members) if (m !== c) relay(m, c, line);
      return;
    }
    const to = [...clients].find((o) => o.registered && o.nick && ircLower(o.nick) === ircLower(target));
    if (!to) return void fail('401', target, 'No such nick/channel');
    relay(to, c, line);
  }

  function onConnection(socket: Socket, fingerprint: string | null): void {
    const c: Client = { socket, nick: null, user: null, registered: false, negotiating: false, capVersion: 0, caps: new Set(), sasl: null, account: null, fingerprint, channels: new Set(), received: [] };
    clients.add(c);
    onLines(socket, (raw) => onLine(c, raw));
    socket.on('error', () => {});
    socket.on('close', () => {
      clients.delete(c);
      for (const key of c.channels) {
        const channel = channels.get(key);
        if (channel) channel.members = channel.members.filter((m) => m !== c);
      }
    });
  }

  let server: Server;
  if (opts.tls) {
    server = createTlsServer({ key: opts.tls.key, cert: opts.tls.cert, requestCert: opts.tls.requestCert ?? false, rejectUnauthorized: false }, (socket: TLSSocket) => {
      // A self-signed client certificate is the point of EXTERNAL here: it is identified by fingerprint, not chain.
      const peer = socket.getPeerCertificate();
      onConnection(socket, peer && 'fingerprint256' in peer && peer.fingerprint256 ? normalizeFingerprint(peer.fingerprint256) : null);
    });
  } else {
    server = createNetServer((socket) => onConnection(socket, null));
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('fake ircd: no address');
  const port = address.port;

  return {
    host: '127.0.0.1',
    port,
    serverName: SERVER,
    received,
    violations,
    loggedIn,
    receivedFrom: (nick) => lastByNick.get(ircLower(nick))?.received ?? [],
    connections: () => clients.size,
    async close() {
      for (const c of clients) c.socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    async connectUser(nick, account) {
      const caps = offered.map(capName).filter((n) => IMPLEMENTED.has(n));
      let sasl: { account: string; password: string } | undefined;
      if (account !== null) {
        const password = accounts.get(account) ?? randomBytes(12).toString('hex');
        accounts.set(account, password);
        sasl = { account, password };
      }
      return connectPerson({ host: '127.0.0.1', port }, nick, {
        ...(caps.length || sasl ? { caps } : {}),
        ...(sasl ? { sasl } : {}),
        ...(opts.tls ? { tls: { ca: opts.tls.cert } } : {}),
      });
    },
  };
}

/** message-tags value escaping (the inverse of irc-person.ts's unescape). */
function escapeTag(value: string): string {
  return value.replace(/[\\; \r\n]/g, (ch) => ({ '\\': '\\\\', ';': '\\:', ' ': '\\s', '\r': '\\r', '\n': '\\n' })[ch] ?? ch);
}

/**
 * A self-signed certificate and its key (PEM) made with the openssl CLI, for CN `cn` with SAN DNS:localhost and
 * IP:127.0.0.1 so that it serves as the fake's server certificate as well as a client's. The fingerprint is
 * the certificate's SHA-256 as lower-case hex without colons (what externalFingerprints accepts).
 */
export async function makeCertificate(cn: string): Promise<{ key: string; cert: string; fingerprintSha256: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'parley-cert-'));
  try {
    const keyFile = join(dir, 'key.pem');
    const certFile = join(dir, 'cert.pem');
    await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${cn}`, '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', keyFile, '-out', certFile]);
    const [key, cert] = await Promise.all([readFile(keyFile, 'utf8'), readFile(certFile, 'utf8')]);
    return { key, cert, fingerprintSha256: normalizeFingerprint(new X509Certificate(cert).fingerprint256) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
