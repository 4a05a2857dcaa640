// A person on IRC for tests, over a raw node:net (or node:tls) socket rather than irc-framework: the tests
// then observe the server's own lines, independently of the library the bot under test is built on.
// Also the IRC line parser (RFC 1459 framing + IRCv3 message-tags) that the fake ircd reuses.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export interface ParsedLine {
  raw: string;
  /** IRCv3 message tags, values unescaped; a tag without a value maps to ''. */
  tags: Record<string, string>;
  /** The source without its ':' (`nick!user@host` or a server name), or null when the line has none. */
  prefix: string | null;
  /** The nick part of the prefix; null without a prefix or when the prefix is a server name. */
  nick: string | null;
  /** Upper-cased (commands are case-insensitive); numerics stay as their three digits. */
  command: string;
  /** Middle params then the trailing one (without its ':'), so `params.at(-1)` is the text of a PRIVMSG. */
  params: string[];
  /** Date.now() when it was parsed (received). */
  at: number;
}

const TAG_ESCAPES: Record<string, string> = { ':': ';', s: ' ', '\\': '\\', r: '\r', n: '\n' };

/** message-tags: `\:` `\s` `\\` `\r` `\n` are escapes; a backslash before any other character is dropped, as is a trailing one. */
function unescapeTagValue(value: string): string {
  return value.replace(/\\(.?)/gs, (_m, c: string) => TAG_ESCAPES[c] ?? c);
}

/**
 * Parses one line (without its CRLF) as `['@' tags SPACE] [':' prefix SPACE] command *(SPACE param) [SPACE ':' trailing]`.
 * Runs of spaces separate like one (RFC 1459 allows them); a lone ':' param is the empty trailing param.
 */
export function parseLine(raw: string): ParsedLine {
  let rest = raw.replace(/[\r\n]+$/, '');
  const tags: Record<string, string> = {};
  if (rest.startsWith('@')) {
    const end = rest.indexOf(' ');
    const tagPart = end === -1 ? rest.slice(1) : rest.slice(1, end);
    rest = end === -1 ? '' : rest.slice(end + 1).trimStart();
    for (const tag of tagPart.split(';')) {
      if (!tag) continue;
      const eq = tag.indexOf('=');
      // Duplicate keys: the last one wins (message-tags).
      if (eq === -1) tags[tag] = '';
      else tags[tag.slice(0, eq)] = unescapeTagValue(tag.slice(eq + 1));
    }
  }
  let prefix: string | null = null;
  if (rest.startsWith(':')) {
    const end = rest.indexOf(' ');
    prefix = end === -1 ? rest.slice(1) : rest.slice(1, end);
    rest = end === -1 ? '' : rest.slice(end + 1).trimStart();
  }
  const params: string[] = [];
  let command = '';
  while (rest.length > 0) {
    if (command && rest.startsWith(':')) {
      params.push(rest.slice(1));
      break;
    }
    const end = rest.indexOf(' ');
    const word = end === -1 ? rest : rest.slice(0, end);
    rest = end === -1 ? '' : rest.slice(end + 1).replace(/^ +/, '');
    if (!command) command = word.toUpperCase();
    else params.push(word);
  }
  return { raw, tags, prefix, nick: nickOf(prefix), command, params, at: Date.now() };
}

function nickOf(prefix: string | null): string | null {
  if (prefix === null) return null;
  const cut = prefix.search(/[!@]/);
  if (cut !== -1) return prefix.slice(0, cut);
  // A bare prefix with a dot is a server name (nicks cannot contain '.').
  return prefix.includes('.') ? null : prefix;
}

/** rfc1459 casemapping, the one ngircd and the fake ircd announce: []\~ are the upper case of {}|^. */
export function ircLower(s: string): string {
  return s.toLowerCase().replace(/[[\]\\~]/g, (c) => ({ '[': '{', ']': '}', '\\': '|', '~': '^' })[c] ?? c);
}

export interface IrcPerson {
  /** The current nick (follows the server's NICK echoes). */
  nick: string;
  /** Every line received since connecting, parsed, oldest first. */
  lines: ParsedLine[];
  send(raw: string): void;
  /** JOINs and resolves on its own JOIN echo followed by the end of NAMES (366); rejects on a 4xx for the channel. */
  join(channel: string): Promise<void>;
  say(target: string, text: string): void;
  /** CTCP ACTION, what `/me` sends. */
  action(target: string, text: string): void;
  /**
   * The first line matching `pred` at or after the cursor, already received or arriving within `timeoutMs`
   * (default 10 s); the cursor then moves just past it. The cursor starts at 0 and is moved by waitFor and
   * mark() only (join() and registration leave it alone). So consecutive waitFor calls assert ORDER: each
   * line is found after the previous one, and the same line is never returned twice in a sequence. To wait
   * for lines whose order is not determined, call mark() first and use since(mark) after the last of them.
   * Rejects on timeout or when the connection closes, with `what` and the recent lines in the message.
   */
  waitFor(pred: (l: ParsedLine) => boolean, what: string, timeoutMs?: number): Promise<ParsedLine>;
  /** Lines received from index `mark` on. */
  since(mark: number): ParsedLine[];
  /** The number of lines received so far; also moves waitFor's cursor there (only later lines count). */
  mark(): number;
  /** Sends QUIT and resolves once the server has closed the connection (destroys it after 3 s otherwise). */
  quit(msg?: string): Promise<void>;
  /** Resolves when the socket has closed, for whatever reason. */
  closed: Promise<void>;
}

export interface ConnectPersonOptions {
  /** Connects with TLS; `ca` is the PEM to trust, `key`/`cert` a client certificate. */
  tls?: { ca?: string; key?: string; cert?: string; servername?: string };
  /** Negotiates these capabilities (CAP LS 302 / REQ / END) before registering. */
  caps?: string[];
  /** Logs in with SASL PLAIN (implies the `sasl` capability); registration fails if it does not succeed. */
  sasl?: { account: string; password: string };
  /** Registration timeout; default 10 s. */
  timeoutMs?: number;
  /** false: only connect (and answer PINGs), for a test that speaks the registration itself. Default true. */
  register?: boolean;
}

type Waiter = { from: number; pred: (l: ParsedLine) => boolean; resolve: (index: number) => void; reject: (err: Error) => void };

/** Connects and registers as `nick` (NICK/USER; CAP and SASL PLAIN first when asked), resolving after 001. */
export async function connectPerson(server: { host: string; port: number }, nick: string, opts: ConnectPersonOptions = {}): Promise<IrcPerson> {
  const socket: Socket = opts.tls
    ? tlsConnect({ host: server.host, port: server.port, servername: opts.tls.servername ?? 'localhost', ...pick(opts.tls, 'ca', 'key', 'cert') })
    : netConnect({ host: server.host, port: server.port });
  socket.setNoDelay(true);
  const lines: ParsedLine[] = [];
  const waiters = new Set<Waiter>();
  let cursor = 0;
  let isClosed = false;
  let closeReason = 'connection closed';

  const closed = new Promise<void>((resolve) => {
    socket.on('close', () => {
      isClosed = true;
      for (const w of waiters) w.reject(new Error(closeReason));
      waiters.clear();
      resolve();
    });
  });
  socket.on('error', (err) => {
    closeReason = `connection closed: ${err.message}`;
  });

  onLines(socket, (raw) => receive(parseLine(raw)));

  function receive(line: ParsedLine): void {
    if (line.command === 'PING') send(`PONG :${line.params.at(-1) ?? ''}`);
    if (line.command === 'NICK' && line.nick !== null && ircLower(line.nick) === ircLower(person.nick)) person.nick = line.params[0] ?? person.nick;
    lines.push(line);
    const index = lines.length - 1;
    for (const w of waiters) {
      if (index >= w.from && w.pred(line)) {
        waiters.delete(w);
        w.resolve(index);
      }
    }
  }

  function send(raw: string): void {
    if (!socket.destroyed) socket.write(`${raw}\r\n`);
  }

  function recent(): string {
    return lines.slice(-15).map((l) => `  ${l.raw}`).join('\n');
  }

  /** Index of the first line at or after `from` that matches, waiting for it if needed. */
  function find(from: number, pred: (l: ParsedLine) => boolean, what: string, timeoutMs: number): Promise<number> {
    for (let i = from; i < lines.length; i++) if (pred(lines[i]!)) return Promise.resolve(i);
    const label = `${person.nick} waiting for ${what}`;
    if (isClosed) return Promise.reject(new Error(`${label}: ${closeReason}; last lines:\n${recent()}`));
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(new Error(`${label}: timed out after ${timeoutMs} ms; last lines:\n${recent()}`));
      }, timeoutMs);
      const waiter: Waiter = {
        from,
        pred,
        resolve: (i) => {
          clearTimeout(timer);
          resolve(i);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(new Error(`${label}: ${err.message}; last lines:\n${recent()}`));
        },
      };
      waiters.add(waiter);
    });
  }

  const person: IrcPerson = {
    nick,
    lines,
    send,
    closed,
    async join(channel) {
      const from = lines.length;
      const chan = ircLower(channel);
      send(`JOIN ${channel}`);
      const forChannel = (l: ParsedLine) => ircLower(l.params[1] ?? '') === chan;
      const i = await find(from, (l) => (l.command === 'JOIN' && ircLower(l.nick ?? '') === ircLower(person.nick) && ircLower(l.params[0] ?? '') === chan) || (/^4\d\d$/.test(l.command) && forChannel(l)), `JOIN ${channel}`, 10_000);
      const joined = lines[i]!;
      if (joined.command !== 'JOIN') throw new Error(`${person.nick} could not join ${channel}: ${joined.raw}`);
      await find(i, (l) => l.command === '366' && forChannel(l), `end of NAMES for ${channel}`, 10_000);
    },
    say(target, text) {
      send(`PRIVMSG ${target} :${text}`);
    },
    action(target, text) {
      send(`PRIVMSG ${target} :\x01ACTION ${text}\x01`);
    },
    async waitFor(pred, what, timeoutMs = 10_000) {
      const i = await find(cursor, pred, what, timeoutMs);
      cursor = Math.max(cursor, i + 1);
      return lines[i]!;
    },
    since(mark) {
      return lines.slice(mark);
    },
    mark() {
      cursor = lines.length;
      return cursor;
    },
    async quit(msg = 'bye') {
      send(`QUIT :${msg}`);
      const timer = setTimeout(() => socket.destroy(), 3000);
      await closed;
      clearTimeout(timer);
    },
  };

  try {
    await new Promise<void>((resolve, reject) => {
      socket.once(opts.tls ? 'secureConnect' : 'connect', () => resolve());
      socket.once('error', reject);
    });
    if (opts.register !== false) await register(person, opts, find, () => lines.length, opts.timeoutMs ?? 10_000);
  } catch (err) {
    socket.destroy();
    throw err;
  }
  return person;
}

type Find = (from: number, pred: (l: ParsedLine) => boolean, what: string, timeoutMs: number) => Promise<number>;

/** NICK/USER, with capability negotiation and SASL PLAIN first when asked; resolves on 001. */
async function register(person: IrcPerson, opts: ConnectPersonOptions, find: Find, count: () => number, timeoutMs: number): Promise<void> {
  const caps = [...(opts.caps ?? []), ...(opts.sasl ? ['sasl'] : [])];
  const from = count();
  const failed = (l: ParsedLine) => ['432', '433', '436', '465', 'ERROR'].includes(l.command);
  const welcomed = find(from, (l) => l.command === '001' || failed(l), '001 (welcome)', timeoutMs);
  // Without this, an early failure would leave `welcomed` rejected and unobserved while negotiating.
  welcomed.catch(() => {});
  if (caps.length) person.send('CAP LS 302');
  person.send(`NICK ${person.nick}`);
  person.send(`USER ${person.nick.toLowerCase()} 0 * :${person.nick} (test person)`);
  if (caps.length) {
    // The last LS line is the one without the '*' continuation param (CAP LS 302 multiline replies).
    await find(from, (l) => l.command === 'CAP' && l.params[1] === 'LS' && l.params[2] !== '*', 'CAP LS', timeoutMs);
    const reqFrom = count();
    person.send(`CAP REQ :${caps.join(' ')}`);
    const reply = await find(reqFrom, (l) => l.command === 'CAP' && (l.params[1] === 'ACK' || l.params[1] === 'NAK'), 'CAP ACK/NAK', timeoutMs);
    if (person.lines[reply]!.params[1] === 'NAK') throw new Error(`capabilities refused: ${person.lines[reply]!.raw}`);
    if (opts.sasl) {
      const authFrom = count();
      person.send('AUTHENTICATE PLAIN');
      await find(authFrom, (l) => l.command === 'AUTHENTICATE' && l.params[0] === '+', 'AUTHENTICATE +', timeoutMs);
      const payload = Buffer.from(`${opts.sasl.account}\0${opts.sasl.account}\0${opts.sasl.password}`).toString('base64');
      for (const chunk of saslChunks(payload)) person.send(`AUTHENTICATE ${chunk}`);
      const result = await find(authFrom, (l) => ['903', '904', '905', '906', '907'].includes(l.command), 'SASL result (903/904)', timeoutMs);
      if (person.lines[result]!.command !== '903') throw new Error(`SASL login as ${opts.sasl.account} failed: ${person.lines[result]!.raw}`);
    }
    person.send('CAP END');
  }
  const line = person.lines[await welcomed]!;
  if (line.command !== '001') throw new Error(`registration as ${person.nick} refused: ${line.raw}`);
}

/** A base64 SASL response as AUTHENTICATE params: 400-byte chunks, then '+' if the last one was full (or it is empty). */
export function saslChunks(base64: string): string[] {
  const chunks: string[] = [];
  for (let i = 0; i < base64.length; i += 400) chunks.push(base64.slice(i, i + 400));
  if (base64.length % 400 === 0) chunks.push('+');
  return chunks;
}

function pick<T extends object, K extends keyof T>(obj: T, ...keys: K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (obj[k] !== undefined) out[k] = obj[k];
  return out;
}

/** Calls `handle` with each non-empty line the socket receives (CRLF or LF). */
export function onLines(socket: Socket, handle: (raw: string) => void): void {
  // Bytes, not strings, until a whole line is there: a UTF-8 character may be split across chunks.
  let buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    let nl: number;
    while ((nl = buffer.indexOf(0x0a)) !== -1) {
      const raw = buffer.subarray(0, nl).toString('utf8').replace(/\r$/, '');
      buffer = buffer.subarray(nl + 1);
      if (raw) handle(raw);
    }
  });
}
