// The IRC test servers themselves (test/helpers/ngircd.ts, fake-sasl-ircd.ts) and the raw-socket person
// (irc-person.ts): the IRC bot's tests rely on what these show, so each behaviour they promise is checked
// here against the real ngircd or the IRCv3 specs.
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { startNgircd, type Ngircd } from '../helpers/ngircd.js';
import { connectPerson, parseLine, saslChunks, type IrcPerson, type ParsedLine } from '../helpers/irc-person.js';
import { makeCertificate, startFakeSaslIrcd, type FakeIrcd } from '../helpers/fake-sasl-ircd.js';

const servers: { stop?: () => Promise<void>; close?: () => Promise<void> }[] = [];
const persons: IrcPerson[] = [];
afterEach(async () => {
  for (const p of persons.splice(0)) await p.quit().catch(() => {});
  for (const s of servers.splice(0)) await (s.stop ?? s.close)?.();
});

async function ngircd(opts?: Parameters<typeof startNgircd>[0]): Promise<Ngircd> {
  const s = await startNgircd(opts);
  servers.push(s);
  return s;
}
async function fake(opts?: Parameters<typeof startFakeSaslIrcd>[0]): Promise<FakeIrcd> {
  const s = await startFakeSaslIrcd(opts);
  servers.push(s);
  return s;
}
async function person(...args: Parameters<typeof connectPerson>): Promise<IrcPerson> {
  const p = await connectPerson(...args);
  persons.push(p);
  return p;
}

const privmsg = (text: string) => (l: ParsedLine) => l.command === 'PRIVMSG' && l.params[1] === text;
const is = (command: string) => (l: ParsedLine) => l.command === command;

describe('parseLine', () => {
  test('tags with escaped values, a full prefix and a trailing param', () => {
    const l = parseLine('@time=2024-05-01T10:00:00.000Z;account=al\\sice\\:x\\\\y\\r\\n;+draft/reply=abc;flag;dup=1;dup=2 :alice!~al@127.0.0.1 PRIVMSG #chan :hello  world :)');
    assert.deepEqual(l.tags, { time: '2024-05-01T10:00:00.000Z', account: 'al ice;x\\y\r\n', '+draft/reply': 'abc', flag: '', dup: '2' });
    assert.equal(l.prefix, 'alice!~al@127.0.0.1');
    assert.equal(l.nick, 'alice');
    assert.equal(l.command, 'PRIVMSG');
    assert.deepEqual(l.params, ['#chan', 'hello  world :)']);
  });

  test('server prefix, numerics, no trailing, empty trailing and odd escapes', () => {
    const welcome = parseLine(':irc.parley.test 001 bot :Welcome!');
    assert.equal(welcome.nick, null);
    assert.equal(welcome.prefix, 'irc.parley.test');
    assert.deepEqual([welcome.command, welcome.params], ['001', ['bot', 'Welcome!']]);
    assert.deepEqual(parseLine('PING irc.parley.test').params, ['irc.parley.test']);
    assert.equal(parseLine('PING irc.parley.test').prefix, null);
    const spaced = parseLine(':n!u@h  mode   #c  +o  n');
    assert.deepEqual([spaced.command, spaced.params], ['MODE', ['#c', '+o', 'n']]);
    assert.deepEqual(parseLine(':srv CAP * LS :').params, ['*', 'LS', '']);
    // An unknown escape drops the backslash; a trailing lone backslash is dropped (message-tags).
    assert.deepEqual(parseLine('@a=x\\by\\ :s NOTICE * :hi').tags, { a: 'xby' });
  });
});

describe('ngircd', () => {
  test('two persons join a channel and see each other’s messages and actions', async () => {
    const s = await ngircd();
    // 30 characters: the configured MaxNickLength (ngircd's default of 9 would refuse it).
    const alice = await person(s, 'alice_with_a_long_nick_0123456');
    await alice.waitFor((l) => l.command === '005' && l.params.includes('NICKLEN=30'), 'ngircd announcing NICKLEN=30');
    const bob = await person(s, 'bob');
    await alice.join('#parley');
    await bob.join('#parley');
    await alice.waitFor((l) => l.command === 'JOIN' && l.nick === 'bob', 'bob joining');
    alice.say('#parley', 'héllo bob ✓');
    const got = await bob.waitFor(privmsg('héllo bob ✓'), 'alice’s message');
    assert.equal(got.nick, alice.nick);
    assert.equal(got.params[0], '#parley');
    bob.action('#parley', 'waves');
    await alice.waitFor(privmsg('\x01ACTION waves\x01'), 'bob’s action');
    // The cursor: the same line is not found twice, and a later line is found after an earlier one.
    bob.say('#parley', 'one');
    bob.say('#parley', 'two');
    const first = await alice.waitFor((l) => l.command === 'PRIVMSG' && l.nick === 'bob', 'a message from bob');
    const second = await alice.waitFor((l) => l.command === 'PRIVMSG' && l.nick === 'bob', 'another message from bob');
    assert.deepEqual([first.params[1], second.params[1]], ['one', 'two']);
    await assert.rejects(alice.waitFor(privmsg('one'), '"one" again', 300), /timed out/);
  });

  test('restart keeps the port; connections drop and a person can connect again', async () => {
    const s = await ngircd({ operators: [{ name: 'admin', password: 'sekrit' }] });
    const before = await person(s, 'before');
    await s.restart();
    await before.closed;
    const after = await person(s, 'after');
    after.send('OPER admin sekrit');
    await after.waitFor(is('381'), 'RPL_YOUREOPER for the configured operator');
    after.send('OPER admin wrong');
    await after.waitFor(is('464'), 'ERR_PASSWDMISMATCH');
    assert.match(s.log(), /\[restarting\]/);
  });

  test('the TLS port accepts a client trusting caCert and refuses one that does not', async () => {
    const s = await ngircd({ tls: true });
    assert.ok(s.tlsPort && s.caCert);
    const tlsPort = s.tlsPort;
    const trusted = await person({ host: s.host, port: tlsPort }, 'secure', { tls: { ca: s.caCert } });
    assert.ok(trusted.lines.some(is('001')));
    // By IP too (SAN IP:127.0.0.1), as a bot configured with host 127.0.0.1 and no servername would check it.
    const byIp = tlsConnect({ host: '127.0.0.1', port: tlsPort, ca: s.caCert });
    await new Promise<void>((resolve, reject) => byIp.once('secureConnect', resolve).once('error', reject));
    byIp.destroy();
    const untrusted = tlsConnect({ host: '127.0.0.1', port: tlsPort, servername: 'localhost' });
    const outcome = await new Promise<string>((resolve) => untrusted.once('error', (e: NodeJS.ErrnoException) => resolve(String(e.code))).once('secureConnect', () => resolve('connected')));
    untrusted.destroy();
    assert.match(outcome, /SELF_SIGNED|UNABLE_TO_VERIFY/);
    await s.stop();
    await trusted.closed;
    const refused = await new Promise<string>((resolve) => netConnect({ host: '127.0.0.1', port: s.port }).once('error', (e: NodeJS.ErrnoException) => resolve(String(e.code))).once('connect', () => resolve('connected')));
    assert.equal(refused, 'ECONNREFUSED', 'stop() leaves nothing listening');
  });

  test('flood control delays a burst instead of disconnecting; an over-long line disconnects', async () => {
    const s = await ngircd();
    const flooder = await person(s, 'flooder');
    const watcher = await person(s, 'watcher');
    await flooder.join('#flood');
    await watcher.join('#flood');
    const start = Date.now();
    for (let i = 0; i < 15; i++) flooder.say('#flood', `burst ${i}`);
    await watcher.waitFor(privmsg('burst 14'), 'the last line of the burst', 20_000);
    const arrivals = watcher.lines.filter((l) => l.command === 'PRIVMSG').map((l) => l.at - start);
    assert.equal(arrivals.length, 15);
    // Observed: 7 at once, then 3 a second, so the 15th arrives after ~3 s; on a loaded machine the client's lines
    // may earn more credit before the burst (12 at once, then a second's wait): throttled either way, not all at once.
    assert.ok(arrivals.at(-1)! - arrivals[0]! > 900, `burst not throttled: ${arrivals.join(',')}`);
    flooder.send('PING :still-here');
    await flooder.waitFor((l) => l.command === 'PONG' && l.params.at(-1) === 'still-here', 'PONG after the burst');
    // 520 bytes with CRLF: over RFC 1459's 512.
    flooder.send(`PRIVMSG #flood :${'x'.repeat(520 - 'PRIVMSG #flood :'.length - 2)}`);
    await flooder.waitFor((l) => l.command === 'ERROR' && /Request too long/.test(l.params[0] ?? ''), 'ERROR :Request too long');
    await flooder.closed;
  });
});

describe('fake SASL ircd', () => {
  const accounts = { alice: 'correct horse' };

  test('SASL PLAIN: the right password logs in (900/903), a wrong one gets 904 and no account', async () => {
    const s = await fake({ accounts });
    const good = await person(s, 'alice', { sasl: { account: 'alice', password: 'correct horse' } });
    const loggedIn = good.lines.find(is('900'));
    assert.deepEqual(loggedIn?.params.slice(0, 3), ['alice', 'alice!alice@127.0.0.1', 'alice']);
    assert.ok(good.lines.some(is('903')));
    assert.deepEqual(s.loggedIn, [{ nick: 'alice', account: 'alice', mechanism: 'PLAIN' }]);
    const isupport = await good.waitFor(is('005'), 'ISUPPORT');
    assert.ok(isupport?.params.includes('PREFIX=(ohv)@%+') && isupport.params.includes('CASEMAPPING=rfc1459'));
    await assert.rejects(person(s, 'mallory', { sasl: { account: 'alice', password: 'wrong' } }), / 904 /);
    assert.equal(s.loggedIn.length, 1);
    assert.deepEqual(s.violations, []);
    // The exchange as the spec shows it: LS 302, REQ, AUTHENTICATE PLAIN, payload, CAP END.
    assert.deepEqual(s.receivedFrom('alice').map((l) => l.split(' ').slice(0, 2).join(' ')), ['CAP LS', 'NICK alice', 'USER alice', 'CAP REQ', 'AUTHENTICATE PLAIN', `AUTHENTICATE ${Buffer.from('alice\0alice\0correct horse').toString('base64')}`, 'CAP END']);
  });

  test('a long PLAIN response in 400-byte chunks (+ after a full one) logs in', async () => {
    const password = 'p'.repeat(588); // base64 of "alice\0alice\0" + 588 bytes = 600 bytes = 800 chars: two full chunks, then '+'
    const s = await fake({ accounts: { alice: password } });
    assert.deepEqual(saslChunks(Buffer.from(`alice\0alice\0${password}`).toString('base64')).map((c) => c.length), [400, 400, 1]);
    await person(s, 'alice', { sasl: { account: 'alice', password } });
    assert.equal(s.loggedIn.length, 1);
    assert.deepEqual(s.violations, []);
  });

  test('SASL EXTERNAL with the matching client certificate logs in; another certificate does not', async () => {
    const [serverCert, known, unknown] = await Promise.all([makeCertificate('irc.fakenet.test'), makeCertificate('parley-bot'), makeCertificate('stranger')]);
    const s = await fake({ tls: { ...serverCert, requestCert: true }, externalFingerprints: { [known.fingerprintSha256.toUpperCase()]: 'parleybot' } });
    async function external(nick: string, cert: { key: string; cert: string }): Promise<IrcPerson> {
      const p = await person(s, nick, { tls: { ca: serverCert.cert, key: cert.key, cert: cert.cert }, register: false });
      for (const line of ['CAP LS 302', `NICK ${nick}`, `USER ${nick} 0 * :${nick}`, 'CAP REQ :sasl', 'AUTHENTICATE EXTERNAL']) p.send(line);
      await p.waitFor((l) => l.command === 'AUTHENTICATE' && l.params[0] === '+', 'AUTHENTICATE +');
      p.send('AUTHENTICATE +');
      return p;
    }
    const bot = await external('bot', known);
    const ok = await bot.waitFor((l) => ['903', '904'].includes(l.command), 'SASL result');
    assert.equal(ok.command, '903');
    assert.ok(bot.lines.some((l) => l.command === '900' && l.params[2] === 'parleybot'));
    bot.send('CAP END');
    await bot.waitFor(is('001'), 'welcome after CAP END');
    const stranger = await external('stranger', unknown);
    assert.equal((await stranger.waitFor((l) => ['903', '904'].includes(l.command), 'SASL result')).command, '904');
    assert.deepEqual(s.loggedIn, [{ nick: 'bot', account: 'parleybot', mechanism: 'EXTERNAL' }]);
  });

  test('records what the specs forbid and answers with their numerics', async () => {
    const s = await fake({ accounts });
    const p = await person(s, 'sloppy', { register: false });
    p.send('CAP LS 302');
    const ls = await p.waitFor((l) => l.command === 'CAP' && l.params[1] === 'LS', 'CAP LS');
    assert.equal(ls.params[2], 'sasl=PLAIN,EXTERNAL server-time account-tag extended-join multi-prefix');
    p.send('AUTHENTICATE PLAIN');
    await p.waitFor(is('904'), '904 for AUTHENTICATE before sasl is ACKed');
    p.send('CAP REQ :sasl no-such-cap');
    await p.waitFor((l) => l.command === 'CAP' && l.params[1] === 'NAK', 'NAK of the whole request');
    p.send('CAP REQ :sasl');
    await p.waitFor((l) => l.command === 'CAP' && l.params[1] === 'ACK' && l.params[2] === 'sasl', 'ACK');
    p.send('AUTHENTICATE PLAIN');
    await p.waitFor((l) => l.command === 'AUTHENTICATE', 'AUTHENTICATE +');
    p.send(`AUTHENTICATE ${'A'.repeat(404)}`);
    await p.waitFor(is('905'), '905 for a chunk over 400 bytes');
    p.send(`NOTICE x :${'y'.repeat(600)}`);
    await p.waitFor(is('417'), '417 for a line over 512 bytes');
    p.send('NICK sloppy');
    p.send('USER sloppy 0 * :Sloppy');
    p.send('PING :before-end');
    await p.waitFor(is('PONG'), 'PONG during registration');
    assert.ok(!p.lines.some(is('001')), 'registration waits for CAP END');
    p.send('CAP END');
    await p.waitFor(is('001'), '001 after CAP END');
    assert.deepEqual(s.violations.map((v) => v.replace(/\d+ bytes/, 'N bytes')), [
      '*: AUTHENTICATE before the sasl capability was ACKed',
      '*: AUTHENTICATE chunk of N bytes (max 400)',
      '*: line of N bytes (max 512 incl. CRLF, without tags)',
    ]);
  });

  test('CAP LS without 302 gets no values; relayed messages carry account and time tags', async () => {
    const s = await fake();
    const old = await person(s, 'old', { register: false });
    old.send('CAP LS');
    assert.equal((await old.waitFor(is('CAP'), 'CAP LS')).params[2], 'sasl server-time account-tag extended-join multi-prefix');
    const alice = await s.connectUser('alice', 'alice-account');
    persons.push(alice);
    const bob = await s.connectUser('bob', null);
    persons.push(bob);
    await bob.join('#room');
    await alice.join('#room');
    const join = await bob.waitFor((l) => l.command === 'JOIN' && l.nick === 'alice', 'alice’s extended JOIN');
    assert.deepEqual(join.params, ['#room', 'alice-account', 'alice (test person)']);
    alice.say('#room', 'tagged');
    const msg = await bob.waitFor(privmsg('tagged'), 'alice’s message');
    assert.equal(msg.tags.account, 'alice-account');
    assert.ok(Math.abs(Date.parse(msg.tags.time ?? '') - Date.now()) < 5000, `server-time: ${msg.tags.time}`);
    bob.say('#room', 'untagged');
    assert.equal((await alice.waitFor(privmsg('untagged'), 'bob’s message')).tags.account, undefined);
    assert.ok(s.received.includes('PRIVMSG #room :tagged'));
    assert.equal(s.connections(), 3);
  });
});
