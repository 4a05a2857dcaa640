// Transcript benchmark (docs/quality.md#transcript-bar: 10,000 messages rendered in well under a second, memory
// bounded by a page, not the range). Ours: pages of 100 through selectMessages and the streaming
// TranscriptRenderer, each page dropped once added. Baseline: what a quick script does: keep every message,
// filter and sort the lot, build one string per message and `+=` them, no merging. Same data, same run.
// Run alone: node --import tsx bench/transcript.ts
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DateTime } from 'luxon';
import { TranscriptRenderer, type TranscriptOptions } from '../lib/transcript/render.js';
import { compareMessages, selectMessages, type SelectOptions } from '../lib/transcript/select.js';
import { DEFAULT_MAX_POST_LENGTH } from '../lib/transcript/size.js';
import type { ChatAuthor, ChatMessage } from '../lib/transcript/types.js';
import type { Benchmark, BenchResult } from './types.js';
import { prng } from './prng.js';

const MESSAGES = 10_000;
const PAGE = 100;
const AUTHORS = 20;
const ROUNDS = 7;
const OPTIONS: TranscriptOptions = { platform: 'Mattermost', channelName: 'Town Square', timeZone: 'Europe/Berlin' };
const START = Date.parse('2026-11-21T08:00:00Z');


const FIRST = ['Alice', 'Bob', 'Chen', 'Dana', 'Émile', 'Farah', 'Gustav', 'Hana', 'Ivan', 'Jun', 'Kofi', 'Lena', 'María', 'Noor', 'Olu', 'Priya', 'Quinn', 'Rafael', 'Sakura', 'Tomás'];
const LAST = ['Liddell', 'Builder', '陈', 'Scully', 'Zola', 'نور', 'Mahler', '山田', 'Petrov', 'Kim', 'Mensah', 'Berg', 'Núñez', 'Haddad', 'Ade', 'Raman', 'Lee', 'Souza', '佐藤', 'Ortiz'];
const AUTHOR_LIST: ChatAuthor[] = Array.from({ length: AUTHORS }, (_, i) => ({
  id: `u${i}`,
  username: `${FIRST[i]!.toLowerCase().normalize('NFD').replace(/\p{M}/gu, '')}${i}`,
  displayName: `${FIRST[i]!} ${LAST[i]!}`,
  isBot: false,
}));
const BOT: ChatAuthor = { id: 'bot', username: 'ci_bot', displayName: 'CI', isBot: true };
const SELECT: SelectOptions = { commandMessageId: String(MESSAGES), ignore: ['@' + AUTHOR_LIST[7]!.username] };

const WORDS = 'the a release build test deploy fix bug review merge branch please thanks looks good issue config server queue retry timeout why how'.split(' ');
const UNICODE = ['👍', '🎉', 'مرحبا', '漢字テスト', 'e\u0301', 'Grüße', '🇩🇪', 'שלום', '👨‍👩‍👧'];

function sentence(rand: () => number, words: number): string {
  let s = '';
  for (let i = 0; i < words; i++) s += (i ? ' ' : '') + WORDS[Math.floor(rand() * WORDS.length)]!;
  return s;
}

/** Message `i` of the synthetic channel: mostly short chat, some links, mentions, code, unicode, files, bots. */
function makeMessage(i: number, rand: () => number, previous: { author: ChatAuthor; at: number }): ChatMessage {
  // People answer in streaks: the same author again about half the time.
  const author = rand() < 0.02 ? BOT : rand() < 0.45 ? previous.author : AUTHOR_LIST[Math.floor(rand() ** 1.5 * AUTHORS)]!;
  const at = previous.at + Math.floor(-Math.log(1 - rand()) * 40_000);
  const kind = rand();
  let text = sentence(rand, 3 + Math.floor(rand() * 20));
  if (kind < 0.15) text = `@${AUTHOR_LIST[Math.floor(rand() * AUTHORS)]!.username} ${text}`;
  else if (kind < 0.25) text += ` see https://git.example.org/parley/-/issues/${Math.floor(rand() * 900)} and [the docs](https://docs.example.org/${WORDS[i % WORDS.length]!})`;
  else if (kind < 0.3) text += `\n\n\`\`\`ts\nconst x = await queue.add('deliver', { id: ${i} }); // @${AUTHOR_LIST[i % AUTHORS]!.username}\n\`\`\``;
  else if (kind < 0.33) text += ` \`npm run bench\` **${sentence(rand, 2)}**`;
  else if (kind < 0.43) text += ` ${UNICODE[Math.floor(rand() * UNICODE.length)]!} ${UNICODE[Math.floor(rand() * UNICODE.length)]!}`;
  else if (kind < 0.44) text += `\n\n${sentence(rand, 300)}`;
  else if (kind < 0.46) text = `> ${text}\n\nagreed`;
  const attachments = rand() < 0.03 ? [{ name: `screenshot ${i}.png`, url: `https://files.example.org/${i}/screenshot%20${i}.png` }] : [];
  return { id: String(i + 1), author: author, sentAt: new Date(at), markdown: text, attachments };
}

/** The channel's history as pages, oldest first: generated on demand, as a job would fetch it. */
function* pages(): Generator<ChatMessage[]> {
  const rand = prng(20261121);
  let previous = { author: AUTHOR_LIST[0]!, at: START };
  for (let p = 0; p < MESSAGES / PAGE; p++) {
    const page: ChatMessage[] = [];
    for (let i = p * PAGE; i < (p + 1) * PAGE; i++) {
      const m = makeMessage(i, rand, previous);
      previous = { author: m.author, at: m.sentAt.getTime() };
      page.push(m);
    }
    yield page;
  }
}

function renderOurs(source: Iterable<ChatMessage[]>, onPage: () => void = () => {}, options: TranscriptOptions = OPTIONS): { chars: number; blocks: number; messages: number } {
  const renderer = new TranscriptRenderer(options);
  for (const page of source) {
    renderer.add(selectMessages(page, SELECT).kept);
    onPage();
  }
  const result = renderer.finish();
  if (result.status === 'empty') throw new Error('the benchmark rendered nothing');
  if (result.status === 'ok') assert.equal(result.bytes, Buffer.byteLength(result.markdown));
  return { chars: result.status === 'ok' ? result.markdown.length : 0, blocks: result.blockCount, messages: result.messageCount };
}

/** The quick script: every message kept, one line each, `+=`. */
function renderBaseline(source: Iterable<ChatMessage[]>, onPage: () => void = () => {}): { chars: number; messages: number } {
  const all: ChatMessage[] = [];
  for (const page of source) {
    all.push(...page);
    onPage();
  }
  const ignored = new Set((SELECT.ignore ?? []).map((n) => n.replace(/^@/u, '').toLowerCase()));
  const kept = all.filter((m) => m.id !== SELECT.commandMessageId && !m.author.isBot && !ignored.has(m.author.username.toLowerCase())).sort(compareMessages);
  const lines: string[] = [];
  for (const m of kept) {
    const time = DateTime.fromJSDate(m.sentAt, { zone: OPTIONS.timeZone }).toFormat('HH:mm');
    let line = `**${m.author.displayName}** (${time}): ${m.markdown}`;
    for (const a of m.attachments) line += `\n[${a.name}](${a.url})`;
    lines.push(line);
  }
  onPage();
  let out = `Transcript of ${OPTIONS.channelName}\n\n`;
  for (const line of lines) out += line + '\n\n';
  // Sending it would flatten the string; so does this.
  Buffer.byteLength(out);
  return { chars: out.length, messages: kept.length };
}

/** global.gc when node runs with --expose-gc; otherwise V8's flag set at run time (works on Node 20+). */
function gcFunction(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing) return existing;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** Peak live heap growth, in MB, over a run: the heap is collected before and at every sample. */
function peakHeapMb(gc: () => void, run: (sample: () => void) => void): number {
  gc();
  const base = process.memoryUsage().heapUsed;
  let peak = 0;
  const sample = (): void => {
    gc();
    peak = Math.max(peak, process.memoryUsage().heapUsed - base);
  };
  run(sample);
  sample();
  return Math.round((peak / 1024 / 1024) * 10) / 10;
}

export const transcript: Benchmark = async (): Promise<BenchResult> => {
  // Timing uses pages generated beforehand, so that only rendering is timed, the same pages for both.
  const data = [...pages()];
  const ourCheck = renderOurs(data);
  const baseCheck = renderBaseline(data);
  assert.equal(ourCheck.messages, baseCheck.messages, 'ours and the baseline kept different messages');
  assert.ok(ourCheck.messages > MESSAGES * 0.9);

  // Warm up, then interleave rounds so that a busy machine weighs on both alike.
  for (let i = 0; i < 3; i++) {
    renderOurs(data);
    renderBaseline(data);
  }
  let oursMs = 0;
  let baselineMs = 0;
  for (let round = 0; round < ROUNDS; round++) {
    let t = performance.now();
    renderOurs(data);
    oursMs += performance.now() - t;
    t = performance.now();
    renderBaseline(data);
    baselineMs += performance.now() - t;
  }
  const ours = (MESSAGES * ROUNDS * 1000) / oursMs;
  const baseline = (MESSAGES * ROUNDS * 1000) / baselineMs;

  // Memory: pages generated on demand (as fetched), live heap sampled after every page.
  data.length = 0;
  const gc = gcFunction();
  const oursPeak = peakHeapMb(gc, (sample) => void renderOurs(pages(), sample));
  const baselinePeak = peakHeapMb(gc, (sample) => void renderBaseline(pages(), sample));
  // With the forum's limit the renderer stops keeping text once the post cannot fit: about a page of memory.
  const limitedPeak = peakHeapMb(gc, (sample) => void renderOurs(pages(), sample, { ...OPTIONS, maxLength: DEFAULT_MAX_POST_LENGTH }));

  return {
    name: 'transcript',
    ours: Math.round(ours),
    baseline: Math.round(baseline),
    ratio: Math.round((ours / baseline) * 100) / 100,
    unit: 'messages/s',
    details: {
      messages: MESSAGES,
      kept: ourCheck.messages,
      blocks: ourCheck.blocks,
      ours_ms_per_10k: Math.round((oursMs / ROUNDS) * 10) / 10,
      baseline_ms_per_10k: Math.round((baselineMs / ROUNDS) * 10) / 10,
      ours_peak_heap_mb: oursPeak,
      baseline_peak_heap_mb: baselinePeak,
      ours_with_32k_limit_peak_heap_mb: limitedPeak,
      ours_output_chars: ourCheck.chars,
      baseline_output_chars: baseCheck.chars,
    },
  };
};

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await transcript()));
}
