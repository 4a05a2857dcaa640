// IRC's variables as the registry entry reads them (bots/irc/index.ts: irc.configure, parseChannelList) and what
// the server's refusals mean (bots/irc/errors.ts: errorOfRefusal). An operator sees these words when a variable
// is wrong or a channel cannot be reached, so the tests check that each names the variable, or says what to do.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IrcAdapter } from '../../bots/irc/adapter.js';
import { errorOfRefusal } from '../../bots/irc/errors.js';
import { irc, parseChannelList, type IrcSettings } from '../../bots/irc/index.js';
import { PlatformPermanentError, PlatformTransientError } from '../../lib/errors.js';
import { silentLogger } from '../../lib/log.js';
import type { AdapterDeps } from '../../lib/seams/platform.js';

const SHARED = { publicUrl: null };

/** The problems configure() reports for these variables (none when IRC configures). */
function problemsOf(vars: Record<string, string>): string[] {
  return irc.configure({ PARLEY_IRC_SERVER: 'irc.example.org', ...vars }, SHARED).problems;
}

/**
 * The settings the adapter is made with. The registry entry hands them only to the adapter it creates (no
 * connection is made until start()), so they are read back from there.
 */
async function settingsOf(vars: Record<string, string>): Promise<IrcSettings> {
  const { platform, problems } = irc.configure({ PARLEY_IRC_SERVER: 'irc.example.org', ...vars }, SHARED);
  assert.deepEqual(problems, []);
  assert.ok(platform);
  // Nothing of the core is touched before start(): a logger is all the constructor reads.
  const deps = { log: silentLogger } as unknown as AdapterDeps;
  const adapter = (await platform.create(deps)) as IrcAdapter;
  return adapter['settings'];
}

describe('irc.configure', () => {
  test('not configured without PARLEY_IRC_SERVER, whatever else is set', () => {
    assert.deepEqual(irc.configure({}, SHARED), { platform: null, problems: [] });
    assert.deepEqual(irc.configure({ PARLEY_IRC_SERVER: '', PARLEY_IRC_NICK: 'bot', PARLEY_IRC_CHANNELS: '#a' }, SHARED), { platform: null, problems: [] });
  });

  test('defaults: TLS checked on 6697, nick parley, a burst of 4 then a line every 2 s', async () => {
    const s = await settingsOf({});
    assert.deepEqual(s, {
      host: 'irc.example.org',
      port: 6697,
      tls: 'verify',
      caFile: null,
      clientCert: null,
      nick: 'parley',
      account: null,
      channels: [],
      allowedInviters: [],
      burst: 4,
      lineIntervalMs: 2000,
    });
  });

  test('without TLS the default port is 6667; an explicit port wins either way', async () => {
    for (const off of ['false', 'off', 'no', '0']) {
      const s = await settingsOf({ PARLEY_IRC_TLS: off });
      assert.deepEqual([s.tls, s.port], ['off', 6667], off);
    }
    for (const on of ['true', 'yes', '1', 'verify']) assert.deepEqual(await settingsOf({ PARLEY_IRC_TLS: on }).then((s) => [s.tls, s.port]), ['verify', 6697], on);
    assert.deepEqual(await settingsOf({ PARLEY_IRC_TLS: 'no-verify' }).then((s) => [s.tls, s.port]), ['no-verify', 6697]);
    assert.equal((await settingsOf({ PARLEY_IRC_PORT: '7000' })).port, 7000);
    assert.equal((await settingsOf({ PARLEY_IRC_TLS: 'false', PARLEY_IRC_PORT: '7000' })).port, 7000);
  });

  test('everything set: account, client certificate, channels with keys, inviters, pace', async () => {
    const s = await settingsOf({
      PARLEY_IRC_NICK: 'Parley[bot]',
      PARLEY_IRC_SASL_USER: 'parleybot',
      PARLEY_IRC_SASL_PASSWORD: 'pw',
      PARLEY_IRC_TLS_CA_FILE: '/ca.pem',
      PARLEY_IRC_TLS_CERT_FILE: '/cert.pem',
      PARLEY_IRC_TLS_KEY_FILE: '/key.pem',
      PARLEY_IRC_CHANNELS: '#parley, #ops secret',
      PARLEY_IRC_ALLOWED_INVITERS: ' staff-*, *!*@trusted.example ,',
      PARLEY_IRC_SEND_BURST: '10',
      PARLEY_IRC_SEND_INTERVAL_SECONDS: '0.25',
    });
    assert.equal(s.nick, 'Parley[bot]');
    assert.deepEqual(s.account, { user: 'parleybot', password: 'pw' });
    assert.equal(s.caFile, '/ca.pem');
    assert.deepEqual(s.clientCert, { certFile: '/cert.pem', keyFile: '/key.pem' });
    assert.deepEqual(s.channels, [{ name: '#parley', key: null }, { name: '#ops', key: 'secret' }]);
    assert.deepEqual(s.allowedInviters, ['staff-*', '*!*@trusted.example']);
    assert.deepEqual([s.burst, s.lineIntervalMs], [10, 250]);
  });

  test('a SASL user without a password, or a password without a user, names the missing one', () => {
    const [noPassword, ...more] = problemsOf({ PARLEY_IRC_SASL_USER: 'parleybot' });
    assert.deepEqual(more, []);
    assert.match(noPassword!, /^PARLEY_IRC_SASL_PASSWORD: required with PARLEY_IRC_SASL_USER/);
    assert.match(problemsOf({ PARLEY_IRC_SASL_PASSWORD: 'pw' }).join('\n'), /^PARLEY_IRC_SASL_USER: required with PARLEY_IRC_SASL_PASSWORD/);
    assert.match(problemsOf({ PARLEY_IRC_SASL_USER: 'two words', PARLEY_IRC_SASL_PASSWORD: 'pw' }).join('\n'), /^PARLEY_IRC_SASL_USER: .*no spaces/);
  });

  test('a client certificate without its key (or the reverse), or without TLS, is a problem', () => {
    assert.match(problemsOf({ PARLEY_IRC_TLS_CERT_FILE: '/cert.pem' }).join('\n'), /^PARLEY_IRC_TLS_KEY_FILE: .*both its certificate and its key/);
    assert.match(problemsOf({ PARLEY_IRC_TLS_KEY_FILE: '/key.pem' }).join('\n'), /^PARLEY_IRC_TLS_CERT_FILE: .*both/);
    assert.match(problemsOf({ PARLEY_IRC_TLS_CERT_FILE: '/c.pem', PARLEY_IRC_TLS_KEY_FILE: '/k.pem', PARLEY_IRC_TLS: 'false' }).join('\n'), /^PARLEY_IRC_TLS_CERT_FILE: .*needs TLS/);
  });

  test('a bad channel list entry is named, and each bad one reported', () => {
    const problems = problemsOf({ PARLEY_IRC_CHANNELS: '#good, parley, #ops key extra' });
    assert.equal(problems.length, 2, problems.join('\n'));
    assert.match(problems[0]!, /^PARLEY_IRC_CHANNELS: "parley" is not a channel such as #parley/);
    assert.match(problems[1]!, /^PARLEY_IRC_CHANNELS: "#ops key extra" is not a channel/);
  });

  test('a nick with a space (or a leading digit, or too long) is refused by name', () => {
    for (const nick of ['parley bot', '1parley', 'p'.repeat(31), 'par.ley']) {
      const problems = problemsOf({ PARLEY_IRC_NICK: nick });
      assert.equal(problems.length, 1, `${nick}: ${problems.join('; ')}`);
      assert.match(problems[0]!, /^PARLEY_IRC_NICK: /, nick);
    }
    assert.match(problemsOf({ PARLEY_IRC_NICK: 'parley bot' })[0]!, /no spaces/);
  });

  test('the other variables are checked too: server, port, TLS mode, pace', () => {
    assert.match(problemsOf({ PARLEY_IRC_SERVER: 'irc://irc.example.org' }).join('\n'), /^PARLEY_IRC_SERVER: .*without irc:\/\//);
    assert.match(problemsOf({ PARLEY_IRC_PORT: '70000' }).join('\n'), /^PARLEY_IRC_PORT: /);
    assert.match(problemsOf({ PARLEY_IRC_TLS: 'maybe' }).join('\n'), /^PARLEY_IRC_TLS: /);
    assert.match(problemsOf({ PARLEY_IRC_SEND_BURST: '0' }).join('\n'), /^PARLEY_IRC_SEND_BURST: /);
    assert.match(problemsOf({ PARLEY_IRC_SEND_INTERVAL_SECONDS: '0.01' }).join('\n'), /^PARLEY_IRC_SEND_INTERVAL_SECONDS: /);
  });
});

describe('parseChannelList', () => {
  test('channels with and without keys, spaces and empty entries ignored', () => {
    assert.deepEqual(parseChannelList(' #parley , #ops  secret,,&local, +modeless,!12345chan '), {
      channels: [
        { name: '#parley', key: null },
        { name: '#ops', key: 'secret' },
        { name: '&local', key: null },
        { name: '+modeless', key: null },
        { name: '!12345chan', key: null },
      ],
      problems: [],
    });
    assert.deepEqual(parseChannelList(''), { channels: [], problems: [] });
    assert.deepEqual(parseChannelList(' , '), { channels: [], problems: [] });
  });

  test('a bad entry is a problem naming it; the good ones are kept', () => {
    const { channels, problems } = parseChannelList('#ok, noprefix, #a:b, #, #x key more');
    assert.deepEqual(channels, [{ name: '#ok', key: null }]);
    assert.deepEqual(
      problems.map((p) => /^"[^"]*"/u.exec(p)?.[0]),
      ['"noprefix"', '"#a:b"', '"#"', '"#x key more"'],
    );
    for (const p of problems) assert.match(p, /is not a channel such as #parley \(or "#ops key" for a channel with a key\)/);
  });
});

describe('errorOfRefusal', () => {
  /** A refusal's message names an action an operator can take (as the conformance suite checks). */
  const SAYS_WHAT_TO_DO = /\b(add|invite|give|grant|set|create|check|remove|run|register|lift|trying again)\b/iu;
  const refusal = (numeric: string) => errorOfRefusal({ numeric, target: '#parley', reason: 'the server’s words' }, '#parley');

  const cases: [string, 'bot_removed' | 'forbidden' | 'channel_not_found' | 'transient'][] = [
    ['474', 'bot_removed'],
    ['473', 'forbidden'],
    ['475', 'forbidden'],
    ['477', 'forbidden'],
    ['403', 'channel_not_found'],
    ['471', 'transient'],
  ];
  for (const [numeric, expected] of cases) {
    test(`${numeric} → ${expected}, naming the channel, the server's words and what to do`, () => {
      const err = refusal(numeric);
      if (expected === 'transient') {
        assert.ok(err instanceof PlatformTransientError, `${numeric} is worth retrying`);
      } else {
        assert.ok(err instanceof PlatformPermanentError, `${numeric} needs someone to act`);
        assert.equal(err.reason, expected);
      }
      assert.match(err.message, /#parley/);
      assert.match(err.message, /the server’s words/);
      assert.match(err.message, SAYS_WHAT_TO_DO);
    });
  }

  test('each says its own remedy', () => {
    assert.match(refusal('474').message, /banned.*-b.*\/invite/);
    assert.match(refusal('473').message, /invite-only.*\/invite/);
    assert.match(refusal('475').message, /key.*PARLEY_IRC_CHANNELS.*"#parley <key>"/);
    assert.match(refusal('477').message, /PARLEY_IRC_SASL_USER and PARLEY_IRC_SASL_PASSWORD/);
    assert.match(refusal('403').message, /no channel #parley.*parley channels remove/);
    assert.match(refusal('471').message, /full.*trying again later/);
  });

  test('without the server’s words, none are quoted', () => {
    const err = errorOfRefusal({ numeric: '474', target: '#parley', reason: '' }, '#parley');
    assert.doesNotMatch(err.message, /server said/);
  });

  test('an unknown numeric is transient (442: not on the channel, joined again next time)', () => {
    assert.ok(refusal('442') instanceof PlatformTransientError);
    assert.ok(refusal('999') instanceof PlatformTransientError);
  });
});
