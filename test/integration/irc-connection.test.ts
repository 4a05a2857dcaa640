// The IRC adapter's connection (bots/irc/connection.ts) against servers, without the rest of Parley: TLS with
// and without the network's own certificate authority (a real ngircd), SASL PLAIN and EXTERNAL, NickServ where
// there is no SASL, and who a message's author is with and without account-tag (the fake IRCv3 server), and a
// nick taken at registration (ngircd). The adapter is made from the registry entry, as Parley makes it.
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { irc } from '../../bots/irc/index.js';
import { PlatformTransientError, PlatformUnreachableError } from '../../lib/errors.js';
import { silentLogger, type Logger } from '../../lib/log.js';
import { ChannelMessageLog } from '../../lib/message-log.js';
import type { CommandInvocation } from '../../lib/seams/invocation.js';
import type { AdapterDeps, PlatformAdapter } from '../../lib/seams/platform.js';
import type { Store } from '../../lib/seams/store.js';
import { openStore } from '../../lib/store/index.js';
import { makeCertificate, startFakeSaslIrcd, type FakeIrcd } from '../helpers/fake-sasl-ircd.js';
import { connectPerson, type IrcPerson } from '../helpers/irc-person.js';
import { startNgircd, type Ngircd } from '../helpers/ngircd.js';
import { notification } from '../helpers/notification.js';

/** Whatever a test started, undone after it (latest first), even when it fails. */
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const undo of cleanups.splice(0).reverse()) await undo().catch(() => undefined);
});

async function ngircd(opts?: Parameters<typeof startNgircd>[0]): Promise<Ngircd> {
  const s = await startNgircd(opts);
  cleanups.push(() => s.stop());
  return s;
}

async function fake(opts?: Parameters<typeof startFakeSaslIrcd>[0]): Promise<FakeIrcd> {
  const s = await startFakeSaslIrcd(opts);
  cleanups.push(() => s.close());
  return s;
}

async function person(...args: Parameters<typeof connectPerson>): Promise<IrcPerson> {
  const p = await connectPerson(...args);
  cleanups.push(() => p.quit());
  return p;
}

/** PEM text in a temp file, for the *_FILE variables. */
async function pemFile(name: string, pem: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'parley-irc-pem-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, name);
  await writeFile(path, pem);
  return path;
}

/** A real pino logger writing into a string: what an operator would read, to search for secrets. */
function capturedLogger(): { log: Logger; text(): string } {
  let text = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  // Level trace and no redaction: stricter than production (lib/log.ts redacts keys named password).
  return { log: pino({ level: 'trace' }, sink), text: () => text };
}

interface Made {
  adapter: PlatformAdapter;
  store: Store;
  invocations: CommandInvocation[];
}

/** The adapter from the registry entry's variables, with a fresh in-memory store; stopped after the test. */
async function makeAdapter(vars: Record<string, string>, log: Logger = silentLogger): Promise<Made> {
  const { platform, problems } = irc.configure(vars, { publicUrl: null });
  assert.deepEqual(problems, []);
  assert.ok(platform, 'IRC configured');
  const store = await openStore({ kind: 'sqlite', path: ':memory:' });
  cleanups.push(() => store.close());
  const invocations: CommandInvocation[] = [];
  const deps: AdapterDeps = {
    log,
    store,
    messageLog: new ChannelMessageLog('irc', store, log),
    handleCommand: async (invocation) => {
      invocations.push(invocation);
      return { text: 'all well', visibility: 'ephemeral' };
    },
    handleMembership: async () => null,
  };
  const adapter = await platform.create(deps);
  cleanups.push(() => adapter.stop());
  return { adapter, store, invocations };
}

/** Polls until `check` gives a value: servers answer when they do, and a fixed sleep would be a guess. */
async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Quick pacing, so that no test waits on the production default of a line every 2 s. */
const FAST = { PARLEY_IRC_SEND_BURST: '10', PARLEY_IRC_SEND_INTERVAL_SECONDS: '0.1' };

describe('TLS against ngircd (self-signed certificate)', () => {
  test('with the certificate authority in PARLEY_IRC_TLS_CA_FILE it connects, and a person on the TLS port sees its notification', async () => {
    const server = await ngircd({ tls: true });
    const caFile = await pemFile('ca.pem', server.caCert!);
    const alice = await person({ host: server.host, port: server.tlsPort! }, 'alice', { tls: { ca: server.caCert! } });
    await alice.join('#parley');
    const { adapter, store } = await makeAdapter({
      PARLEY_IRC_SERVER: server.host,
      PARLEY_IRC_PORT: String(server.tlsPort),
      PARLEY_IRC_TLS: 'true',
      PARLEY_IRC_TLS_CA_FILE: caFile,
      PARLEY_IRC_NICK: 'parleytls',
      ...FAST,
    });
    await adapter.start();
    assert.deepEqual(await adapter.health(), { ok: true, detail: `parleytls on ${server.host}` });
    const { channel } = await store.channels.ensure({ platform: 'irc', externalId: '#parley', name: '#parley', status: 'active', addedBy: 'cli' });
    await adapter.sendNotification(channel, notification(), { threadRoot: null, idempotencyKey: 'tls-1' });
    const seen = await alice.waitFor((l) => l.command === 'PRIVMSG' && l.nick === 'parleytls' && l.params[0] === '#parley', 'the notification over TLS');
    assert.match(seen.params.at(-1)!, /Release 2\.0 is out/);
  });

  test('without it, start() rejects soon, saying the certificate could not be verified', async (t) => {
    const server = await ngircd({ tls: true });
    const { adapter } = await makeAdapter({ PARLEY_IRC_SERVER: server.host, PARLEY_IRC_PORT: String(server.tlsPort), PARLEY_IRC_TLS: 'true', PARLEY_IRC_NICK: 'parleytls' });
    const began = Date.now();
    await assert.rejects(adapter.start(), (err: Error) => {
      assert.match(err.message, /certificate|self[- ]signed|unable to verify/i);
      return true;
    });
    const tookMs = Date.now() - began;
    // The first connection may take 20 s (FIRST_CONNECT_MS) before giving up; a refused certificate is known at once.
    assert.ok(tookMs < 10_000, `start() took ${tookMs} ms to report a refused certificate`);
    t.diagnostic(`start() rejected after ${tookMs} ms`);
    // (health() after a failed start is not checked here: the adapter then reports that another process holds the
    // connection, as in a process that never started it.)
  });

  test('PARLEY_IRC_TLS=no-verify connects without the certificate authority', async () => {
    const server = await ngircd({ tls: true });
    const { adapter } = await makeAdapter({ PARLEY_IRC_SERVER: server.host, PARLEY_IRC_PORT: String(server.tlsPort), PARLEY_IRC_TLS: 'no-verify', PARLEY_IRC_NICK: 'parleytls' });
    await adapter.start();
    assert.equal((await adapter.health()).ok, true);
  });
});

describe('SASL and NickServ against the fake IRCv3 server', () => {
  const PASSWORD = 'c0rrect-h0rse-battery-staple';

  test('SASL PLAIN logs in as the account, by the specs, and the password is never logged', async () => {
    const server = await fake({ accounts: { parleybot: PASSWORD } });
    const logs = capturedLogger();
    const { adapter } = await makeAdapter(
      { PARLEY_IRC_SERVER: server.host, PARLEY_IRC_PORT: String(server.port), PARLEY_IRC_TLS: 'false', PARLEY_IRC_NICK: 'parley', PARLEY_IRC_SASL_USER: 'parleybot', PARLEY_IRC_SASL_PASSWORD: PASSWORD, ...FAST },
      logs.log,
    );
    await adapter.start();
    assert.deepEqual(server.loggedIn, [{ nick: 'parley', account: 'parleybot', mechanism: 'PLAIN' }]);
    assert.deepEqual(server.violations, []);
    assert.equal((await adapter.health()).ok, true);
    // Logged in by SASL: no NickServ IDENTIFY (which would put the password on the wire again).
    assert.ok(!server.receivedFrom('parley').some((l) => /NickServ/i.test(l)), server.receivedFrom('parley').join('\n'));
    await adapter.stop();
    assert.match(logs.text(), /irc: connected/, 'the logger is the one the adapter wrote to');
    assert.ok(!logs.text().includes(PASSWORD), 'the password is not in the log');
    assert.ok(!logs.text().includes(Buffer.from(`parleybot\0parleybot\0${PASSWORD}`).toString('base64')), 'nor its SASL form');
  });

  test('a wrong SASL password: the bot still registers and logs an error naming the variables, not the password', async () => {
    const server = await fake({ accounts: { parleybot: PASSWORD } });
    const logs = capturedLogger();
    const wrong = 'wr0ng-passw0rd-for-the-test';
    const { adapter } = await makeAdapter(
      { PARLEY_IRC_SERVER: server.host, PARLEY_IRC_PORT: String(server.port), PARLEY_IRC_TLS: 'false', PARLEY_IRC_NICK: 'parley', PARLEY_IRC_SASL_USER: 'parleybot', PARLEY_IRC_SASL_PASSWORD: wrong, ...FAST },
      logs.log,
    );
    await adapter.start();
    assert.equal((await adapter.health()).ok, true, 'registered without the account');
    assert.deepEqual(server.loggedIn, []);
    assert.deepEqual(server.violations, []);
    const errors = logs
      .text()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { level: number; msg: string });
    const saslError = errors.find((e) => e.level >= 50 && /SASL/.test(e.msg));
    assert.ok(saslError, `an error about SASL in:\n${logs.text()}`);
    assert.match(saslError.msg, /PARLEY_IRC_SASL_USER/);
    assert.match(saslError.msg, /PARLEY_IRC_SASL_PASSWORD/);
    await adapter.stop();
    assert.ok(!logs.text().includes(wrong), 'the password is not in the log');
  });

  test('SASL EXTERNAL: the client certificate of PARLEY_IRC_TLS_CERT_FILE logs in by its fingerprint', async () => {
    const [serverCert, clientCert] = await Promise.all([makeCertificate('irc.fakenet.test'), makeCertificate('parley-bot')]);
    const server = await fake({ tls: { ...serverCert, requestCert: true }, externalFingerprints: { [clientCert.fingerprintSha256]: 'parleybot' } });
    const { adapter } = await makeAdapter({
      PARLEY_IRC_SERVER: server.host,
      PARLEY_IRC_PORT: String(server.port),
      PARLEY_IRC_TLS: 'true',
      PARLEY_IRC_TLS_CA_FILE: await pemFile('ca.pem', serverCert.cert),
      PARLEY_IRC_TLS_CERT_FILE: await pemFile('cert.pem', clientCert.cert),
      PARLEY_IRC_TLS_KEY_FILE: await pemFile('key.pem', clientCert.key),
      PARLEY_IRC_NICK: 'parley',
      ...FAST,
    });
    await adapter.start();
    assert.deepEqual(server.loggedIn, [{ nick: 'parley', account: 'parleybot', mechanism: 'EXTERNAL' }]);
    assert.deepEqual(server.violations, []);
    assert.equal((await adapter.health()).ok, true);
  });

  test('a network without SASL: NickServ IDENTIFY after registration', async () => {
    const server = await fake({ accounts: { parleybot: PASSWORD }, caps: ['server-time', 'account-tag', 'extended-join', 'multi-prefix'] });
    const logs = capturedLogger();
    const { adapter } = await makeAdapter(
      { PARLEY_IRC_SERVER: server.host, PARLEY_IRC_PORT: String(server.port), PARLEY_IRC_TLS: 'false', PARLEY_IRC_NICK: 'parley', PARLEY_IRC_SASL_USER: 'parleybot', PARLEY_IRC_SASL_PASSWORD: PASSWORD, ...FAST },
      logs.log,
    );
    await adapter.start();
    const identify = `PRIVMSG NickServ :IDENTIFY parleybot ${PASSWORD}`;
    await eventually(() => (server.receivedFrom('parley').includes(identify) ? true : undefined), 'IDENTIFY to NickServ');
    const lines = server.receivedFrom('parley');
    assert.ok(lines.indexOf(identify) > lines.findIndex((l) => l.startsWith('USER ')), 'after registration');
    assert.ok(!lines.some((l) => l.startsWith('AUTHENTICATE')), 'no SASL where it is not offered');
    assert.deepEqual(server.violations, []);
    // Not an error: a network without SASL is normal. And the IDENTIFY line itself is never logged.
    assert.doesNotMatch(logs.text(), /SASL login failed/);
    await adapter.stop();
    assert.ok(!logs.text().includes(PASSWORD), 'the password is not in the log');
  });
});

describe('who typed a command (fake server with account-tag)', () => {
  test('a logged-in user is their account; a user without one is nick!user@host with no username', async () => {
    const server = await fake();
    const { adapter, invocations } = await makeAdapter({ PARLEY_IRC_SERVER: server.host, PARLEY_IRC_PORT: String(server.port), PARLEY_IRC_TLS: 'false', PARLEY_IRC_NICK: 'parley', PARLEY_IRC_CHANNELS: '#parley', ...FAST });
    const alice = await server.connectUser('alice', 'alice-account');
    cleanups.push(() => alice.quit());
    const bob = await server.connectUser('bob', null);
    cleanups.push(() => bob.quit());
    await alice.join('#parley');
    await bob.join('#parley');
    await adapter.start();
    await alice.waitFor((l) => l.command === 'JOIN' && l.nick === 'parley', 'the bot joining #parley');

    alice.say('#parley', '!discourse status');
    await alice.waitFor((l) => l.command === 'NOTICE' && l.nick === 'parley' && l.params.at(-1) === 'all well', 'the answer to alice');
    bob.say('#parley', '!discourse status');
    await bob.waitFor((l) => l.command === 'NOTICE' && l.nick === 'parley' && l.params.at(-1) === 'all well', 'the answer to bob');

    assert.equal(invocations.length, 2);
    const [byAlice, byBob] = invocations;
    assert.equal(byAlice!.command, 'discourse');
    assert.equal(byAlice!.args, 'status');
    assert.deepEqual(byAlice!.user, { id: 'alice-account', username: 'alice-account', displayName: 'alice' });
    // The fake's mask: the USER name irc-person sends (the nick) at 127.0.0.1.
    assert.deepEqual(byBob!.user, { id: 'bob!bob@127.0.0.1', username: '', displayName: 'bob' });
    assert.equal(byBob!.channel.externalId, '#parley');
  });
});

describe('nick collision at registration', () => {
  test('ngircd: a person holds the nick: the bot registers as <nick>_ and health says so; it takes its nick back when freed', async () => {
    const server = await ngircd();
    const holder = await person(server, 'parleybot');
    const { adapter } = await makeAdapter({ PARLEY_IRC_SERVER: server.host, PARLEY_IRC_PORT: String(server.port), PARLEY_IRC_TLS: 'false', PARLEY_IRC_NICK: 'parleybot', PARLEY_IRC_CHANNELS: '#parley', ...FAST });
    const watcher = await person(server, 'watcher');
    await watcher.join('#parley');
    await adapter.start();
    assert.deepEqual(await adapter.health(), { ok: true, detail: `parleybot_ on ${server.host}` });
    await watcher.waitFor((l) => l.command === 'JOIN' && l.nick === 'parleybot_', 'the bot joining as parleybot_');
    // The holder leaves: the bot sees the QUIT in the shared channel and asks for its own nick at once.
    await holder.join('#parley');
    await holder.quit();
    await watcher.waitFor((l) => l.command === 'NICK' && l.nick === 'parleybot_' && l.params[0] === 'parleybot', 'the bot taking parleybot back');
    await eventually(async () => ((await adapter.health()).detail === `parleybot on ${server.host}` ? true : undefined), 'health naming parleybot');
  });

  test('the server gone: a delivery is told IRC cannot be reached, so the platform’s deliveries wait together without spending attempts', async () => {
    const server = await ngircd();
    const { adapter, store } = await makeAdapter({ PARLEY_IRC_SERVER: server.host, PARLEY_IRC_PORT: String(server.port), PARLEY_IRC_TLS: 'false', PARLEY_IRC_NICK: 'parleygone', ...FAST });
    await adapter.start();
    const { channel } = await store.channels.ensure({ platform: 'irc', externalId: '#parley', name: '#parley', status: 'active', addedBy: 'cli' });
    await server.stop();
    const refusal = await eventually(async () => {
      const err = await adapter.sendNotification(channel, notification(), { threadRoot: null, idempotencyKey: 'gone-1' }).then(() => undefined, (e: unknown) => e);
      return err instanceof PlatformTransientError && /not connected/u.test(err.message) ? err : undefined;
    }, 'a send refused as not connected');
    assert.ok(refusal instanceof PlatformUnreachableError, `${refusal.constructor.name}: ${refusal.message}`);
  });

  // irc-framework tells its listeners of 'registered' before it notes the nick from 001: the adapter reads the
  // event's own nick, or it would see nothing to regain.
  test(
    'with an account, a bot on an alternate nick asks NickServ to REGAIN its own',
    async () => {
      const server = await fake({ accounts: { parleybot: 'regain-test-password' } });
      const holder = await server.connectUser('parley', null);
      cleanups.push(() => holder.quit());
      const logs = capturedLogger();
      const { adapter } = await makeAdapter(
        { PARLEY_IRC_SERVER: server.host, PARLEY_IRC_PORT: String(server.port), PARLEY_IRC_TLS: 'false', PARLEY_IRC_NICK: 'parley', PARLEY_IRC_SASL_USER: 'parleybot', PARLEY_IRC_SASL_PASSWORD: 'regain-test-password', ...FAST },
        logs.log,
      );
      await adapter.start();
      assert.deepEqual(await adapter.health(), { ok: true, detail: `parley_ on ${server.host}` });
      // The log says which nick the bot has: an operator looking for it must find parley_.
      const connected = logs
        .text()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { msg: string; nick?: string })
        .find((e) => e.msg === 'irc: connected');
      await eventually(() => (server.receivedFrom('parley_').includes('PRIVMSG NickServ :REGAIN parley') ? true : undefined), 'PRIVMSG NickServ :REGAIN parley', 3_000);
      assert.equal(connected?.nick, 'parley_');
    },
  );
});

describe('thrown out by the server', () => {
  test('an IRC operator KILLs the bot: its channels are marked with the reason, and it comes back to them', async () => {
    const oper = { name: 'staff', password: 'kill-test-oper-password' };
    const server = await ngircd({ operators: [oper] });
    const { adapter, store } = await makeAdapter({ PARLEY_IRC_SERVER: server.host, PARLEY_IRC_PORT: String(server.port), PARLEY_IRC_TLS: 'false', PARLEY_IRC_NICK: 'parleybot', ...FAST });
    const { channel } = await store.channels.ensure({ platform: 'irc', externalId: '#parley', name: '#parley', status: 'active', addedBy: 'cli' });
    const staff = await person(server, 'staff');
    await staff.join('#parley');
    await adapter.start();
    await staff.waitFor((l) => l.command === 'JOIN' && l.nick === 'parleybot', 'the bot joining its registered channel');
    staff.send(`OPER ${oper.name} ${oper.password}`);
    await staff.waitFor((l) => l.command === '381', 'staff is an IRC operator');
    staff.send('KILL parleybot :Excess Flood');
    await staff.waitFor((l) => l.command === 'QUIT' && l.nick === 'parleybot', 'the bot killed');
    const marked = await eventually(async () => {
      const now = await store.channels.find('irc', '#parley');
      return now?.status === 'error' ? now : undefined;
    }, 'the channel marked');
    assert.equal(marked.id, channel.id);
    assert.equal(marked.lastError?.code, 'killed');
    assert.match(marked.lastError?.message ?? '', /Excess Flood/u);
    assert.match(marked.lastError?.message ?? '', /PARLEY_IRC_SEND_INTERVAL_SECONDS/u, 'says what to do about flooding');
    // Back on the network after its backoff, and in the channel: the mark is about the connection, not the channel.
    await eventually(async () => ((await adapter.health()).ok ? true : undefined), 'the bot reconnected', 15_000);
    await staff.waitFor((l) => l.command === 'JOIN' && l.nick === 'parleybot' && l.params[0] === '#parley', 'the bot back in #parley');
    await adapter.sendNotification(marked, notification({ title: 'Back after the kill' }), { threadRoot: null, idempotencyKey: 'after-kill' });
    const line = await staff.waitFor((l) => l.command === 'PRIVMSG' && l.nick === 'parleybot' && l.params[0] === '#parley', 'the notification after the kill');
    assert.match(line.params.at(-1) ?? '', /Back after the kill/u);
  });
});

describe('private messages', () => {
  test('a command typed to the bot in private is answered with where commands work, and reaches no handler', async () => {
    const server = await ngircd();
    const { adapter, invocations } = await makeAdapter({ PARLEY_IRC_SERVER: server.host, PARLEY_IRC_PORT: String(server.port), PARLEY_IRC_TLS: 'false', PARLEY_IRC_NICK: 'parleybot', ...FAST });
    await adapter.start();
    const ann = await person(server, 'ann');
    ann.say('parleybot', '!discourse watch c/meta');
    const answer = await ann.waitFor((l) => l.command === 'NOTICE' && l.nick === 'parleybot' && l.params[0] === 'ann', 'the bot\'s answer');
    assert.match(answer.params.at(-1) ?? '', /in a channel/u);
    assert.deepEqual(invocations, [], 'no command ran for a private message');
  });
});
