// bots/discord/commands.ts: the application command definitions keep Discord's rules, their hash, interactions
// turned into the shared command text (checked with the real shared parsers), and autocomplete.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ApplicationCommandOptionType, ApplicationCommandType, type APIApplicationCommandOption, type APIChatInputApplicationCommandInteractionData } from 'discord.js';
import { APPLICATION_COMMANDS, applicationCommands, autocompleteChoices, commandsHash, quoteValue, toShared, type ForumVocabulary } from '../../bots/discord/commands.js';
import { isParseFailure, parseRulesCommand } from '../../commands/grammar.js';
import { DEFAULT_MAX_MESSAGES, TOPIC_OPTIONS, isTopicFailure, parseTopicCommand } from '../../commands/topic/grammar.js';
import { tokenize } from '../../commands/tokenize.js';
import { COMMAND_WORDS } from '../../lib/seams/invocation.js';

const NAME = /^[-_\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;
const length = (s: string): number => Array.from(s).length;

type Option = APIApplicationCommandOption & { options?: Option[]; choices?: unknown[]; autocomplete?: boolean; required?: boolean };

function checkOptions(where: string, options: readonly Option[]): number {
  assert.ok(options.length <= 25, `${where}: at most 25 options`);
  const kinds = new Set(options.map((o) => o.type === ApplicationCommandOptionType.Subcommand || o.type === ApplicationCommandOptionType.SubcommandGroup));
  assert.ok(kinds.size <= 1, `${where}: subcommands are not mixed with other options`);
  let seenOptional = false;
  let chars = 0;
  const names = new Set<string>();
  for (const o of options) {
    assert.match(o.name, NAME, `${where}: ${o.name}`);
    assert.equal(o.name, o.name.toLowerCase(), `${where}: ${o.name} is lower case`);
    assert.ok(!names.has(o.name), `${where}: ${o.name} is unique`);
    names.add(o.name);
    assert.ok(length(o.description) >= 1 && length(o.description) <= 100, `${where}.${o.name}: description of 1..100 characters`);
    chars += length(o.name) + length(o.description);
    if (o.required) assert.ok(!seenOptional, `${where}.${o.name}: required options come first`);
    else seenOptional = true;
    assert.ok((o.choices?.length ?? 0) <= 25, `${where}.${o.name}: at most 25 choices`);
    if (o.autocomplete) {
      assert.ok([ApplicationCommandOptionType.String, ApplicationCommandOptionType.Integer, ApplicationCommandOptionType.Number].includes(o.type), `${where}.${o.name}: autocomplete on string/integer/number only`);
      assert.equal(o.choices, undefined, `${where}.${o.name}: autocomplete without choices`);
    }
    if (o.options) chars += checkOptions(`${where}.${o.name}`, o.options);
  }
  return chars;
}

describe('application commands', () => {
  test("meet Discord's limits: names, descriptions, option counts, choices, required first, 4000 characters", () => {
    // /gitlab only where GitLab is configured; with it, every command word is a command.
    assert.deepEqual(APPLICATION_COMMANDS.map((c) => c.name), ['discourse', 'topic']);
    const withGitLab = applicationCommands({ gitlab: true });
    assert.deepEqual(withGitLab.map((c) => c.name), [...COMMAND_WORDS]);
    for (const command of withGitLab) {
      assert.equal(command.type, ApplicationCommandType.ChatInput);
      assert.match(command.name, NAME);
      const description = command.description ?? '';
      assert.ok(length(description) >= 1 && length(description) <= 100, `${command.name}: description`);
      const chars = length(command.name) + length(description) + checkOptions(command.name, (command.options ?? []));
      assert.ok(chars <= 4000, `${command.name}: ${chars} characters`);
    }
  });

  test('/gitlab has the same subcommands in GitLab\'s words, its scope not autocompleted; its options become the shared text', () => {
    const gitlab = applicationCommands({ gitlab: true }).find((c) => c.name === 'gitlab') as unknown as { options: Option[] };
    assert.deepEqual(gitlab.options.map((o) => o.name), ['watch', 'follow', 'mute', 'thread', 'remove', 'status', 'help']);
    assert.deepEqual(gitlab.options[0]!.options?.map((o) => [o.name, o.required, o.autocomplete ?? false, o.description]), [
      ['scope', true, false, 'all, p/GROUP/PROJECT, g/GROUP, l/LABEL; several separated by spaces'],
    ]);
    const shared = toShared({
      id: '1',
      name: 'gitlab',
      type: ApplicationCommandType.ChatInput,
      options: [{ type: ApplicationCommandOptionType.Subcommand, name: 'watch', options: [{ type: ApplicationCommandOptionType.String, name: 'scope', value: 'p/acme/web g/acme' }] }],
    });
    assert.deepEqual(shared, { command: 'gitlab', args: 'watch p/acme/web g/acme' });
  });

  test('/discourse has the shared subcommands; scope is required and autocompleted; /topic has every topic option', () => {
    const [discourse, topic] = APPLICATION_COMMANDS as unknown as [{ options: Option[] }, { options: Option[] }];
    assert.deepEqual(
      discourse.options.map((o) => o.name),
      ['watch', 'follow', 'mute', 'thread', 'remove', 'status', 'help'],
    );
    for (const sub of discourse.options.slice(0, 4)) {
      assert.deepEqual(sub.options?.map((o) => [o.name, o.type, o.required, o.autocomplete, o.description]), [
        ['scope', ApplicationCommandOptionType.String, true, true, 'all, c/SLUG, t/TAG; several separated by spaces'],
      ]);
    }
    const remove = discourse.options[4]!.options![0]! as Option & { min_value?: number };
    assert.deepEqual([remove.name, remove.type, remove.required, remove.min_value], ['number', ApplicationCommandOptionType.Integer, true, 1]);
    // to: and project: only where GitLab is configured (a transcript can go there only then).
    assert.deepEqual(
      topic.options.map((o) => o.name),
      TOPIC_OPTIONS.filter((o) => o !== 'to' && o !== 'project'),
    );
    const gitlabTopic = applicationCommands({ gitlab: true }).find((c) => c.name === 'topic') as unknown as { options: Option[] };
    assert.deepEqual(gitlabTopic.options.map((o) => o.name), [...TOPIC_OPTIONS]);
    const last = topic.options[0] as Option & { min_value?: number; max_value?: number };
    assert.deepEqual([last.min_value, last.max_value], [1, DEFAULT_MAX_MESSAGES]);
    assert.equal(topic.options.find((o) => o.name === 'category')?.autocomplete, true);
    assert.equal(topic.options.find((o) => o.name === 'preview')?.type, ApplicationCommandOptionType.Boolean);
    const custom = (applicationCommands({ maxMessages: 200 })[1] as unknown as { options: Option[] }).options[0] as Option & { max_value?: number };
    assert.equal(custom.max_value, 200);
  });

  test('the hash is stable under key order and changes with a description', () => {
    const reordered = JSON.parse(JSON.stringify(APPLICATION_COMMANDS), (_key, value: unknown) =>
      value && typeof value === 'object' && !Array.isArray(value) ? Object.fromEntries(Object.entries(value).reverse()) : value,
    ) as typeof APPLICATION_COMMANDS;
    assert.notEqual(JSON.stringify(reordered), JSON.stringify(APPLICATION_COMMANDS));
    assert.equal(commandsHash(reordered), commandsHash(APPLICATION_COMMANDS));
    assert.match(commandsHash(APPLICATION_COMMANDS), /^[0-9a-f]{64}$/u);
    const changed = structuredClone(APPLICATION_COMMANDS);
    (changed[1] as { description: string }).description = 'Something else';
    assert.notEqual(commandsHash(changed), commandsHash(APPLICATION_COMMANDS));
    assert.notEqual(commandsHash(applicationCommands({ maxMessages: 500 })), commandsHash(APPLICATION_COMMANDS));
  });
});

// Interaction data as Discord sends it.
const sub = (name: string, options: { name: string; type: number; value: string | number }[] = []): APIChatInputApplicationCommandInteractionData =>
  ({ id: '1', name: 'discourse', type: ApplicationCommandType.ChatInput, options: [{ type: ApplicationCommandOptionType.Subcommand, name, options }] });
const topic = (options: { name: string; type: number; value: string | number | boolean }[]): APIChatInputApplicationCommandInteractionData =>
  ({ id: '2', name: 'topic', type: ApplicationCommandType.ChatInput, options });
const S = ApplicationCommandOptionType.String;
const I = ApplicationCommandOptionType.Integer;
const B = ApplicationCommandOptionType.Boolean;

describe('toShared', () => {
  test('/discourse subcommands become the words a user types, and parse to the intended command', () => {
    const watch = toShared(sub('watch', [{ name: 'scope', type: S, value: 'c/meta t/x' }]));
    assert.deepEqual(watch, { command: 'discourse', args: 'watch c/meta t/x' });
    assert.deepEqual(parseRulesCommand(watch.args), {
      kind: 'subscribe',
      filter: 'watch',
      scopes: [
        { type: 'category', path: 'meta' },
        { type: 'tag', name: 'x' },
      ],
    });
    const thread = toShared(sub('thread', [{ name: 'scope', type: S, value: '  c/support/billing,all ' }]));
    assert.deepEqual(parseRulesCommand(thread.args), { kind: 'subscribe', filter: 'thread', scopes: [{ type: 'category', path: 'support/billing' }, { type: 'all' }] });
    const remove = toShared(sub('remove', [{ name: 'number', type: I, value: 2 }]));
    assert.deepEqual(remove, { command: 'discourse', args: 'remove 2' });
    assert.deepEqual(parseRulesCommand(remove.args), { kind: 'remove', numbers: [2] });
    assert.deepEqual(parseRulesCommand(toShared(sub('status')).args), { kind: 'status' });
    assert.deepEqual(parseRulesCommand(toShared(sub('help')).args), { kind: 'help' });
    // A mistake reads as it does elsewhere: the grammar's own message.
    const bad = parseRulesCommand(toShared(sub('mute', [{ name: 'scope', type: S, value: 'meta' }])).args);
    assert.ok(isParseFailure(bad));
    assert.equal(bad.id, 'parse.bad_scope');
    assert.match(bad.message, /c\/meta/u);
  });

  test('/topic options become key:value words in the help order, quoted where needed', () => {
    const shared = toShared(
      topic([
        { name: 'preview', type: B, value: true },
        { name: 'ignore', type: S, value: 'bob,sara' },
        { name: 'last', type: I, value: 50 },
        { name: 'category', type: S, value: 'staff' },
      ]),
    );
    assert.deepEqual(shared, { command: 'topic', args: 'last:50 category:staff ignore:bob,sara preview' });
    assert.deepEqual(parseTopicCommand(shared.args), { range: { kind: 'last', count: 50 }, category: 'staff', tags: [], ignore: ['bob', 'sara'], title: null, preview: true, target: { kind: 'forum' } });

    const titled = toShared(topic([{ name: 'title', type: S, value: 'Release notes, v2' }, { name: 'since', type: S, value: 'yesterday 3pm' }, { name: 'preview', type: B, value: false }]));
    assert.equal(titled.args, 'since:"yesterday 3pm" title:"Release notes, v2"');
    const parsed = parseTopicCommand(titled.args);
    assert.ok(!isTopicFailure(parsed));
    assert.deepEqual([parsed.range, parsed.title, parsed.preview], [{ kind: 'since', text: 'yesterday 3pm' }, 'Release notes, v2', false]);

    const from = parseTopicCommand(toShared(topic([{ name: 'from', type: S, value: '15:35-16:10' }, { name: 'tags', type: S, value: 'incident, database' }])).args);
    assert.ok(!isTopicFailure(from));
    assert.deepEqual([from.range, from.tags], [{ kind: 'from', start: { h: 15, m: 35 }, end: { h: 16, m: 10 } }, ['incident', 'database']]);
    assert.deepEqual(toShared(topic([])), { command: 'topic', args: '' });
    // GitLab's options, where registered, come last as the grammar's help lists them.
    const gitlab = toShared(topic([{ name: 'project', type: S, value: 'acme/web' }, { name: 'to', type: S, value: 'gitlab' }, { name: 'last', type: I, value: 5 }]));
    assert.deepEqual(gitlab, { command: 'topic', args: 'last:5 to:gitlab project:acme/web' });
  });

  test('a mistake in an option gets the same reply as typed: last and since together', () => {
    const both = parseTopicCommand(toShared(topic([{ name: 'last', type: I, value: 5 }, { name: 'since', type: S, value: '2h' }])).args);
    assert.ok(isTopicFailure(both));
    assert.equal(both.id, 'topic.range_conflict');
  });

  test('any title round-trips through the shared tokenizer and the topic grammar', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (title) => {
        const { args } = toShared(topic([{ name: 'title', type: S, value: title }]));
        const parsed = parseTopicCommand(args);
        const expected = title.trim().replace(/\s+/gu, ' ');
        if (expected === '') {
          assert.ok(isTopicFailure(parsed));
          assert.equal(parsed.id, 'topic.empty_value');
        } else {
          assert.ok(!isTopicFailure(parsed), args);
          assert.equal(parsed.title, expected);
        }
      }),
      { numRuns: 500 },
    );
  });

  test('quoteValue: any value reads back unchanged as an option and as a word', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (value) => {
        const option = tokenize(`since:${quoteValue(value)}`);
        assert.ok(option.ok);
        assert.deepEqual(option.tokens.map((t) => [t.kind, t.value]), [['option', value]]);
        const word = tokenize(quoteValue(value));
        assert.ok(word.ok);
        assert.deepEqual(word.tokens.map((t) => t.value), [value]);
      }),
      { numRuns: 500 },
    );
    assert.equal(quoteValue('plain'), 'plain');
    assert.equal(quoteValue(`a "b" \\ c`), `"a \\"b\\" \\\\ c"`);
    assert.equal(quoteValue('\u201Cquoted'), '"\u201Cquoted"');
  });

  test('a command that is not Parley’s is refused', () => {
    assert.throws(() => toShared({ id: '3', name: 'other', type: ApplicationCommandType.ChatInput }), /not a Parley command/u);
  });
});

describe('autocompleteChoices', () => {
  const forum: ForumVocabulary = {
    categories: [
      { id: 1, slug: 'meta', name: 'Meta', parentId: null },
      { id: 2, slug: 'support', name: 'Support', parentId: null },
      { id: 3, slug: 'billing', name: 'Billing questions', parentId: 2 },
      { id: 4, slug: 'staff', name: 'Staff', parentId: null },
      { id: 5, slug: 'metaverse', name: 'The Metaverse', parentId: null },
    ],
    tags: ['release', 'Meta-Tag', 'incident'],
  };

  test('scope: prefix matches first, then substrings, case-insensitive', () => {
    assert.deepEqual(
      autocompleteChoices({ name: 'scope', value: 'c/me' }, forum).map((c) => c.value),
      ['c/meta', 'c/metaverse'],
    );
    // `meta` starts the keys of c/meta, c/metaverse and t/meta-tag; `all` matches nothing.
    assert.deepEqual(
      autocompleteChoices({ name: 'scope', value: 'META' }, forum).map((c) => c.value),
      ['c/meta', 'c/metaverse', 't/meta-tag'],
    );
    assert.deepEqual(
      autocompleteChoices({ name: 'scope', value: 'bill' }, forum).map((c) => c.value),
      ['c/support/billing'],
    );
    // Substring: `ing` in c/support/billing; `questions` in its name.
    assert.deepEqual(
      autocompleteChoices({ name: 'scope', value: 'questions' }, forum).map((c) => c.value),
      ['c/support/billing'],
    );
    assert.deepEqual(autocompleteChoices({ name: 'scope', value: 'a' }, forum)[0], { name: 'all', value: 'all' });
    assert.deepEqual(autocompleteChoices({ name: 'scope', value: 'c/support/b' }, forum), [{ name: 'c/support/billing (Billing questions)', value: 'c/support/billing' }]);
  });

  test('scope: the last word is completed and the earlier ones kept; ones already there are not offered again', () => {
    assert.deepEqual(
      autocompleteChoices({ name: 'scope', value: 'c/meta t/re' }, forum).map((c) => c.value),
      ['c/meta t/release'],
    );
    assert.deepEqual(
      autocompleteChoices({ name: 'scope', value: 'c/meta,t/inc' }, forum).map((c) => c.value),
      ['c/meta,t/incident'],
    );
    const afterSpace = autocompleteChoices({ name: 'scope', value: 'c/meta ' }, forum).map((c) => c.value);
    assert.ok(afterSpace.includes('c/meta all'));
    assert.ok(!afterSpace.includes('c/meta c/meta'));
    assert.equal(autocompleteChoices({ name: 'scope', value: '' }, forum).length, 1 + 5 + 3);
  });

  test('at most 25 choices, names and values of at most 100 characters', () => {
    const many: ForumVocabulary = {
      categories: Array.from({ length: 40 }, (_, i) => ({ id: i + 1, slug: `cat-${i}`, name: `Category ${i} ${'x'.repeat(120)}`, parentId: null })),
      tags: Array.from({ length: 40 }, (_, i) => `tag-${i}`),
    };
    const choices = autocompleteChoices({ name: 'scope', value: '' }, many);
    assert.equal(choices.length, 25);
    for (const c of choices) assert.ok(length(c.name) >= 1 && length(c.name) <= 100 && length(c.value) <= 100, c.name);
    // Earlier words that leave no room: a choice whose value would pass 100 characters is not offered.
    const long = `${Array.from({ length: 12 }, (_, i) => `t/tag-${i}`).join(' ')} c/cat-1`;
    assert.ok(autocompleteChoices({ name: 'scope', value: long }, many).every((c) => length(c.value) <= 100));
  });

  test('category: slugs and parent/child paths; another option gets none', () => {
    assert.deepEqual(
      autocompleteChoices({ name: 'category', value: 'sup' }, forum),
      [
        { name: 'support (Support)', value: 'support' },
        { name: 'support/billing (Billing questions)', value: 'support/billing' },
      ],
    );
    assert.deepEqual(
      autocompleteChoices({ name: 'category', value: '#staff' }, forum).map((c) => c.value),
      ['staff'],
    );
    assert.deepEqual(autocompleteChoices({ name: 'title', value: 'x' }, forum), []);
  });
});
