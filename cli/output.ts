// What every CLI command shares: the `platform:external-id` channel name, tables and JSON on stdout,
// and CliError, the one way a command says "this was wrong, this would be right" with an exit code.
import { PLATFORMS } from '../bots/registry.js';
import type { PlatformName } from '../lib/seams/store.js';

/** The platforms this Parley has an adapter for (bots/registry.ts). */
export const PLATFORM_NAMES: readonly PlatformName[] = PLATFORMS.map((p) => p.profile.name);

/** A mistake of the user's: printed to stderr as is (no stack), then the process exits with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export function isPlatform(word: string): word is PlatformName {
  return PLATFORM_NAMES.includes(word);
}

export function parsePlatform(word: string): PlatformName {
  const platform = word.trim().toLowerCase();
  if (!isPlatform(platform)) throw new CliError(`"${word}" is not a platform. The platforms are: ${PLATFORM_NAMES.join(', ')}.`);
  return platform;
}

export interface ChannelName {
  platform: PlatformName;
  externalId: string;
}

/** What a `platform:id` names, for the messages that say how to write one. */
export interface PlatformIdKind {
  /** "channel", "chat user". */
  noun: string;
  /** What stands for the id in PLATFORM:…, e.g. ID or USER_ID. */
  placeholder: string;
  examples: string;
  /** What the id is, for the error, e.g. "the platform's id of the room". */
  idMeaning: string;
}

const CHANNEL: PlatformIdKind = { noun: 'channel', placeholder: 'ID', examples: 'telegram:-1001234 or mattermost:CHANNEL_ID', idMeaning: "the platform's id of the room" };

/**
 * `telegram:-1001234`, `mattermost:4xp9…`, `matrix:!room:example.org`, `matrix:@ada:example.org`: the platform
 * is everything before the first colon, so ids may hold colons themselves.
 */
export function parsePlatformId(text: string, kind: PlatformIdKind): { platform: PlatformName; id: string } {
  const colon = text.indexOf(':');
  if (colon < 0) {
    throw new CliError(`"${text}" is not a ${kind.noun}: write PLATFORM:${kind.placeholder}, as in ${kind.examples} (platforms: ${PLATFORM_NAMES.join(', ')}).`);
  }
  const platform = parsePlatform(text.slice(0, colon));
  const id = text.slice(colon + 1).trim();
  if (id === '' || /\s/.test(id)) {
    throw new CliError(`"${text}" has no valid ${kind.noun} id after "${platform}:": write ${platform}:${kind.placeholder}, ${kind.idMeaning}, without spaces.`);
  }
  return { platform, id };
}

export function parseChannelName(text: string): ChannelName {
  const { platform, id } = parsePlatformId(text, CHANNEL);
  return { platform, externalId: id };
}

export function formatChannelName(c: ChannelName): string {
  return `${c.platform}:${c.externalId}`;
}

/** A secret URL (incoming webhooks carry their key in the path): scheme and host only. */
export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}/…`;
  } catch {
    return '…';
  }
}

/** Second precision is what people read in a listing. */
export function formatTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Columns padded to the widest cell; empty cells show as `-` so that columns stay countable. */
export function printTable(headers: readonly string[], rows: readonly (readonly string[])[]): void {
  const cells = rows.map((row) => headers.map((_, i) => row[i] || '-'));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i]!.length)));
  const line = (row: readonly string[]) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const out = [line(headers), ...cells.map(line)];
  process.stdout.write(`${out.join('\n')}\n`);
}

export function printLines(...lines: string[]): void {
  process.stdout.write(`${lines.join('\n')}\n`);
}
