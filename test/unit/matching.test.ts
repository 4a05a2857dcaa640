import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RuleIndex, matchLinear, type MatchedChannel } from '../../lib/matching.js';
import { parseScope, scopeKey, type Filter, type Rule, type Scope, type SourceName } from '../../lib/rules.js';
import { postMatchInput, type MatchInput, type PostMatchFacts } from '../../lib/events.js';

let nextId = 1;
function rule(channelId: number, filter: Filter, scopeText: string): Rule {
  const parsed = parseScope(scopeText);
  if (!parsed.ok) throw new Error(parsed.error);
  return { id: nextId++, channelId, source: 'discourse', filter, scope: parsed.scope };
}

function event(overrides: Partial<PostMatchFacts> = {}): MatchInput {
  return postMatchInput({
    categoryPath: 'meta',
    parentPath: null,
    restricted: false,
    privateMessage: false,
    tags: [],
    isFirstPost: false,
    ...overrides,
  });
}

const firstPost = (o: Partial<PostMatchFacts> = {}): MatchInput => event({ isFirstPost: true, ...o });
const reply = (o: Partial<PostMatchFacts> = {}): MatchInput => event({ isFirstPost: false, ...o });

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
      const a: Rule = { id: 10, channelId: 1, source: 'discourse', filter: 'watch', scope: { type: 'tag', name: 'x' } };
      const b: Rule = { id: 5, channelId: 1, source: 'discourse', filter: 'watch', scope: { type: 'all' } };
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
    index.add({ id: 7, channelId: 1, source: 'discourse', filter: 'watch', scope: { type: 'tag', name: 'x' } });
    index.add({ id: 7, channelId: 1, source: 'discourse', filter: 'watch', scope: { type: 'tag', name: 'y' } });
    assert.equal(index.size, 1);
    assert.deepEqual(index.match(reply({ tags: ['x'] })), []);
    assert.deepEqual(index.match(reply({ tags: ['y'] })), [{ channelId: 1, filter: 'watch', ruleId: 7 }]);
  });
});

/** A GitLab rule and event, as /gitlab and lib/gitlab make them. */
function gitlabRule(channelId: number, filter: Filter, scopeText: string): Rule {
  const result = parseScope(scopeText, 'gitlab');
  if (!result.ok) throw new Error(result.error);
  return { id: nextId++, channelId, source: 'gitlab', filter, scope: result.scope };
}
function issue(o: { project?: string; groups?: string[]; labels?: string[]; restricted?: boolean; hidden?: boolean; opens?: boolean } = {}): MatchInput {
  return {
    source: 'gitlab',
    named: [scopeKey('gitlab', { type: 'project', path: o.project ?? 'group/sub/app' })],
    covering: [...(o.groups ?? ['group', 'group/sub']).map((path) => scopeKey('gitlab', { type: 'group', path })), ...(o.labels ?? []).map((name) => scopeKey('gitlab', { type: 'label', name }))],
    restricted: o.restricted ?? false,
    hidden: o.hidden ?? false,
    opens: o.opens ?? true,
  };
}

for (const [name, match] of [
  ['RuleIndex', (rules: readonly Rule[], input: MatchInput) => new RuleIndex(rules).match(input)],
  ['matchLinear', matchLinear],
] as const) {
  describe(`${name} with two sources`, () => {
    test('a rule hears only its own source: all of /gitlab is not all of /discourse, nor is its mute', () => {
      const forumAll = rule(1, 'watch', 'all');
      const gitlabAll = gitlabRule(2, 'watch', 'all');
      const gitlabMute = gitlabRule(1, 'mute', 'all');
      assert.deepEqual(match([forumAll, gitlabAll, gitlabMute], firstPost()), [{ channelId: 1, filter: 'watch', ruleId: forumAll.id }]);
      assert.deepEqual(match([forumAll, gitlabAll, gitlabMute], issue()), [{ channelId: 2, filter: 'watch', ruleId: gitlabAll.id }]);
    });

    test('g/group covers the projects of its subgroups; p/ names one project; l/ a label', () => {
      const group = gitlabRule(1, 'watch', 'g/group');
      const sub = gitlabRule(2, 'watch', 'g/group/sub');
      const other = gitlabRule(3, 'watch', 'p/group/other');
      const label = gitlabRule(4, 'watch', 'l/bug');
      assert.deepEqual(match([group, sub, other, label], issue({ labels: ['bug'] })).map((m) => m.channelId), [1, 2, 4]);
      assert.deepEqual(match([group, sub, other, label], issue({ project: 'group/app', groups: ['group'] })).map((m) => m.channelId), [1]);
    });

    test('a private or internal project reaches a channel only through a rule naming it; mute still works broadly', () => {
      const named = gitlabRule(1, 'watch', 'p/group/sub/app');
      const all = gitlabRule(2, 'watch', 'all');
      const group = gitlabRule(3, 'watch', 'g/group');
      const muteLabel = gitlabRule(1, 'mute', 'l/secret');
      assert.deepEqual(match([named, all, group], issue({ restricted: true })).map((m) => m.channelId), [1]);
      assert.deepEqual(match([named, muteLabel], issue({ restricted: true, labels: ['secret'] })), []);
    });

    test('confidential (hidden) matches nothing; follow hears only what opens something', () => {
      const named = gitlabRule(1, 'watch', 'p/group/sub/app');
      const follow = gitlabRule(2, 'follow', 'all');
      assert.deepEqual(match([named, follow], issue({ hidden: true })), []);
      assert.deepEqual(match([named, follow], issue({ opens: false })).map((m) => m.channelId), [1]);
      assert.deepEqual(match([named, follow], issue({ opens: true })).map((m) => m.channelId), [1, 2]);
    });
  });
}

// Small vocabularies so that random rules and events collide often.
const categoryPaths = ['a', 'b', 'c', 'd', 'a/x', 'a/y', 'b/x', 'c/z'];
const tagNames = ['t1', 't2', 't3', 't4', 'T1'];

// GitLab's: projects under nested groups, and labels (the same names as tags: a source's rules never see the other's).
const projectPaths = ['g/p', 'g/s/p', 'g/s/q', 'h/p'];
const groupPaths = ['g', 'g/s', 'h'];

/** Through parseScope, as rules are stored: lower-case. */
const parsed = (text: string, source: SourceName): Scope => {
  const result = parseScope(text, source);
  if (!result.ok) throw new Error(result.error);
  return result.scope;
};

const discourseScopeArb: fc.Arbitrary<Scope> = fc.oneof(
  fc.constant<Scope>({ type: 'all' }),
  fc.constantFrom(...categoryPaths).map((path): Scope => ({ type: 'category', path })),
  fc.constantFrom(...tagNames).map((name) => parsed(`t/${name}`, 'discourse')),
);
const gitlabScopeArb: fc.Arbitrary<Scope> = fc.oneof(
  fc.constant<Scope>({ type: 'all' }),
  fc.constantFrom(...projectPaths).map((path) => parsed(`p/${path}`, 'gitlab')),
  fc.constantFrom(...groupPaths).map((path) => parsed(`g/${path}`, 'gitlab')),
  fc.constantFrom(...tagNames).map((name) => parsed(`l/${name}`, 'gitlab')),
);
const sourcedScopeArb = fc.oneof(
  discourseScopeArb.map((scope) => ({ source: 'discourse' as const, scope })),
  gitlabScopeArb.map((scope) => ({ source: 'gitlab' as const, scope })),
);

const rulesArb = (maxChannel: number, maxRules: number): fc.Arbitrary<Rule[]> => fc
  .array(
    fc.tuple(fc.integer({ min: 1, max: maxChannel }), fc.constantFrom<Filter>('mute', 'thread', 'watch', 'follow'), sourcedScopeArb)
      .map(([channelId, filter, { source, scope }]) => ({ channelId, filter, source, scope })),
    { maxLength: maxRules },
  )
  // Ids in random order, so that the tie-break cannot lean on insertion order.
  .chain((drafts) => fc.shuffledSubarray(Array.from({ length: drafts.length }, (_, i) => i + 1), { minLength: drafts.length, maxLength: drafts.length }).map((ids) => drafts.map((d, i): Rule => ({ id: ids[i]!, ...d }))));

const forumEventArb: fc.Arbitrary<MatchInput> = fc
  .record({
    category: fc.option(fc.constantFrom(...categoryPaths, 'A/X', 'e')),
    restricted: fc.boolean(),
    // Mostly forum posts: a private message matches nothing, so it teaches little.
    privateMessage: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
    tags: fc.array(fc.constantFrom(...tagNames, 't9'), { maxLength: 4 }),
    isFirstPost: fc.boolean(),
  })
  .map(({ category, ...rest }) =>
    postMatchInput({
      categoryPath: category,
      parentPath: category !== null && category.includes('/') ? category.split('/')[0]! : null,
      ...rest,
    }),
  );

/** A GitLab event as lib/gitlab builds its MatchInput: named by its project, covered by its groups and labels. */
const gitlabEventArb: fc.Arbitrary<MatchInput> = fc
  .record({
    project: fc.constantFrom(...projectPaths, 'G/S/P', 'x/y'),
    restricted: fc.boolean(),
    hidden: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
    labels: fc.uniqueArray(fc.constantFrom(...tagNames.map((t) => t.toLowerCase()), 't9')),
    opens: fc.boolean(),
  })
  .map(({ project, labels, ...rest }) => {
    const path = project.toLowerCase();
    const segments = path.split('/');
    const groups = segments.slice(0, -1).map((_, i) => segments.slice(0, i + 1).join('/'));
    return {
      source: 'gitlab' as const,
      named: [scopeKey('gitlab', { type: 'project', path })],
      covering: [...groups.map((g) => scopeKey('gitlab', { type: 'group', path: g })), ...labels.map((name) => scopeKey('gitlab', { type: 'label', name }))],
      ...rest,
    };
  });

const eventArb: fc.Arbitrary<MatchInput> = fc.oneof(forumEventArb, gitlabEventArb);

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
