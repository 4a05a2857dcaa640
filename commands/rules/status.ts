// `/discourse status` (`/gitlab status`): this channel's rules of that source numbered as `remove` expects them,
// its status and last error. Anyone may ask.
import type { CommandContext } from '../context.js';
import { sourceWords, text } from '../messages.js';
import { sourceRules } from './source-rules.js';
import { ephemeral } from '../reply.js';
import type { CommandReply } from '../../lib/seams/invocation.js';

export async function status(ctx: CommandContext): Promise<CommandReply> {
  const { channel } = ctx;
  const rules = await sourceRules(ctx);
  const lines = [
    rules.length > 0
      ? text('status.rules', { cmd: ctx.cmd, channelName: channel.name || 'this channel', rules })
      : text('status.empty', { cmd: ctx.cmd, words: sourceWords(ctx.source) }),
    text('status.channel', { status: channel.status, platform: channel.platform, externalId: channel.externalId }),
  ];
  if (channel.lastError) lines.push(text('status.last_error', channel.lastError));
  return ephemeral(lines.join('\n'));
}
