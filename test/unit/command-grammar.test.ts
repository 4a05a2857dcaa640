import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { tokenize, type Token } from '../../commands/tokenize.js';
import { isParseFailure, parseRulesCommand, SUBCOMMANDS, type RulesCommand, type ParseFailure } from '../../commands/grammar.js';

function tokens(input: string): Token[] {
  const result = tokenize(input);
  if (!result.ok) throw new Error(`expected tokens, got: ${result.error.message}`);
  return result.tokens;
}

const values = (input: string) => tokens(input).map((t) => (t.kind === 'word' ? t.value : `${t.key}=${t.value}`));

function parsed(args: string, cmd?: string): RulesCommand {
  const r = parseRulesCommand(args, cmd ? { cmd } : {});
  if (isParseFailure(r)) throw new Error(`expected a command for ${JSON.stringify(args)}, got ${r.id}: ${r.message}`);
  return r;
}

function failed(args: string, cmd?: string): ParseFailure {
  const r = parseRulesCommand(args, cmd ? { cmd } : {});
  if (!isParseFailure(r)) throw new Error(`expected a failure for ${JSON.stringify(args)}, got ${JSON.stringify(r)}`);
  return r;
}

describe('tokenize', () => {
  test('splits on any whitespace, unicode spaces included', () => {
    assert.deepEqual(values('  watch\tc/meta \u00A0t/release\u3000all\n'), ['watch', 'c/meta', 't/release', 'all']);
    assert.deepEqual(values(''), []);
    assert.deepEqual(values('   '), []);
  });

  test('key:value options have case-insensitive keys and keep the value as typed', () => {
    assert.deepEqual(tokens('TITLE:Weekly'), [{ kind: 'option', key: 'title', value: 'Weekly', raw: 'TITLE:Weekly', start: 0, quoted: false }]);
    assert.deepEqual(values('Last:50 from:15:35-16:10 tags:a,b empty:'), ['last=50', 'from=15:35-16:10', 'tags=a,b', 'empty=']);
  });

  test('values and words may be quoted with straight, single and curly quotes', () => {
    assert.deepEqual(values('title:"Weekly sync" x'), ['title=Weekly sync', 'x']);
    assert.deepEqual(values("title:'Weekly sync'"), ['title=Weekly sync']);
    assert.deepEqual(values('title:\u201CWeekly sync\u201D'), ['title=Weekly sync']);
    assert.deepEqual(values('title:\u2018Weekly sync\u2019'), ['title=Weekly sync']);
    assert.deepEqual(values('title:\u201EWoche\u201C'), ['title=Woche']);
    assert.deepEqual(values('title:\u00ABsemaine\u00BB'), ['title=semaine']);
    // A phone's curly opening quote closed by a straight one still works.
    assert.deepEqual(values('title:\u201CMixed"'), ['title=Mixed']);
    assert.deepEqual(values('"two words" \'and three here\''), ['two words', 'and three here']);
    assert.deepEqual(values('title:""'), ['title=']);
    const [quoted] = tokens('"c/meta"');
    assert.equal(quoted?.quoted, true);
  });

  test('a quoted key is a word, not an option', () => {
    assert.deepEqual(tokens('"a:b"').map((t) => t.kind), ['word']);
    assert.deepEqual(tokens('a\\ b:c').map((t) => t.kind), ['word']);
  });

  test('backslash escapes quotes, backslashes and spaces, and is kept before anything else', () => {
    assert.deepEqual(values('title:"say \\"hi\\""'), ['title=say "hi"']);
    assert.deepEqual(values('title:"back\\\\slash"'), ['title=back\\slash']);
    assert.deepEqual(values('two\\ words'), ['two words']);
    assert.deepEqual(values('\\"notquoted'), ['"notquoted']);
    assert.deepEqual(values('path:C\\dir\\n'), ['path=C\\dir\\n']);
    assert.deepEqual(values('trailing\\'), ['trailing\\']);
  });

  test('apostrophes inside words are text, not quotes', () => {
    assert.deepEqual(values("don't title:it's"), ["don't", "title=it's"]);
  });

  test('keeps unicode words intact', () => {
    assert.deepEqual(values('t/日本語 title:"café 🎉"'), ['t/日本語', 'title=café 🎉']);
  });

  test('an unterminated quote is an error naming the character where it opened', () => {
    const r = tokenize('watch title:"Weekly sync');
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.equal(r.error.id, 'parse.unterminated_quote');
    assert.equal(r.error.position, 12);
    assert.equal(r.error.column, 13);
    assert.match(r.error.message, /character 13/);
    assert.match(r.error.message, /never closed/);
    assert.match(r.error.message, /Close it with "/);
  });

  test('the column counts characters as people do, not UTF-16 units', () => {
    const r = tokenize('🎉🎉 \u201Cabc');
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.equal(r.error.position, 5);
    assert.equal(r.error.column, 4);
    // Suggests the matching closing quote for a curly opening one.
    assert.match(r.error.message, /Close it with \u201D/);
  });

  test('an escaped closing quote does not close', () => {
    const r = tokenize('"abc\\"');
    assert.equal(r.ok, false);
  });
});

describe('parseRulesCommand', () => {
  test('help, also bare, in any case, and with words after it', () => {
    assert.deepEqual(parsed(''), { kind: 'help' });
    assert.deepEqual(parsed('   '), { kind: 'help' });
    assert.deepEqual(parsed('HELP'), { kind: 'help' });
    assert.deepEqual(parsed('help watch'), { kind: 'help' });
  });

  test('status, in any case; words after it are a mistake that says what to type', () => {
    assert.deepEqual(parsed('Status'), { kind: 'status' });
    const f = failed('status please');
    assert.equal(f.id, 'parse.unexpected_args');
    assert.match(f.message, /"please"/);
    assert.match(f.message, /Type just \/discourse status/);
  });

  test('watch, follow, mute and thread take scopes, one rule each', () => {
    assert.deepEqual(parsed('WATCH C/Meta'), { kind: 'subscribe', filter: 'watch', scopes: [{ type: 'category', path: 'meta' }] });
    assert.deepEqual(parsed('follow t/release all c/support/billing'), {
      kind: 'subscribe',
      filter: 'follow',
      scopes: [{ type: 'tag', name: 'release' }, { type: 'all' }, { type: 'category', path: 'support/billing' }],
    });
    assert.deepEqual(parsed('mute t/spam'), { kind: 'subscribe', filter: 'mute', scopes: [{ type: 'tag', name: 'spam' }] });
    assert.deepEqual(parsed('Thread c/support'), { kind: 'subscribe', filter: 'thread', scopes: [{ type: 'category', path: 'support' }] });
  });

  test('scopes may be quoted, comma-separated, and repeat only once', () => {
    assert.deepEqual(parsed('watch "c/meta", t/release,t/release C/META'), {
      kind: 'subscribe',
      filter: 'watch',
      scopes: [{ type: 'category', path: 'meta' }, { type: 'tag', name: 'release' }],
    });
  });

  test('unicode tags and categories', () => {
    assert.deepEqual(parsed('watch t/日本語 c/Ünïcode'), {
      kind: 'subscribe',
      filter: 'watch',
      scopes: [{ type: 'tag', name: '日本語' }, { type: 'category', path: 'ünïcode' }],
    });
  });

  test('a filter without a scope says so and shows one', () => {
    const f = failed('watch');
    assert.equal(f.id, 'parse.scope_missing');
    assert.match(f.message, /watch needs at least one scope/);
    assert.match(f.message, /all, c\/CATEGORY, c\/PARENT\/CHILD or t\/TAG/);
    assert.match(f.message, /\/discourse watch c\/meta/);
    assert.equal(failed('follow , ,').id, 'parse.scope_missing');
  });

  test('a bare slug is not a scope, and the reply guesses the category', () => {
    const f = failed('watch c/ok meta');
    assert.equal(f.id, 'parse.bad_scope');
    assert.match(f.message, /"meta" is not a scope/);
    assert.match(f.message, /Did you mean \/discourse watch c\/meta\?/);
    assert.match(f.message, /Nothing was changed/);
    assert.match(failed('mute #General').message, /Did you mean \/discourse mute c\/general\?/);
  });

  test('a category deeper than parent/child is refused with the right form', () => {
    const f = failed('watch c/a/b/c');
    assert.equal(f.id, 'parse.bad_scope');
    assert.match(f.message, /c\/SLUG or c\/PARENT\/CHILD/);
  });

  test('a key:value where a scope belongs is refused, not read as an option', () => {
    const f = failed('watch category:meta');
    assert.equal(f.id, 'parse.bad_scope');
    assert.match(f.message, /"category:meta" is not a scope/);
  });

  test('remove takes the numbers shown by status', () => {
    assert.deepEqual(parsed('remove 2'), { kind: 'remove', numbers: [2] });
    assert.deepEqual(parsed('REMOVE 3 1,3 #2'), { kind: 'remove', numbers: [3, 1, 2] });
  });

  test('remove without numbers, or with something else, says what to type', () => {
    const missing = failed('remove');
    assert.equal(missing.id, 'parse.numbers_missing');
    assert.match(missing.message, /\/discourse status/);
    assert.match(missing.message, /\/discourse remove 2/);
    for (const word of ['two', '0', '-1', '1.5', 'c/meta', '12345678901']) {
      const f = failed(`remove 1 ${word}`);
      assert.equal(f.id, 'parse.not_a_number', word);
      assert.ok(f.message.includes(`"${word}" is not a rule number`), f.message);
      assert.match(f.message, /Nothing was removed/);
    }
  });

  test('an unknown subcommand lists the valid ones and suggests the nearest', () => {
    const f = failed('wach c/meta');
    assert.equal(f.id, 'parse.unknown_subcommand');
    assert.match(f.message, /"wach" is not a \/discourse command/);
    assert.match(f.message, /Did you mean \/discourse watch\?/);
    for (const sub of SUBCOMMANDS) assert.ok(f.message.includes(sub), sub);
    assert.match(failed('STAUTS').message, /Did you mean \/discourse status\?/);
    assert.match(failed('remvoe 1').message, /Did you mean \/discourse remove\?/);
  });

  test('a word far from every subcommand gets the list without a wrong guess', () => {
    const f = failed('xyzzy');
    assert.doesNotMatch(f.message, /Did you mean/);
    assert.match(f.message, /The commands are: help, status, watch, follow, mute, thread, remove/);
  });

  test('words people try for removing point to status and remove, not to the nearest spelling', () => {
    const f = failed('unmute t/spam');
    assert.match(f.message, /To lift a mute, find its number with \/discourse status, then \/discourse remove N/);
    assert.doesNotMatch(f.message, /Did you mean \/discourse mute/);
    assert.match(failed('list').message, /Did you mean \/discourse status\?/);
  });

  test('an option as the subcommand is unknown, echoed as typed', () => {
    const f = failed('Last:50');
    assert.equal(f.id, 'parse.unknown_subcommand');
    assert.match(f.message, /"Last:50"/);
  });

  test('a very long word is echoed shortened', () => {
    const f = failed('x'.repeat(5000));
    assert.ok(f.message.length < 400, `message is ${f.message.length} long`);
    assert.match(f.message, /x…"/);
  });

  test('an unterminated quote fails with its position', () => {
    const f = failed('watch "c/meta');
    assert.equal(f.id, 'parse.unterminated_quote');
    assert.match(f.message, /The quote " at character 7 is never closed/);
  });

  test('examples use the platform\'s way of typing the command', () => {
    assert.match(failed('watch', '!discourse').message, /!discourse watch c\/meta/);
    assert.match(failed('wach', '!discourse').message, /Did you mean !discourse watch\?/);
  });

  test('random text never throws: always a command or a failure with a message', () => {
    const words = fc.constantFrom(
      ...SUBCOMMANDS,
      'c/meta', 't/x', 'all', 'c/a/b', 'c/', 't/', '1', '0', '#2', ',', 'key:', 'k:"v w"', '"', "'", '\u201C', '\u201D', '\\', '\\"', 'WATCH',
    );
    const text = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 60 }),
      fc.string({ unit: 'binary', maxLength: 60 }),
      fc.array(fc.oneof(words, fc.string({ maxLength: 6 })), { maxLength: 8 }).map((ws) => ws.join(' ')),
    );
    fc.assert(
      fc.property(text, (args) => {
        const r = parseRulesCommand(args);
        if (isParseFailure(r)) {
          assert.equal(typeof r.id, 'string');
          assert.ok(r.id.length > 0);
          assert.equal(typeof r.message, 'string');
          assert.ok(r.message.trim().length > 0);
        } else {
          assert.ok(['help', 'status', 'subscribe', 'remove'].includes(r.kind));
          if (r.kind === 'subscribe') assert.ok(r.scopes.length > 0);
          if (r.kind === 'remove') assert.ok(r.numbers.length > 0 && r.numbers.every((n) => Number.isInteger(n) && n >= 1));
        }
      }),
      { numRuns: 3000 },
    );
  });
});
