// `/discourse status`: this channel's rules numbered as `remove` expects them, its status and last error.
// Anyone may ask.
import { sortForStatus } from '../../lib/rules.js';
import type { CommandContext } from '../context.js';
import { text } from '../messages.js';
import { ephemeral } from '../reply.js';
import type { CommandReply } from '../../lib/seams/invocation.js';

export async function status(ctx: CommandContext): Promise<CommandReply> {
  const { channel } = ctx;
  const rules = sortForStatus(await ctx.deps.store.rules.list(channel.id));
  const lines = [
    rules.length > 0 ? text('status.rules', { cmd: ctx.cmd, channelName: channel.name || 'this channel', rules }) : text('status.empty', { cmd: ctx.cmd }),
    text('status.channel', { status: channel.status, platform: channel.platform, externalId: channel.externalId }),
  ];
  if (channel.lastError) lines.push(text('status.last_error', channel.lastError));
  return ephemeral(lines.join('\n'));
}
