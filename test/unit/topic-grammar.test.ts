import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  DEFAULT_MAX_MESSAGES,
  DEFAULT_RANGE,
  isTopicFailure,
  parseTopicCommand,
  TOPIC_OPTIONS,
  type ParseFailure,
  type TopicCommand,
  type TopicGrammarOptions,
} from '../../commands/topic/grammar.js';

function parsed(args: string, opts?: TopicGrammarOptions): TopicCommand {
  const r = parseTopicCommand(args, opts);
  if (isTopicFailure(r)) throw new Error(`expected a command for ${JSON.stringify(args)}, got ${r.id}: ${r.message}`);
  return r;
}

function failed(args: string, opts?: TopicGrammarOptions): ParseFailure {
  const r = parseTopicCommand(args, opts);
  if (!isTopicFailure(r)) throw new Error(`expected a failure for ${JSON.stringify(args)}, got ${JSON.stringify(r)}`);
  return r;
}

const VALID_LIST = /last:N, from:HH:MM-HH:MM, since:WHEN, category:SLUG, tags:a,b, ignore:user1,user2, title:"\.\.\.", preview/;

describe('parseTopicCommand: what it accepts', () => {
  test('nothing at all is the default range, posted at once', () => {
    assert.deepEqual(parsed(''), { range: { kind: 'default' }, target: { kind: 'forum' }, category: null, tags: [], ignore: [], title: null, preview: false });
    assert.deepEqual(parsed('   ').range, { kind: 'default' });
  });

  test('the full example from the product design', () => {
    assert.deepEqual(parsed('last:50 category:staff ignore:bob,sara'), {
      range: { kind: 'last', count: 50 },
      target: { kind: 'forum' },
      category: 'staff',
      tags: [],
      ignore: ['bob', 'sara'],
      title: null,
      preview: false,
    });
    assert.deepEqual(parsed('preview title:"Outage review" tags:incident,db category:staff since:"yesterday 3pm"'), {
      range: { kind: 'since', text: 'yesterday 3pm' },
      target: { kind: 'forum' },
      category: 'staff',
      tags: ['incident', 'db'],
      ignore: [],
      title: 'Outage review',
      preview: true,
    });
  });

  test('keys and the preview flag are case-insensitive; values keep their case where it matters', () => {
    const c = parsed('LAST:5 Category:Staff TITLE:"Weekly Sync" Ignore:Bob PREVIEW');
    assert.deepEqual(c.range, { kind: 'last', count: 5 });
    assert.equal(c.category, 'staff');
    assert.equal(c.title, 'Weekly Sync');
    assert.deepEqual(c.ignore, ['Bob']);
    assert.equal(c.preview, true);
  });

  test('values may be quoted with straight or curly quotes; a title is one line', () => {
    assert.equal(parsed('title:\u201COutage review\u201D').title, 'Outage review');
    assert.equal(parsed("title:'Outage  \n review '").title, 'Outage review');
    assert.deepEqual(parsed('ignore:"@bob, sara"').ignore, ['bob', 'sara']);
  });

  test('last: takes 1 up to the bound, which is an option', () => {
    assert.deepEqual(parsed('last:1').range, { kind: 'last', count: 1 });
    assert.deepEqual(parsed(`last:${DEFAULT_MAX_MESSAGES}`).range, { kind: 'last', count: 1000 });
    assert.deepEqual(parsed('last:+007').range, { kind: 'last', count: 7 });
    assert.deepEqual(parsed('last:4000', { maxMessages: 5000 }).range, { kind: 'last', count: 4000 });
  });

  test('from: takes 24-hour times, am/pm, and ranges that cross midnight', () => {
    assert.deepEqual(parsed('from:15:35-16:10').range, { kind: 'from', start: { h: 15, m: 35 }, end: { h: 16, m: 10 } });
    assert.deepEqual(parsed('from:9:05-9:30').range, { kind: 'from', start: { h: 9, m: 5 }, end: { h: 9, m: 30 } });
    assert.deepEqual(parsed('from:23:30-00:15').range, { kind: 'from', start: { h: 23, m: 30 }, end: { h: 0, m: 15 } });
    assert.deepEqual(parsed('from:15:35\u201316:10').range, { kind: 'from', start: { h: 15, m: 35 }, end: { h: 16, m: 10 } }); // en dash
    assert.deepEqual(parsed('from:"15:35 - 16:10"').range, { kind: 'from', start: { h: 15, m: 35 }, end: { h: 16, m: 10 } });
    assert.deepEqual(parsed('from:3:35pm-4:10pm').range, { kind: 'from', start: { h: 15, m: 35 }, end: { h: 16, m: 10 } });
    assert.deepEqual(parsed('from:12am-12:30am').range, { kind: 'from', start: { h: 0, m: 0 }, end: { h: 0, m: 30 } });
    assert.deepEqual(parsed('from:11pm-1am').range, { kind: 'from', start: { h: 23, m: 0 }, end: { h: 1, m: 0 } });
    // A start without am/pm takes the end's when that keeps it first (3-4pm), else the other (11-1pm).
    assert.deepEqual(parsed('from:3-4pm').range, { kind: 'from', start: { h: 15, m: 0 }, end: { h: 16, m: 0 } });
    assert.deepEqual(parsed('from:11-1pm').range, { kind: 'from', start: { h: 11, m: 0 }, end: { h: 13, m: 0 } });
  });

  test('since: keeps its text for the resolver', () => {
    assert.deepEqual(parsed('since:2h').range, { kind: 'since', text: '2h' });
    assert.deepEqual(parsed('since:"  yesterday 3pm "').range, { kind: 'since', text: 'yesterday 3pm' });
    assert.deepEqual(parsed('since:15:30').range, { kind: 'since', text: '15:30' });
  });

  test('category: takes a slug or parent/child, also written c/slug or #slug', () => {
    assert.equal(parsed('category:support/billing').category, 'support/billing');
    assert.equal(parsed('category:c/Meta').category, 'meta');
    assert.equal(parsed('category:#staff').category, 'staff');
  });

  test('tags: a comma list, lower-cased, without duplicates or empty items; t/ and # are dropped', () => {
    assert.deepEqual(parsed('tags:Incident,DB,,incident').tags, ['incident', 'db']);
    assert.deepEqual(parsed('tags:t/release,#db').tags, ['release', 'db']);
    assert.deepEqual(parsed('tags:"a, b"').tags, ['a', 'b']);
    assert.deepEqual(parsed('tags:café,k8s_ops,x-y').tags, ['café', 'k8s_ops', 'x-y']);
  });

  test('ignore: a comma list with the leading @ stripped', () => {
    assert.deepEqual(parsed('ignore:@bob,@@sara,bob,,carl').ignore, ['bob', 'sara', 'carl']);
  });
});

describe('parseTopicCommand: every mistake says what was wrong and what would be right', () => {
  test('last: with from: or since: is refused, naming both', () => {
    const f = failed('last:50 from:15:35-16:10');
    assert.equal(f.id, 'topic.range_conflict');
    assert.match(f.message, /^last:50 and from:15:35-16:10 cannot go together/);
    assert.match(f.message, /Use one of them, as in \/topic last:50 or \/topic from:15:35-16:10/);
    assert.equal(failed('since:2h last:5').id, 'topic.range_conflict');
    assert.match(failed('from:10:00-11:00 since:2h').message, /from:10:00-11:00 and since:2h cannot go together/);
  });

  test('last:0, last:-3, last:abc and last:5000 each get their own precise reply', () => {
    const zero = failed('last:0');
    assert.equal(zero.id, 'topic.last_too_small');
    assert.match(zero.message, /last:0 would take no messages.*from 1 to 1000, as in last:50/);

    const negative = failed('last:-3');
    assert.equal(negative.id, 'topic.last_too_small');
    assert.match(negative.message, /last:-3 is a negative count.*from 1 to 1000/);

    const word = failed('last:abc');
    assert.equal(word.id, 'topic.last_not_a_number');
    assert.match(word.message, /last: takes a number of messages, from 1 to 1000, as in last:50; "abc" is not a whole number\.$/);
    assert.equal(failed('last:2.5').id, 'topic.last_not_a_number');

    const big = failed('last:5000');
    assert.equal(big.id, 'topic.last_too_large');
    assert.match(big.message, /last:5000 is more than Parley takes at once: at most 1000 messages \(PARLEY_TRANSCRIPT_MAX_MESSAGES\)\. Use last:1000 or fewer/);
    assert.match(failed('last:300', { maxMessages: 200 }).message, /at most 200 messages.*Use last:200/);
    assert.equal(failed('last:99999999999999999999999').id, 'topic.last_too_large');
  });

  test('a span of time given to last: points to since:', () => {
    assert.match(failed('last:2h').message, /For a span of time, use since:2h\./);
  });

  test('an empty value names the option and shows an example', () => {
    assert.equal(failed('last:').message, 'last: needs a value after the colon, as in last:50.');
    assert.equal(failed('title:""').message, 'title: needs a value after the colon, as in title:"Outage review".');
    assert.equal(failed('tags:,,').message, 'tags: needs a value after the colon, as in tags:incident,database.');
    assert.equal(failed('ignore:@').message, 'ignore: needs a value after the colon, as in ignore:bob,sara.');
  });

  test('from: mistakes: not a range, a half range, impossible times, an empty range', () => {
    const half = failed('from:15:35');
    assert.equal(half.id, 'topic.from_malformed');
    assert.match(half.message, /as in from:15:35-16:10.*"15:35" is not that\. To take everything since 15:35, use since:15:35\.$/);

    assert.match(failed('from:lunch').message, /"lunch" is not that\.$/);

    const hours = failed('from:25:00-26:00');
    assert.equal(hours.id, 'topic.from_bad_time');
    assert.match(hours.message, /"25:00" in from:25:00-26:00 is not a time of day: hours go from 0 to 23\./);
    assert.match(failed('from:23:00-24:00').message, /"24:00" .*for midnight write 00:00/);
    assert.match(failed('from:10:75-11:00').message, /"10:75" .*minutes go from 00 to 59/);
    assert.match(failed('from:10:5-11:00').message, /"10:5" .*minutes are written with two digits, as in 10:05/);
    assert.match(failed('from:13pm-14pm').message, /"13pm" .*with am or pm, hours go from 1 to 12/);
    assert.match(failed('from:15-16').message, /"15" .*write the minutes too, as in 15:00\./);

    const empty = failed('from:10:00-10:00');
    assert.equal(empty.id, 'topic.from_empty_range');
    assert.match(empty.message, /starts and ends at 10:00, so it holds no messages/);
  });

  test('an unknown option lists the valid ones and suggests the nearest, with the value kept', () => {
    const typo = failed('categroy:staff');
    assert.equal(typo.id, 'topic.unknown_option');
    assert.match(typo.message, /^\/topic has no option "categroy:"\. Did you mean category:staff\?/);
    assert.match(typo.message, VALID_LIST);

    assert.match(failed('cat:staff').message, /Did you mean category:staff\?/);
    assert.match(failed('tag:db').message, /Did you mean tags:db\?/);
    assert.match(failed('exclude:bob').message, /Did you mean ignore:bob\?/);
    assert.match(failed('Titel:"Big day"').message, /Did you mean title:"Big day"\?/);
    assert.match(failed('count:50').message, /Did you mean last:50\?/);
    // Half a range is not a range: the suggestion is a whole one.
    assert.match(failed('to:16:10').message, /Did you mean from:15:35-16:10\?/);

    const far = failed('colour:red');
    assert.doesNotMatch(far.message, /Did you mean/);
    assert.match(far.message, VALID_LIST);
  });

  test('repeated options are refused, with the way to give several where that exists', () => {
    const f = failed('last:5 last:6');
    assert.equal(f.id, 'topic.repeated_option');
    assert.equal(f.message, 'last: is given twice (last:5 and last:6); give it once.');
    assert.match(failed('tags:a TAGS:b').message, /tags: is given twice \(tags:a and TAGS:b\); give it once\. To give several, separate them with commas, as in tags:a,b\./);
    assert.equal(failed('preview PREVIEW').message, 'preview is given twice; give it once.');
    assert.equal(failed('title:x title:x').message, 'title: is given twice; give it once.');
  });

  test('preview takes no value', () => {
    const f = failed('preview:yes');
    assert.equal(f.id, 'topic.preview_value');
    assert.match(f.message, /write just preview .*not preview:yes/);
  });

  test('a bare word that is not an option gets the option it most likely meant', () => {
    const number = failed('50');
    assert.equal(number.id, 'topic.stray_word');
    assert.match(number.message, /^"50" is not an option of \/topic\. Did you mean last:50\?/);
    assert.match(number.message, VALID_LIST);

    assert.match(failed('2h').message, /Did you mean since:2h\?/);
    assert.match(failed('15:35-16:10').message, /Did you mean from:15:35-16:10\?/);
    assert.match(failed('last 50').message, /Did you mean last:50 \(with a colon\)\?/);
    assert.match(failed('category').message, /Did you mean category:staff \(with a colon\)\?/);
    assert.match(failed('c/staff').message, /Did you mean category:staff\?/);
    assert.match(failed('t/db').message, /Did you mean tags:db\?/);
    assert.match(failed('@bob').message, /Did you mean ignore:bob\?/);
    assert.match(failed('yesterday').message, /Did you mean since:yesterday\?/);
    assert.match(failed('previw').message, /Did you mean preview\?/);
    assert.match(failed('"preview"').message, /"preview" is not an option/); // a quoted word is text, not the flag
    assert.doesNotMatch(failed('banana').message, /Did you mean/);
  });

  test('words after an unquoted title: or since: are taken as its value, to be quoted', () => {
    assert.match(failed('title:Outage review preview').message, /^"review" is not an option of \/topic\. Did you mean title:"Outage review" \(quote a value that has spaces\)\?/);
    assert.match(failed('since:yesterday 3pm').message, /Did you mean since:"yesterday 3pm" \(quote a value that has spaces\)\?/);
    assert.match(failed('tags:a, b').message, /Did you mean tags:a,b \(no spaces in a list\)\?/);
    assert.match(failed('ignore:bob ,sara').message, /Did you mean ignore:bob,sara \(no spaces in a list\)\?/);
  });

  test('categories and tags are checked for their shape', () => {
    const cat = failed('category:"staff room"');
    assert.equal(cat.id, 'topic.bad_category');
    assert.match(cat.message, /as in category:staff or category:support\/billing.*"staff room" is not one/);
    assert.equal(failed('category:a/b/c').id, 'topic.bad_category');

    const spaced = failed('tags:"incident review"');
    assert.equal(spaced.id, 'topic.bad_tag');
    assert.match(spaced.message, /"incident review" cannot be a forum tag: a tag has no spaces\. Did you mean tags:incident-review\?/);

    const dotted = failed('tags:ok,v1.2');
    assert.match(dotted.message, /"v1\.2" cannot be a forum tag: a tag cannot contain "\."\. Did you mean tags:ok,v12\?/);
    assert.match(failed('tags:a?b&c').message, /cannot contain "\?" or "&"/);

    const long = failed('tags:abcdefghijklmnopqrstu');
    assert.match(long.message, /a tag has at most 20 characters/);
    assert.deepEqual(parsed('tags:abcdefghijklmnopqrstu', { maxTagLength: 30 }).tags, ['abcdefghijklmnopqrstu']);
    assert.match(failed('tags:t/').message, /a tag needs a name after t\/ or #/);
  });

  test('an unterminated quote is the shared tokenizer\'s reply', () => {
    const f = failed('title:"Outage');
    assert.equal(f.id, 'parse.unterminated_quote');
    assert.match(f.message, /The quote " at character 7 is never closed/);
  });

  test('examples use the platform\'s way of typing the command', () => {
    assert.match(failed('last:1 since:2h', { cmd: '!topic' }).message, /as in !topic last:1 or !topic since:2h/);
    assert.match(failed('50', { cmd: '!topic' }).message, /^"50" is not an option of !topic\./);
  });
});

describe('parseTopicCommand: to: and project:, a forum topic or a GitLab issue', () => {
  const gitlabDefault: TopicGrammarOptions = { defaultTarget: { kind: 'gitlab', project: 'ops/incidents' } };

  test('to:gitlab with a project: a GitLab issue, whose tags are labels as typed (GitLab keeps their case and spaces)', () => {
    const c = parsed('last:50 to:gitlab project:group/sub/project tags:"incident,~Backend,needs review,INCIDENT"');
    assert.deepEqual(c.target, { kind: 'gitlab', project: 'group/sub/project' });
    assert.deepEqual(c.tags, ['incident', 'Backend', 'needs review'], 'the ~ of GitLab references is dropped; the same label twice counts once');
    assert.deepEqual(c.range, { kind: 'last', count: 50 });
    // Keys are case-insensitive, and to: takes its value in any case.
    assert.deepEqual(parsed('TO:GitLab Project:Group/Project').target, { kind: 'gitlab', project: 'Group/Project' });
  });

  test('project: alone means GitLab; it may be written p/group/project or pasted as the project\'s URL', () => {
    assert.deepEqual(parsed('project:group/project').target, { kind: 'gitlab', project: 'group/project' });
    assert.deepEqual(parsed('project:p/group/project').target, { kind: 'gitlab', project: 'group/project' });
    assert.deepEqual(parsed('project:https://gitlab.example.org/group/sub/project/-/issues/4').target, { kind: 'gitlab', project: 'group/sub/project' });
  });

  test('to:forum and no to: at all are the forum; forum tags keep the forum\'s rules', () => {
    assert.deepEqual(parsed('to:forum category:staff').target, { kind: 'forum' });
    assert.deepEqual(parsed('to:discourse').target, { kind: 'forum' });
    assert.deepEqual(parsed('tags:Incident').tags, ['incident']);
    assert.equal(failed('to:forum tags:"needs review"').id, 'topic.bad_tag');
  });

  test("the channel's default target: GitLab without to:, the forum with to:forum, another project with project:", () => {
    const c = parsed('last:5 tags:incident', gitlabDefault);
    assert.deepEqual(c.target, { kind: 'gitlab', project: 'ops/incidents' });
    assert.deepEqual(c.tags, ['incident']);
    assert.deepEqual(parsed('to:gitlab', gitlabDefault).target, { kind: 'gitlab', project: 'ops/incidents' });
    assert.deepEqual(parsed('last:5 to:forum category:staff', gitlabDefault).target, { kind: 'forum' });
    assert.deepEqual(parsed('project:dev/api', gitlabDefault).target, { kind: 'gitlab', project: 'dev/api' });
    assert.deepEqual(parsed('last:5', { defaultTarget: { kind: 'forum' } }).target, { kind: 'forum' });
  });

  test('to:gitlab without a project, where the channel has no default, says how to name one', () => {
    const f = failed('last:5 to:gitlab', { cmd: '!topic' });
    assert.equal(f.id, 'topic.project_missing');
    assert.match(f.message, /to:gitlab needs the GitLab project the issue goes to, as in !topic last:50 to:gitlab project:group\/project/);
    assert.match(f.message, /--transcript-target gitlab:group\/project/);
  });

  test('a to: that is neither forum nor gitlab is refused, with the nearest one', () => {
    const typo = failed('to:gitlb');
    assert.equal(typo.id, 'topic.bad_target');
    assert.match(typo.message, /to:forum \(a forum topic\) or to:gitlab \(a GitLab issue\); "gitlb" is neither\. Did you mean to:gitlab\?/);
    assert.doesNotMatch(failed('to:jira').message, /Did you mean/);
    assert.match(failed('to:group/project').message, /Did you mean to:gitlab project:group\/project\?/);
    // Half a time range: from: is what was meant.
    assert.match(failed('to:16:10').message, /Did you mean from:15:35-16:10\?/);
  });

  test('category: and preview make no sense for a GitLab issue, also when GitLab is only the default', () => {
    const explicit = failed('to:gitlab project:group/project category:staff');
    assert.equal(explicit.id, 'topic.category_with_gitlab');
    assert.match(explicit.message, /category:staff is a forum category, but this transcript goes to GitLab \(group\/project\), where an issue has labels/);
    assert.match(explicit.message, /Write to:forum to post it in the forum, or use tags: for the issue's labels/);
    const byDefault = failed('category:staff', gitlabDefault);
    assert.match(byDefault.message, /goes to GitLab \(ops\/incidents\), this channel's default/);
    const preview = failed('project:group/project preview');
    assert.equal(preview.id, 'topic.preview_with_gitlab');
  });

  test('project: with to:forum, a malformed project and a bad label are refused', () => {
    assert.equal(failed('to:forum project:group/project').id, 'topic.project_with_forum');
    for (const bad of ['project:justone', 'project:"group/my project"', 'project:group/-x', 'project:group/repo.git']) {
      const f = failed(bad);
      assert.equal(f.id, 'topic.bad_project', bad);
      assert.match(f.message, /project: takes a GitLab project's path, as in project:group\/project/);
    }
    const label = failed('to:gitlab project:a/b tags:ok,~');
    assert.equal(label.id, 'topic.bad_label');
    assert.match(label.message, /"~" cannot be a GitLab label: a label needs a name after ~/);
    assert.match(failed(`project:a/b tags:${'x'.repeat(256)}`).message, /at most 255 characters/);
  });

  test('to: and project: are options like the others: once each, with a value, suggested for bare words', () => {
    assert.equal(failed('to:gitlab to:forum').id, 'topic.repeated_option');
    assert.equal(failed('project:a/b project:c/d').id, 'topic.repeated_option');
    assert.equal(failed('to:').id, 'topic.empty_value');
    assert.match(failed('gitlab').message, /Did you mean to:gitlab\?/);
    assert.match(failed('p/group/project').message, /Did you mean project:group\/project\?/);
    assert.match(failed('repo:group/project').message, /Did you mean project:group\/project\?/);
    assert.match(failed('label:bug').message, /Did you mean tags:bug\?/);
    assert.match(failed('50').message, /to:forum\|gitlab, project:GROUP\/PROJECT/);
  });
});

describe('topic help', () => {
  test('help documents every option, the bound and the default range', () => {
    const f = failed('help');
    assert.equal(f.id, 'topic.help');
    for (const option of TOPIC_OPTIONS) assert.match(f.message, new RegExp(`^${option}`, 'm'));
    assert.match(f.message, /at most 1000\)/);
    assert.match(
      f.message,
      new RegExp(`back to the last pause of ${DEFAULT_RANGE.pauseMinutes} minutes or more, at most ${DEFAULT_RANGE.maxMessages}\\.`),
    );
    assert.match(f.message, /Times are read in your time zone where the chat tells it/);
    // help first, whatever follows; the zone and the bound are the caller's.
    const tailored = failed('HELP since', { zone: 'Europe/Berlin', maxMessages: 250 });
    assert.equal(tailored.id, 'topic.help');
    assert.match(tailored.message, /Times are read in Europe\/Berlin\./);
    assert.match(tailored.message, /at most 250\)/);
    assert.equal(failed('help:').id, 'topic.help');
  });
});

describe('parseTopicCommand: random input', () => {
  test('random text never throws: always a well-formed command or a failure with a message', () => {
    const words = fc.constantFrom(
      ...TOPIC_OPTIONS,
      'last:', 'last:50', 'last:-1', 'last:0', 'last:99999', 'from:', 'from:15:35-16:10', 'from:23:30-00:15', 'from:3-4pm',
      'from:25:99-1', 'since:2h', 'since:"yesterday 3pm"', 'category:staff', 'category:', 'tags:a,b', 'tags:,', 'tags:a.b',
      'ignore:@bob', 'title:"x y"', 'help', '50', '"', '\u201C', '\\', ':', ',', '@', '#', '-',
      'to:gitlab', 'to:forum', 'to:x', 'project:group/project', 'project:a', 'tags:~bug,"needs review"',
    );
    const text = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 60 }),
      fc.string({ unit: 'binary', maxLength: 60 }),
      fc.array(fc.oneof(words, fc.string({ maxLength: 8 })), { maxLength: 8 }).map((ws) => ws.join(' ')),
    );
    fc.assert(
      fc.property(text, fc.integer({ min: 1, max: 5000 }), (args, maxMessages) => {
        const r = parseTopicCommand(args, { maxMessages });
        if (isTopicFailure(r)) {
          assert.ok(r.id.length > 0);
          assert.ok(r.message.trim().length > 0);
          return;
        }
        if (r.range.kind === 'last') assert.ok(Number.isInteger(r.range.count) && r.range.count >= 1 && r.range.count <= maxMessages);
        if (r.range.kind === 'from') {
          for (const t of [r.range.start, r.range.end]) assert.ok(t.h >= 0 && t.h <= 23 && t.m >= 0 && t.m <= 59);
          assert.notDeepEqual(r.range.start, r.range.end);
        }
        if (r.range.kind === 'since') assert.ok(r.range.text.length > 0);
        if (r.target.kind === 'forum') for (const tag of r.tags) assert.match(tag, /^[^\s/?#[\]@!$&'()*+,;=.%\\`^|{}"<>]{1,20}$/u);
        else {
          for (const label of r.tags) assert.match(label, /^[^,]{1,255}$/u);
          assert.equal(r.category, null, 'a GitLab issue has no category');
          assert.equal(r.preview, false, 'a GitLab issue has no preview');
        }
        assert.equal(new Set(r.tags).size, r.tags.length);
        for (const user of r.ignore) assert.ok(user.length > 0 && !user.startsWith('@'));
        if (r.title !== null) assert.ok(r.title.length > 0 && !/\s\s|\n/.test(r.title));
      }),
      { numRuns: 3000 },
    );
  });
});
