// What every CLI command shares: the `platform:external-id` channel name, tables and JSON on stdout,
// and CliError, the one way a command says "this was wrong, this would be right" with an exit code.
import { PLATFORM_NAMES, type PlatformName } from '../lib/store/types.js';

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
  return (PLATFORM_NAMES as readonly string[]).includes(word);
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

/**
 * `telegram:-1001234`, `mattermost:4xp9…`, `matrix:!room:example.org`: the platform is everything before
 * the first colon, so external ids may hold colons themselves.
 */
export function parseChannelName(text: string): ChannelName {
  const colon = text.indexOf(':');
  if (colon < 0) {
    throw new CliError(`"${text}" is not a channel: write PLATFORM:ID, as in telegram:-1001234 or mattermost:CHANNEL_ID (platforms: ${PLATFORM_NAMES.join(', ')}).`);
  }
  const platform = parsePlatform(text.slice(0, colon));
  const externalId = text.slice(colon + 1).trim();
  if (externalId === '' || /\s/.test(externalId)) {
    throw new CliError(`"${text}" has no valid channel id after "${platform}:": write ${platform}:ID, the platform's id of the room, without spaces.`);
  }
  return { platform, externalId };
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
