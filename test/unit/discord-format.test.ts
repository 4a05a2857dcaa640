import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { APIEmbed } from 'discord.js';
import {
  clipText,
  discordEdit,
  discordMessage,
  discordNonce,
  embedColor,
  embedUrl,
  escapeDiscordMarkdown,
  MAX_EMBED_AUTHOR_NAME,
  MAX_EMBED_DESCRIPTION,
  MAX_EMBED_FIELD_NAME,
  MAX_EMBED_FIELD_VALUE,
  MAX_EMBED_FIELDS,
  MAX_EMBED_TITLE,
  MAX_EMBED_TOTAL,
  MAX_NONCE,
  MAX_THREAD_NAME,
  plainText,
  threadName,
} from '../../bots/discord/format.js';
import { neutralizeMassMentions, type Notification } from '../../lib/notification.js';
import { notification } from '../helpers/notification.js';

const KEY = { idempotencyKey: 'delivery:1:channel:2' };

/** What Discord shows for markdown text as far as escapes go: its escape rule turns `\` + punctuation into the punctuation. */
function shown(markdown: string): string {
  return markdown.replace(/\\([^0-9A-Za-z\s])/gu, '$1');
}

/** Markdown text with every escape pair removed: what is left is what Discord may read as markup. */
function unescaped(markdown: string): string {
  return markdown.replace(/\\[^0-9A-Za-z\s]/gu, '');
}

/** Text outside bare URLs (which Discord links as they stand). */
function outsideUrls(text: string): string {
  return text.replace(/https?:\/\/[^\s<]+/giu, 'URL');
}

/** The embed's markdown-rendering texts (title, description, field values) and its plain ones (author name). */
function texts(embed: APIEmbed): { markdown: string[]; plain: string[] } {
  return {
    markdown: [embed.title ?? '', embed.description ?? '', ...(embed.fields ?? []).map((f) => f.value)],
    plain: [embed.author?.name ?? '', ...(embed.fields ?? []).map((f) => f.name), embed.footer?.text ?? ''],
  };
}

/** Every limit of Discord's "Embed Limits" table, and the 6000 total. */
function assertWithinLimits(embed: APIEmbed): void {
  assert.ok((embed.title ?? '').length <= MAX_EMBED_TITLE, `title ${embed.title?.length}`);
  assert.ok((embed.description ?? '').length <= MAX_EMBED_DESCRIPTION, `description ${embed.description?.length}`);
  assert.ok((embed.author?.name ?? '').length <= MAX_EMBED_AUTHOR_NAME, `author ${embed.author?.name.length}`);
  assert.ok((embed.fields ?? []).length <= MAX_EMBED_FIELDS);
  for (const f of embed.fields ?? []) {
    assert.ok(f.name.length >= 1 && f.name.length <= MAX_EMBED_FIELD_NAME, `field name ${f.name.length}`);
    assert.ok(f.value.trim().length >= 1 && f.value.length <= MAX_EMBED_FIELD_VALUE, `field value ${f.value.length}`);
    assert.equal(f.inline, true);
  }
  if (embed.author) assert.ok(embed.author.name.trim().length >= 1);
  if (embed.description !== undefined) assert.ok(embed.description.trim().length >= 1, 'no empty description');
  const total =
    (embed.title ?? '').length +
    (embed.description ?? '').length +
    (embed.author?.name ?? '').length +
    (embed.footer?.text ?? '').length +
    (embed.fields ?? []).reduce((sum, f) => sum + f.name.length + f.value.length, 0);
  assert.ok(total <= MAX_EMBED_TOTAL, `total ${total}`);
}

/** No string of the embed can ping or show a live mention token. */
function assertNoPings(embed: APIEmbed): void {
  const { markdown, plain } = texts(embed);
  for (const text of markdown) {
    assert.ok(!/@(everyone|here)/iu.test(shown(text)), `mass mention in ${text}`);
    assert.ok(!/[<>]/u.test(unescaped(text)), `unescaped < or > in ${text}`);
  }
  for (const text of plain) {
    assert.ok(!/@(everyone|here)/iu.test(text), `mass mention in ${text}`);
    assert.ok(!/<(@|#|:|\/|a:|t:)/u.test(text), `mention token in ${text}`);
  }
}

describe('escapeDiscordMarkdown', () => {
  test('escapes emphasis, code, spoilers, quotes, mentions and masked links', () => {
    assert.equal(escapeDiscordMarkdown('**b** _i_ __u__ ~~s~~ `c` ```x``` ||sp||'), '\\*\\*b\\*\\* \\_i\\_ \\_\\_u\\_\\_ \\~\\~s\\~\\~ \\`c\\` \\`\\`\\`x\\`\\`\\` \\|\\|sp\\|\\|');
    assert.equal(escapeDiscordMarkdown('<@123> <@&456> <#789> <t:1700000000:R> <:e:1>'), '\\<@123\\> \\<@&456\\> \\<#789\\> \\<t:1700000000:R\\> \\<:e:1\\>');
    assert.equal(escapeDiscordMarkdown('[click](https://evil.example)'), '\\[click\\](https://evil.example)');
    assert.equal(escapeDiscordMarkdown('a \\ b'), 'a \\\\ b');
  });

  test('escapes block markup at the start of a line only', () => {
    assert.equal(escapeDiscordMarkdown('# H1\n## H2\n-# small\n- item\n  + item\n12. item\n> quote\n>>> all'), '\\# H1\n\\## H2\n\\-# small\n\\- item\n  \\+ item\n12\\. item\n\\> quote\n\\>\\>\\> all');
    assert.equal(escapeDiscordMarkdown('C# is - fine, 1. ok'), 'C# is - fine, 1. ok');
  });

  test('a bare URL stays a working link; only characters that could end or hide it are escaped', () => {
    assert.equal(escapeDiscordMarkdown('see https://f.example/a_b~c-d#e?x=1&y=2 now'), 'see https://f.example/a_b~c-d#e?x=1&y=2 now');
    assert.equal(escapeDiscordMarkdown('https://f.example/a*b|c`d'), 'https://f.example/a\\*b\\|c\\`d');
    assert.equal(escapeDiscordMarkdown('https://f.example/x<@1>'), 'https://f.example/x\\<@1\\>');
  });

  test('a forum backslash cannot un-escape the next character', () => {
    const out = escapeDiscordMarkdown('\\<@123>');
    assert.equal(out, '\\\\\\<@123\\>');
    assert.equal(shown(out), '\\<@123>');
    assert.ok(!/</u.test(unescaped(out)));
  });

  test('property: Discord shows the text exactly as typed, and no markup is left unescaped outside URLs', () => {
    const piece = fc.constantFrom('*', '_', '~', '`', '|', '<', '>', '[', ']', '(', ')', '\\', '#', '-', '+', '1.', '@', '\n', ' ', '  ', 'a', 'Z', '9', '👍', 'é', 'https://x.example/p_q', '<@1>', '||');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 60 }).map((a) => a.join('')), (text) => {
        const out = escapeDiscordMarkdown(text);
        assert.equal(shown(out), text);
        const rest = unescaped(outsideUrls(out));
        assert.ok(!/[*_~`|>[\]\\]/u.test(rest), `markup left in ${JSON.stringify(out)}`);
        // A `<` is left only where Discord's link rule may take the backslash of `\<` into the URL before it;
        // the `>` that would close a mention is escaped all the same.
        assert.ok(!/(?<!URL)</u.test(rest), `< left in ${JSON.stringify(out)}`);
        assert.ok(!/^[ \t]*([-+#>*]|\d+\.)/mu.test(outsideUrls(out)), `block markup in ${JSON.stringify(out)}`);
      }),
      { numRuns: 500 },
    );
  });
});

describe('clipText', () => {
  test('cuts within the limit with an ellipsis, at a word boundary when one is near', () => {
    assert.equal(clipText('short', 10), 'short');
    const out = clipText('alpha beta gamma delta epsilon', 20);
    assert.ok(out.length <= 20);
    assert.equal(out, 'alpha beta gamma…');
  });

  test('never splits a surrogate pair nor an escape pair', () => {
    for (let max = 1; max < 14; max++) {
      const emoji = clipText('👍'.repeat(10), max);
      assert.ok(emoji.length <= max);
      assert.ok(!/[\uD800-\uDBFF]…/u.test(emoji), emoji);
      const escaped = clipText(escapeDiscordMarkdown('<<<<<<<<<<'), max);
      assert.ok(escaped.length <= max);
      assert.ok(!/(^|[^\\])(\\\\)*\\…$/u.test(escaped), `lone backslash before the ellipsis: ${escaped}`);
    }
  });
});

describe('embedColor and embedUrl', () => {
  test("Discourse colours become Discord's integer; anything else none", () => {
    assert.equal(embedColor('0088CC'), 0x0088cc);
    assert.equal(embedColor('#0088CC'), 0x0088cc);
    assert.equal(embedColor('08c'), 0x0088cc);
    assert.equal(embedColor('#f1592a'), 0xf1592a);
    assert.equal(embedColor('000000'), 0);
    for (const bad of [null, undefined, '', 'red', '#12345', '1234567', '0088CC; x', 'gggggg', '#']) assert.equal(embedColor(bad), undefined, String(bad));
  });

  test('only http(s) URLs are linked', () => {
    assert.equal(embedUrl('https://f.example/t/x/1'), 'https://f.example/t/x/1');
    assert.equal(embedUrl('javascript:alert(1)'), undefined);
    assert.equal(embedUrl('/t/x/1'), undefined);
    assert.equal(embedUrl('http://'), undefined);
  });
});

describe('discordNonce', () => {
  test('stable per key, different per key, at most 25 characters of a safe alphabet', () => {
    assert.equal(discordNonce('a'), discordNonce('a'));
    assert.notEqual(discordNonce('a'), discordNonce('b'));
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.string({ unit: 'grapheme', maxLength: 200 }), (a, b) => {
        const na = discordNonce(a);
        assert.ok(na.length <= MAX_NONCE && na.length >= 20);
        assert.match(na, /^[A-Za-z0-9_-]+$/u);
        assert.equal(na, discordNonce(a));
        if (a !== b) assert.notEqual(na, discordNonce(b));
      }),
    );
  });
});

describe('threadName', () => {
  test('one line, no pings, at most 100 characters, never empty', () => {
    assert.equal(threadName('Release 2.0 is out'), 'Release 2.0 is out');
    assert.equal(threadName('  a\n\tb  '), 'a b');
    const long = threadName('word '.repeat(100));
    assert.ok(long.length <= MAX_THREAD_NAME && long.endsWith('…'));
    assert.ok(!/@(everyone|here)/iu.test(threadName('@everyone @here look')));
    assert.ok(!/<@/u.test(threadName('<@123> hi')));
    assert.equal(threadName('   '), 'Forum topic');
    assert.ok(threadName('👍'.repeat(80)).length <= MAX_THREAD_NAME);
  });

  test('plainText adds no backslashes (author names and thread names render no markdown)', () => {
    assert.equal(plainText('*Sara* _Lee_ (@sara)'), '*Sara* _Lee_ (@sara)');
  });
});

describe('discordMessage', () => {
  test('one embed: author and what they did, linked title, excerpt, category and tags inline, colour', () => {
    const msg = discordMessage(notification(), KEY);
    assert.equal(msg.embeds.length, 1);
    const [embed] = msg.embeds;
    assert.equal(embed.timestamp, undefined, 'the Notification carries no time');
    assert.deepEqual(embed, {
      author: { name: 'Sara Lee (@sara) started a new topic' },
      title: 'Release 2.0 is out',
      url: 'https://forum.example.org/t/release-2-0-is-out/42/1',
      color: 0x0088cc,
      fields: [
        { name: 'Category', value: 'Announcements', inline: true },
        { name: 'Tags', value: 'release, news', inline: true },
      ],
      description: 'We shipped it.',
    });
    assert.equal(msg.content, undefined, 'embeds only');
  });

  test('nothing pings: allowed_mentions parses nothing; the nonce is enforced and derived from the key', () => {
    const msg = discordMessage(notification(), KEY);
    assert.deepEqual(msg.allowed_mentions, { parse: [] });
    assert.equal(msg.enforce_nonce, true);
    assert.equal(msg.nonce, discordNonce(KEY.idempotencyKey));
    assert.equal(discordMessage(notification({ title: 'Other' }), KEY).nonce, msg.nonce, 'the nonce depends on the key alone');
    assert.notEqual(discordMessage(notification(), { idempotencyKey: 'other' }).nonce, msg.nonce);
    // A fresh allowed_mentions each time: an adapter adding to one message's changes no other.
    assert.notEqual(discordMessage(notification(), KEY).allowed_mentions, msg.allowed_mentions);
  });

  test('a reply says so; one tag is a Tag', () => {
    const embed = discordMessage(notification({ kind: 'reply', tags: ['solo'] }), KEY).embeds[0];
    assert.equal(embed.author?.name, 'Sara Lee (@sara) replied');
    assert.deepEqual(embed.fields?.[1], { name: 'Tag', value: 'solo', inline: true });
  });

  test('no colour without a usable category colour; no fields without category and tags', () => {
    for (const category of [null, { name: 'Misc', path: 'misc', color: null }, { name: 'Odd', path: 'odd', color: 'blue' }]) {
      const embed = discordMessage(notification({ category }), KEY).embeds[0];
      assert.equal(embed.color, undefined);
      assert.ok(!('color' in embed));
    }
    const bare = discordMessage(notification({ category: null, tags: [] }), KEY).embeds[0];
    assert.equal(bare.fields, undefined);
    const blankTags = discordMessage(notification({ category: null, tags: ['  ', ''] }), KEY).embeds[0];
    assert.equal(blankTags.fields, undefined);
  });

  test('an empty excerpt adds no description; a non-http URL no link; an empty title a placeholder', () => {
    const embed = discordMessage(notification({ excerpt: '  \n ', url: 'javascript:alert(1)', title: ' ' }), KEY).embeds[0];
    assert.equal(embed.description, undefined);
    assert.equal(embed.url, undefined);
    assert.equal(embed.title, 'Untitled topic');
    assertWithinLimits(embed);
  });

  test('pings and markup typed in the forum are harmless in every field', () => {
    const evil = '@everyone @here <@123> <@!124> <@&456> <#789> <t:1:R> **bold** [x](https://evil.example) `c` ||s|| \\<@125>';
    const raw = notification({ title: evil, excerpt: `# ${evil}\n> ${evil}`, author: evil, tags: [evil, 'ok'], category: { name: evil, path: 'x', color: 'F00' } });
    const cored: Notification = { ...raw, title: neutralizeMassMentions(evil), excerpt: neutralizeMassMentions(evil), author: neutralizeMassMentions(evil), tags: [neutralizeMassMentions(evil)] };
    for (const n of [raw, cored]) {
      for (const body of [discordMessage(n, KEY), discordEdit(n)]) {
        const [embed] = body.embeds;
        assertNoPings(embed);
        assertWithinLimits(embed);
        assert.deepEqual(body.allowed_mentions, { parse: [] });
        // The masked link shows as text: no `](` left outside escapes.
        for (const text of texts(embed).markdown) assert.ok(!/\]\(/u.test(unescaped(text)), text);
      }
    }
    const embed = discordMessage(raw, KEY).embeds[0];
    assert.ok(shown(embed.description ?? '').includes('<@123>'), 'shown as typed');
  });

  test('long titles, authors, tags and excerpts are cut within every limit; the excerpt gives way to the total', () => {
    const long = 'word *x* <y> '.repeat(2000);
    const n = notification({ title: long, excerpt: long, author: long, tags: Array.from({ length: 300 }, (_, i) => `tag-${i}_<>`), category: { name: long, path: 'c', color: '0088CC' } });
    const [embed] = discordMessage(n, KEY).embeds;
    assertWithinLimits(embed);
    assertNoPings(embed);
    assert.ok(embed.title?.endsWith('…'));
    assert.ok(embed.author?.name.endsWith('… started a new topic'), embed.author?.name);
    for (const f of embed.fields ?? []) assert.ok(f.value.endsWith('…'));
    assert.ok(embed.description?.endsWith('…'));
    const others = (embed.title?.length ?? 0) + (embed.author?.name.length ?? 0) + (embed.fields ?? []).reduce((s, f) => s + f.name.length + f.value.length, 0);
    assert.ok(others + MAX_EMBED_DESCRIPTION > MAX_EMBED_TOTAL, 'the case where the total binds');
    assert.ok((embed.description?.length ?? 0) > MAX_EMBED_TOTAL - others - 10, 'the excerpt uses the room it has');
  });

  test('a huge excerpt alone keeps the description within 4096', () => {
    const [embed] = discordMessage(notification({ excerpt: '_'.repeat(20_000) }), KEY).embeds;
    assert.ok((embed.description?.length ?? 0) <= MAX_EMBED_DESCRIPTION);
    assert.ok((embed.description?.length ?? 0) > MAX_EMBED_DESCRIPTION - 3);
    assertWithinLimits(embed);
  });

  test('property: any notification gives an embed within every limit that pings no one', () => {
    const nasty = fc.constantFrom('@everyone', '@here', '<@123>', '<@&456>', '\\', '*', '_', '`', '|', '<', '>', '#', '- ', '\n', ' ', '👍', 'a', 'https://x.example/a_b');
    const text = (max: number) => fc.oneof(fc.string({ unit: 'binary', maxLength: max }), fc.array(nasty, { maxLength: Math.ceil(max / 4) }).map((a) => a.join('')));
    const arb: fc.Arbitrary<Notification> = fc.record({
      kind: fc.constantFrom('new_topic' as const, 'reply' as const),
      title: text(400),
      url: fc.oneof(fc.webUrl(), fc.string({ maxLength: 30 })),
      author: text(400),
      category: fc.option(fc.record({ name: text(1500), path: fc.string({ maxLength: 20 }), color: fc.option(fc.string({ maxLength: 8 })) })),
      tags: fc.array(text(300), { maxLength: 12 }),
      excerpt: text(8000),
      thread: fc.nat().map((n) => `discourse:topic:${n}`),
      subject: fc.nat().map((n) => `discourse:post:${n}`),
    });
    fc.assert(
      fc.property(arb, fc.string({ maxLength: 80 }), (n, key) => {
        const msg = discordMessage(n, { idempotencyKey: key });
        assertWithinLimits(msg.embeds[0]);
        assertNoPings(msg.embeds[0]);
        assert.ok(msg.nonce.length <= MAX_NONCE);
        assert.deepEqual(JSON.parse(JSON.stringify(msg)), msg);
      }),
      { numRuns: 200 },
    );
  });
});

describe('discordEdit', () => {
  test('the same embed and allowed_mentions, no nonce', () => {
    const n = notification();
    const edit = discordEdit(n);
    assert.deepEqual(edit.embeds, discordMessage(n, KEY).embeds);
    assert.deepEqual(edit.allowed_mentions, { parse: [] });
    assert.ok(!('nonce' in edit) && !('enforce_nonce' in edit));
  });
});
