import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RuleIndex, matchLinear, type MatchedChannel } from '../../lib/matching.js';
import { parseScope, type Filter, type Rule, type Scope } from '../../lib/rules.js';
import type { MatchInput } from '../../lib/events.js';

let nextId = 1;
function rule(channelId: number, filter: Filter, scopeText: string): Rule {
  const parsed = parseScope(scopeText);
  if (!parsed.ok) throw new Error(parsed.error);
  return { id: nextId++, channelId, filter, scope: parsed.scope };
}

function event(overrides: Partial<MatchInput> = {}): MatchInput {
  return {
    categoryPath: 'meta',
    parentPath: null,
    restricted: false,
    privateMessage: false,
    tags: [],
    isFirstPost: false,
    ...overrides,
  };
}

const firstPost = (o: Partial<MatchInput> = {}): MatchInput => event({ isFirstPost: true, ...o });
const reply = (o: Partial<MatchInput> = {}): MatchInput => event({ isFirstPost: false, ...o });

type Matcher = (rules: readonly Rule[], input: MatchInput) => MatchedChannel[];

// Every semantic is checked on both matchers: the linear one is the reference the property test trusts.
const matchers: Array<[string, Matcher]> = [
  ['RuleIndex', (rules, input) => new RuleIndex(rules).match(input)],
  ['matchLinear', matchLinear],
];

for (const [name, match] of matchers) {
  describe(`${name} semantics`, () => {
    test('watch on a category delivers first posts and replies there, not elsewhere', () => {
      const r = rule(1, 'watch', 'c/meta');
      assert.deepEqual(match([r], firstPost()), [{ channelId: 1, filter: 'watch', ruleId: r.id }]);
      assert.deepEqual(match([r], reply()), [{ channelId: 1, filter: 'watch', ruleId: r.id }]);
      assert.deepEqual(match([r], reply({ categoryPath: 'support' })), []);
    });

    test('follow delivers first posts and ignores replies', () => {
      const r = rule(1, 'follow', 'c/meta');
      assert.deepEqual(match([r], firstPost()), [{ channelId: 1, filter: 'follow', ruleId: r.id }]);
      assert.deepEqual(match([r], reply()), []);
    });

    test('a follow rule does not compete on replies: another rule decides them', () => {
      const follow = rule(1, 'follow', 'all');
      const watch = rule(1, 'watch', 't/release');
      assert.deepEqual(match([follow, watch], reply({ tags: ['release'] })), [{ channelId: 1, filter: 'watch', ruleId: watch.id }]);
    });

    test('watch beats follow on a first post', () => {
      const follow = rule(1, 'follow', 'c/meta');
      const watch = rule(1, 'watch', 't/news');
      assert.deepEqual(match([follow, watch], firstPost({ tags: ['news'] })), [{ channelId: 1, filter: 'watch', ruleId: watch.id }]);
    });

    test('thread beats watch', () => {
      const watch = rule(1, 'watch', 'all');
      const thread = rule(1, 'thread', 'c/meta');
      assert.deepEqual(match([watch, thread], reply()), [{ channelId: 1, filter: 'thread', ruleId: thread.id }]);
    });

    test('mute beats watch and thread: the channel gets nothing', () => {
      const watch = rule(1, 'watch', 'c/meta');
      const thread = rule(1, 'thread', 'all');
      const mute = rule(1, 'mute', 't/spoiler');
      assert.deepEqual(match([watch, thread, mute], firstPost({ tags: ['spoiler'] })), []);
      // Without the muted tag the mute rule does not match, and thread wins.
      assert.deepEqual(match([watch, thread, mute], firstPost({ tags: ['other'] })), [{ channelId: 1, filter: 'thread', ruleId: thread.id }]);
    });

    test('mute only silences its own channel', () => {
      const mute = rule(1, 'mute', 'c/meta');
      const watch = rule(2, 'watch', 'c/meta');
      assert.deepEqual(match([mute, watch], reply()), [{ channelId: 2, filter: 'watch', ruleId: watch.id }]);
    });

    test('among equally restrictive rules the oldest (lowest id) is named', () => {
      const a: Rule = { id: 10, channelId: 1, filter: 'watch', scope: { type: 'tag', name: 'x' } };
      const b: Rule = { id: 5, channelId: 1, filter: 'watch', scope: { type: 'all' } };
      assert.deepEqual(match([a, b], reply({ tags: ['x'] })), [{ channelId: 1, filter: 'watch', ruleId: 5 }]);
    });

    test('a parent category rule covers its subcategories; a child rule covers only the child', () => {
      const parent = rule(1, 'watch', 'c/support');
      const child = rule(2, 'watch', 'c/support/billing');
      const inChild = reply({ categoryPath: 'support/billing', parentPath: 'support' });
      const inSibling = reply({ categoryPath: 'support/shipping', parentPath: 'support' });
      const inParent = reply({ categoryPath: 'support' });
      assert.deepEqual(match([parent, child], inChild), [
        { channelId: 1, filter: 'watch', ruleId: parent.id },
        { channelId: 2, filter: 'watch', ruleId: child.id },
      ]);
      assert.deepEqual(match([parent, child], inSibling), [{ channelId: 1, filter: 'watch', ruleId: parent.id }]);
      assert.deepEqual(match([parent, child], inParent), [{ channelId: 1, filter: 'watch', ruleId: parent.id }]);
    });

    test('a category rule does not match a category that merely shares a prefix or a slug', () => {
      const r = rule(1, 'watch', 'c/support');
      assert.deepEqual(match([r], reply({ categoryPath: 'support-old' })), []);
      assert.deepEqual(match([r], reply({ categoryPath: 'other/support', parentPath: 'other' })), []);
    });

    test('restricted category: not through all, nor a tag, nor its parent', () => {
      const all = rule(1, 'watch', 'all');
      const tag = rule(2, 'watch', 't/secret');
      const parent = rule(3, 'thread', 'c/staff');
      const ev = firstPost({ categoryPath: 'staff/board', parentPath: 'staff', restricted: true, tags: ['secret'] });
      assert.deepEqual(match([all, tag, parent], ev), []);
    });

    test('restricted category: delivered through the rule that names it exactly', () => {
      const exact = rule(4, 'follow', 'c/staff/board');
      const top = rule(5, 'watch', 'c/mods');
      const ev = firstPost({ categoryPath: 'staff/board', parentPath: 'staff', restricted: true });
      assert.deepEqual(match([exact, top], ev), [{ channelId: 4, filter: 'follow', ruleId: exact.id }]);
      const topEv = reply({ categoryPath: 'mods', restricted: true });
      assert.deepEqual(match([exact, top], topEv), [{ channelId: 5, filter: 'watch', ruleId: top.id }]);
    });

    test('restricted category: a broad rule cannot upgrade the exact rule, but a broad mute still silences', () => {
      const exact = rule(1, 'watch', 'c/staff');
      const thread = rule(1, 'thread', 'all');
      const ev = reply({ categoryPath: 'staff', restricted: true, tags: ['hush'] });
      assert.deepEqual(match([exact, thread], ev), [{ channelId: 1, filter: 'watch', ruleId: exact.id }]);
      const mute = rule(1, 'mute', 't/hush');
      assert.deepEqual(match([exact, thread, mute], ev), []);
    });

    test('an event of unknown category (treated as restricted) reaches no one', () => {
      const rules = [rule(1, 'watch', 'all'), rule(2, 'watch', 't/x')];
      assert.deepEqual(match(rules, reply({ categoryPath: null, restricted: true, tags: ['x'] })), []);
    });

    test('private messages never match, not even an exact category rule', () => {
      const rules = [rule(1, 'watch', 'all'), rule(2, 'watch', 'c/meta'), rule(3, 'watch', 't/x')];
      assert.deepEqual(match(rules, firstPost({ privateMessage: true, tags: ['x'] })), []);
      assert.deepEqual(match(rules, firstPost({ privateMessage: true, categoryPath: null, tags: ['x'] })), []);
    });

    test('tags compare case-insensitively', () => {
      const r = rule(1, 'watch', 't/Release');
      assert.deepEqual(r.scope, { type: 'tag', name: 'release' });
      assert.deepEqual(match([r], reply({ categoryPath: 'other', tags: ['RELEASE'] })), [{ channelId: 1, filter: 'watch', ruleId: r.id }]);
    });

    test('category slugs compare case-insensitively', () => {
      const r = rule(1, 'watch', 'c/Support');
      assert.deepEqual(match([r], reply({ categoryPath: 'Support/Billing', parentPath: 'Support' })), [{ channelId: 1, filter: 'watch', ruleId: r.id }]);
    });

    test('rules of several channels are a union, sorted by channel id', () => {
      const rules = [rule(30, 'watch', 't/a'), rule(10, 'follow', 'c/meta'), rule(20, 'thread', 'all'), rule(40, 'watch', 't/zzz')];
      assert.deepEqual(
        match(rules, firstPost({ tags: ['a'] })).map((m) => [m.channelId, m.filter]),
        [[10, 'follow'], [20, 'thread'], [30, 'watch']],
      );
    });

    test('a channel is delivered once even when several rules match', () => {
      const rules = [rule(1, 'watch', 'all'), rule(1, 'watch', 'c/meta'), rule(1, 'watch', 't/a'), rule(1, 'watch', 't/b')];
      assert.equal(match(rules, reply({ tags: ['a', 'b', 'A'] })).length, 1);
    });
  });
}

describe('RuleIndex add and remove', () => {
  test('add makes a rule match; remove makes it stop; size follows', () => {
    const index = new RuleIndex();
    const r = rule(1, 'watch', 't/x');
    assert.equal(index.size, 0);
    assert.deepEqual(index.match(reply({ tags: ['x'] })), []);
    index.add(r);
    assert.equal(index.size, 1);
    assert.deepEqual(index.match(reply({ tags: ['x'] })), [{ channelId: 1, filter: 'watch', ruleId: r.id }]);
    assert.equal(index.remove(r.id), true);
    assert.equal(index.size, 0);
    assert.deepEqual(index.match(reply({ tags: ['x'] })), []);
    assert.equal(index.remove(r.id), false);
  });

  test('removing a mute lets the channel hear again; removing the winner hands over to the next rule', () => {
    const watch = rule(1, 'watch', 'all');
    const thread = rule(1, 'thread', 'c/meta');
    const mute = rule(1, 'mute', 't/x');
    const index = new RuleIndex([watch, thread, mute]);
    assert.deepEqual(index.match(reply({ tags: ['x'] })), []);
    index.remove(mute.id);
    assert.deepEqual(index.match(reply({ tags: ['x'] })), [{ channelId: 1, filter: 'thread', ruleId: thread.id }]);
    index.remove(thread.id);
    assert.deepEqual(index.match(reply({ tags: ['x'] })), [{ channelId: 1, filter: 'watch', ruleId: watch.id }]);
  });

  test('removing one rule leaves the others of the same bucket matching', () => {
    const rules = [1, 2, 3, 4].map((c) => rule(c, 'watch', 'c/meta'));
    const index = new RuleIndex(rules);
    index.remove(rules[1]!.id);
    assert.deepEqual(index.match(reply()).map((m) => m.channelId), [1, 3, 4]);
  });

  test('channels added after the index was built, with lower ids, still come out in id order', () => {
    const index = new RuleIndex([rule(100, 'watch', 'c/meta'), rule(200, 'watch', 'c/meta')]);
    index.add(rule(50, 'watch', 't/x'));
    index.add(rule(150, 'thread', 'all'));
    assert.deepEqual(index.match(reply({ tags: ['x'] })).map((m) => [m.channelId, m.filter]), [[50, 'watch'], [100, 'watch'], [150, 'thread'], [200, 'watch']]);
    // A channel whose last rule went away and came back keeps its place too.
    const back = rule(100, 'follow', 'c/meta');
    for (const id of index.match(reply()).filter((m) => m.channelId === 100).map((m) => m.ruleId)) index.remove(id);
    index.add(back);
    assert.deepEqual(index.match(firstPost({ tags: ['x'] })).map((m) => m.channelId), [50, 100, 150, 200]);
  });

  test('adding a rule with an existing id replaces it', () => {
    const index = new RuleIndex();
    index.add({ id: 7, channelId: 1, filter: 'watch', scope: { type: 'tag', name: 'x' } });
    index.add({ id: 7, channelId: 1, filter: 'watch', scope: { type: 'tag', name: 'y' } });
    assert.equal(index.size, 1);
    assert.deepEqual(index.match(reply({ tags: ['x'] })), []);
    assert.deepEqual(index.match(reply({ tags: ['y'] })), [{ channelId: 1, filter: 'watch', ruleId: 7 }]);
  });
});

// Small vocabularies so that random rules and events collide often.
const categoryPaths = ['a', 'b', 'c', 'd', 'a/x', 'a/y', 'b/x', 'c/z'];
const tagNames = ['t1', 't2', 't3', 't4', 'T1'];

const scopeArb: fc.Arbitrary<Scope> = fc.oneof(
  fc.constant<Scope>({ type: 'all' }),
  fc.constantFrom(...categoryPaths).map((path): Scope => ({ type: 'category', path })),
  // Through parseScope, as rules are stored: lower-case.
  fc.constantFrom(...tagNames).map((name): Scope => {
    const parsed = parseScope(`t/${name}`);
    if (!parsed.ok) throw new Error(parsed.error);
    return parsed.scope;
  }),
);

const rulesArb = (maxChannel: number, maxRules: number): fc.Arbitrary<Rule[]> => fc
  .array(fc.record({ channelId: fc.integer({ min: 1, max: maxChannel }), filter: fc.constantFrom<Filter>('mute', 'thread', 'watch', 'follow'), scope: scopeArb }), { maxLength: maxRules })
  // Ids in random order, so that the tie-break cannot lean on insertion order.
  .chain((drafts) => fc.shuffledSubarray(Array.from({ length: drafts.length }, (_, i) => i + 1), { minLength: drafts.length, maxLength: drafts.length }).map((ids) => drafts.map((d, i): Rule => ({ id: ids[i]!, ...d }))));

const eventArb: fc.Arbitrary<MatchInput> = fc
  .record({
    category: fc.option(fc.constantFrom(...categoryPaths, 'A/X', 'e')),
    restricted: fc.boolean(),
    // Mostly forum posts: a private message matches nothing, so it teaches little.
    privateMessage: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
    tags: fc.array(fc.constantFrom(...tagNames, 't9'), { maxLength: 4 }),
    isFirstPost: fc.boolean(),
  })
  .map(({ category, ...rest }) => ({
    categoryPath: category,
    parentPath: category !== null && category.includes('/') ? category.split('/')[0]! : null,
    ...rest,
  }));

describe('RuleIndex agrees with matchLinear', () => {
  test('on random rule sets and events', () => {
    fc.assert(
      fc.property(rulesArb(8, 40), fc.array(eventArb, { minLength: 1, maxLength: 10 }), (rules, events) => {
        const index = new RuleIndex(rules);
        for (const ev of events) assert.deepEqual(index.match(ev), matchLinear(rules, ev));
      }),
      { numRuns: 500 },
    );
  });

  test('after random removes and re-adds', () => {
    fc.assert(
      fc.property(rulesArb(8, 40), fc.array(fc.nat(), { maxLength: 30 }), fc.array(eventArb, { minLength: 1, maxLength: 10 }), (rules, picks, events) => {
        const index = new RuleIndex(rules);
        let kept = [...rules];
        const removed: Rule[] = [];
        for (const [step, pick] of picks.entries()) {
          if (step % 3 === 2 && removed.length > 0) {
            const back = removed.splice(pick % removed.length, 1)[0]!;
            index.add(back);
            kept.push(back);
          } else if (kept.length > 0) {
            const gone = kept[pick % kept.length]!;
            assert.equal(index.remove(gone.id), true);
            kept = kept.filter((r) => r.id !== gone.id);
            removed.push(gone);
          }
        }
        assert.equal(index.size, kept.length);
        for (const ev of events) assert.deepEqual(index.match(ev), matchLinear(kept, ev));
      }),
      { numRuns: 300 },
    );
  });

  test('with many channels, some added one by one in no particular order', () => {
    // Hundreds of channel ids: the index's per-channel bookkeeping spans many words and gets renumbered.
    fc.assert(
      fc.property(rulesArb(400, 300), fc.nat({ max: 300 }), fc.array(eventArb, { minLength: 1, maxLength: 10 }), (rules, split, events) => {
        const index = new RuleIndex(rules.slice(0, split));
        for (const r of rules.slice(split)) index.add(r);
        for (const ev of events) assert.deepEqual(index.match(ev), matchLinear(rules, ev));
      }),
      { numRuns: 200 },
    );
  });

  test('parent paths given in any case still agree', () => {
    const rules = [rule(1, 'watch', 'c/a'), rule(2, 'mute', 'c/a'), rule(3, 'thread', 'c/a/x')];
    const ev = reply({ categoryPath: 'A/x', parentPath: 'A' });
    assert.deepEqual(new RuleIndex(rules).match(ev), matchLinear(rules, ev));
    assert.deepEqual(matchLinear(rules, ev).map((m) => m.channelId), [1, 3]);
  });
});
