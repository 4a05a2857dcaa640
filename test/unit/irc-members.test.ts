// The IRC bot's picture of its channels (bots/irc/members.ts): case folding by CASEMAPPING, which PREFIX modes
// make a moderator, the member list as NAMES, MODE, NICK, PART/KICK and QUIT change it, and who a message's
// author is to the core. Who may change rules rests on this, so each change of state is checked on its own.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { caseFolder, ChannelMembers, chatUserOf, foldRfc1459, moderatorModes } from '../../bots/irc/members.js';

/** PREFIX as irc-framework parses `(qaohv)~&@%+`, highest first. */
const prefix = (modes: string) => [...modes].map((mode) => ({ mode, symbol: '?' }));

describe('case folding', () => {
  test('RFC 1459: []\\~ are the upper case of {}|^', () => {
    assert.equal(foldRfc1459('Nick[Away]\\~'), 'nick{away}|^');
    assert.equal(foldRfc1459('{}|^'), '{}|^');
  });

  test('caseFolder follows CASEMAPPING, and RFC 1459 where the server does not say', () => {
    assert.equal(caseFolder('ascii')('Nick[]\\~'), 'nick[]\\~');
    // strict-rfc1459 leaves ~ and ^ apart.
    assert.equal(caseFolder('strict-rfc1459')('Nick[]\\~'), 'nick{}|~');
    assert.equal(caseFolder('rfc1459')('Nick[]\\~'), 'nick{}|^');
    assert.equal(caseFolder(undefined)('Nick[]\\~'), 'nick{}|^');
    // An unknown mapping (rfc7613, say) is folded the common way rather than not at all.
    assert.equal(caseFolder('rfc7613')('ABC'), 'abc');
  });
});

describe('moderatorModes', () => {
  test('half-operator and above where the network has half-operators', () => {
    assert.deepEqual(moderatorModes(prefix('qaohv')), new Set(['q', 'a', 'o', 'h']));
    assert.deepEqual(moderatorModes(prefix('ohv')), new Set(['o', 'h']));
  });

  test('operator and above where it has none; voice is never one', () => {
    assert.deepEqual(moderatorModes(prefix('qaov')), new Set(['q', 'a', 'o']));
    assert.deepEqual(moderatorModes(prefix('ov')), new Set(['o']));
  });

  test('a PREFIX without o (or none) still counts operators', () => {
    assert.deepEqual(moderatorModes(prefix('v')), new Set(['o']));
    assert.deepEqual(moderatorModes([]), new Set(['o']));
  });
});

describe('ChannelMembers', () => {
  /** #parley with an operator, a half-operator, a voiced member and a plain one. */
  function parley(): ChannelMembers {
    const m = new ChannelMembers();
    m.names('#Parley', [
      { nick: 'Alice', modes: ['o'] },
      { nick: 'Hal', modes: ['h'] },
      { nick: 'Vic', modes: ['v'] },
      { nick: 'Bob', modes: [] },
    ]);
    return m;
  }

  test('NAMES with modes: operators and half-operators moderate, voice and nothing are members', () => {
    const m = parley();
    assert.equal(m.role('#parley', 'alice'), 'moderator');
    assert.equal(m.role('#PARLEY', 'HAL'), 'moderator');
    assert.equal(m.role('#parley', 'Vic'), 'member');
    assert.equal(m.role('#parley', 'Bob'), 'member');
    assert.equal(m.role('#parley', 'carol'), 'absent');
    assert.equal(m.role('#elsewhere', 'Alice'), 'absent', 'a channel the bot does not know');
    assert.deepEqual(m.nicks('#parley'), ['Alice', 'Hal', 'Vic', 'Bob']);
    assert.ok(m.knows('#PaRlEy'));
    assert.ok(!m.knows('#elsewhere'));
  });

  test('names compare under the fold: a nick with [] is the same as with {}', () => {
    const m = new ChannelMembers();
    m.names('#c', [{ nick: 'Op[1]', modes: ['o'] }]);
    assert.equal(m.role('#C', 'op{1}'), 'moderator');
  });

  test('a network without half-operators: h is not a moderator', () => {
    const m = parley();
    m.moderators = moderatorModes(prefix('ov'));
    assert.equal(m.role('#parley', 'Hal'), 'member');
    assert.equal(m.role('#parley', 'Alice'), 'moderator');
  });

  test('a later NAMES replaces the list', () => {
    const m = parley();
    m.names('#parley', [{ nick: 'Bob', modes: ['o'] }]);
    assert.equal(m.role('#parley', 'Alice'), 'absent');
    assert.equal(m.role('#parley', 'Bob'), 'moderator');
  });

  test('MODE +o and -o change a member; modes about no member are ignored', () => {
    const m = parley();
    m.mode('#parley', [{ mode: '+o', param: 'bob' }, { mode: '-o', param: 'ALICE' }]);
    assert.equal(m.role('#parley', 'Bob'), 'moderator');
    assert.equal(m.role('#parley', 'Alice'), 'member');
    m.mode('#parley', [{ mode: '-h', param: 'Hal' }]);
    assert.equal(m.role('#parley', 'Hal'), 'member');
    // +n (no param), a ban mask, a nick not in the channel: nothing changes and nothing throws.
    m.mode('#parley', [{ mode: '+n' }, { mode: '+b', param: '*!*@spam.example' }, { mode: '+o', param: 'stranger' }]);
    assert.equal(m.role('#parley', 'stranger'), 'absent');
    assert.equal(m.role('#parley', 'Bob'), 'moderator');
    // A channel the bot does not know.
    m.mode('#elsewhere', [{ mode: '+o', param: 'Bob' }]);
    assert.ok(!m.knows('#elsewhere'));
  });

  test('a rename keeps the channel modes and the account, under the new nick only', () => {
    const m = parley();
    m.names('#other', [{ nick: 'Alice', modes: [] }]);
    m.account('Alice', 'alice-account');
    m.rename('alice', 'Alicia');
    assert.equal(m.role('#parley', 'Alicia'), 'moderator');
    assert.equal(m.role('#other', 'alicia'), 'member');
    assert.equal(m.role('#parley', 'Alice'), 'absent');
    assert.equal(m.accountOf('ALICIA'), 'alice-account');
    assert.equal(m.accountOf('Alice'), undefined, 'the old nick is free: whoever takes it is not alice-account');
    assert.ok(m.nicks('#parley').includes('Alicia'), 'the new spelling is shown');
  });

  test('a rename keeps "logged out" too, and a nick with no account known stays unknown', () => {
    const m = parley();
    m.account('Bob', false);
    m.rename('Bob', 'Robert');
    assert.equal(m.accountOf('Robert'), null);
    m.rename('Vic', 'Victor');
    assert.equal(m.accountOf('Victor'), undefined);
  });

  test('a quit removes the nick from every channel and forgets its account', () => {
    const m = parley();
    m.join('#other', 'Bob', 'bob-account');
    assert.equal(m.accountOf('bob'), 'bob-account');
    m.quit('BOB');
    assert.equal(m.role('#parley', 'Bob'), 'absent');
    assert.equal(m.role('#other', 'Bob'), 'absent');
    assert.equal(m.accountOf('Bob'), undefined);
  });

  test('leaving (PART, KICK) one channel keeps the others and the account', () => {
    const m = parley();
    m.join('#other', 'Alice', 'alice-account');
    m.leave('#PARLEY', 'alice');
    assert.equal(m.role('#parley', 'Alice'), 'absent');
    assert.equal(m.role('#other', 'Alice'), 'member');
    assert.equal(m.accountOf('Alice'), 'alice-account');
  });

  test('the bot leaving a channel forgets it', () => {
    const m = parley();
    m.forgetChannel('#parley');
    assert.ok(!m.knows('#parley'));
    assert.equal(m.role('#parley', 'Alice'), 'absent');
  });

  test('a JOIN adds a member without modes; extended-join says the account, * or false for none', () => {
    const m = parley();
    m.join('#parley', 'Carol', 'carol-account');
    m.join('#parley', 'Dave', false);
    m.join('#parley', 'Eve');
    assert.equal(m.role('#parley', 'Carol'), 'member');
    assert.equal(m.accountOf('Carol'), 'carol-account');
    assert.equal(m.accountOf('Dave'), null);
    assert.equal(m.accountOf('Eve'), undefined);
    m.account('Eve', '*');
    assert.equal(m.accountOf('Eve'), null, 'account-notify `*` is "logged out"');
    // A JOIN to a channel not seen before starts its list.
    m.join('#new', 'Carol');
    assert.ok(m.knows('#new'));
  });
});

describe('chatUserOf', () => {
  const who = { nick: 'alice', ident: '~al', hostname: 'host.example' };

  test('a logged-in user is their account', () => {
    assert.deepEqual(chatUserOf(who, 'alice-account'), { id: 'alice-account', username: 'alice-account', displayName: 'alice' });
  });

  test('never the nick alone: without an account, the full mask and no username', () => {
    for (const account of [null, undefined, '']) {
      const user = chatUserOf(who, account);
      assert.deepEqual(user, { id: 'alice!~al@host.example', username: '', displayName: 'alice' });
      assert.notEqual(user.id, who.nick);
    }
  });
});
