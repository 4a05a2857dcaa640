// The command core's entry point: adapters hand it an invocation and show the reply. Never throws:
// an unexpected error is logged with an id and the user gets a reply naming that id.
import { randomUUID } from 'node:crypto';
import type { CommandDeps, CommandContext } from './context.js';
import { help } from './rules/help.js';
import { remove } from './rules/remove.js';
import { status } from './rules/status.js';
import { subscribe } from './rules/subscribe.js';
import { isParseFailure, parseRulesCommand } from './grammar.js';
import { commandPrefix, text } from './messages.js';
import { forumAdminOnce } from './permissions.js';
import { discourseSource } from '../lib/discourse/source.js';
import { gitlabSource } from '../lib/gitlab/source.js';
import type { SourceProfile } from '../lib/seams/source.js';
import { ephemeral } from './reply.js';
import { COMMAND_WORDS, type CommandInvocation, type CommandReply, type CommandWord } from '../lib/seams/invocation.js';
import type { ChannelRecord } from '../lib/seams/store.js';
import { topic } from './topic/handler.js';

type CommandHandler = (invocation: CommandInvocation, deps: CommandDeps) => Promise<CommandReply>;

/** The first command in a chat registers it; an existing channel is returned unchanged. */
async function registerChannel(invocation: CommandInvocation, deps: CommandDeps): Promise<ChannelRecord> {
  const actor = `${invocation.platform}:${invocation.user.id}`;
  const { channel, created } = await deps.store.channels.ensure({
    platform: invocation.platform,
    externalId: invocation.channel.externalId,
    name: invocation.channel.name,
    status: 'active',
    addedBy: actor,
  });
  if (created) deps.log.info({ platform: channel.platform, channelId: channel.id, addedBy: actor }, 'channel registered by its first command');
  return channel;
}

/** `/discourse …` and `/gitlab …`: one grammar, each source's own rules. */
async function rules(source: SourceProfile, invocation: CommandInvocation, deps: CommandDeps): Promise<CommandReply> {
  const actor = `${invocation.platform}:${invocation.user.id}`;
  const profile = deps.platforms(invocation.platform);
  const cmd = commandPrefix(profile, source.command);
  if (source.name === 'gitlab' && !deps.gitlab) return ephemeral(text('gitlab.not_configured', { cmd }));
  const channel = await registerChannel(invocation, deps);

  const parsed = parseRulesCommand(invocation.args, { cmd, source: source.name });
  if (isParseFailure(parsed)) return ephemeral(parsed.message);

  const ctx: CommandContext = { invocation, deps, channel, source, cmd, profile, actor, forumAdmin: forumAdminOnce(invocation, deps) };
  switch (parsed.kind) {
    case 'help':
      return help(ctx);
    case 'status':
      return status(ctx);
    case 'subscribe':
      return subscribe(ctx, parsed);
    case 'remove':
      return remove(ctx, parsed);
  }
}

/** Command word → handler: one for each word adapters recognise (a missing one does not type-check). */
const COMMANDS = new Map<string, CommandHandler>(Object.entries({
  discourse: (invocation, deps) => rules(discourseSource, invocation, deps),
  gitlab: (invocation, deps) => rules(gitlabSource, invocation, deps),
  topic: async (invocation, deps) => topic(invocation, deps, await registerChannel(invocation, deps)),
} satisfies Record<CommandWord, CommandHandler>));

/** `/Discourse@ParleyBot` → `discourse`: adapters strip these already, but a stray one costs nothing. */
export function normalizeCommandWord(word: string): string {
  return word.trim().replace(/^[!/]/, '').replace(/@\S*$/, '').toLowerCase();
}

export async function handleCommand(invocation: CommandInvocation, deps: CommandDeps): Promise<CommandReply> {
  const word = normalizeCommandWord(invocation.command);
  try {
    const handler = COMMANDS.get(word);
    if (!handler) {
      const profile = deps.platforms(invocation.platform);
      return ephemeral(text('command.unknown', { word: invocation.command, commands: COMMAND_WORDS.map((c) => commandPrefix(profile, c)) }));
    }
    return await handler(invocation, deps);
  } catch (err) {
    const errorId = randomUUID().slice(0, 8);
    deps.log.error(
      { err, errorId, platform: invocation.platform, channel: invocation.channel.externalId, user: invocation.user.id, command: word, args: invocation.args },
      'command failed',
    );
    return ephemeral(text('command.internal_error', { errorId }));
  }
}
