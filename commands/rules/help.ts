// `/discourse help` (`/gitlab help`): the commands with one example each, and who may change rules here. Anyone may ask.
import type { CommandContext } from '../context.js';
import { text } from '../messages.js';
import { ephemeral } from '../reply.js';
import type { CommandReply } from '../../lib/seams/invocation.js';

export async function help(ctx: CommandContext): Promise<CommandReply> {
  return ephemeral(text(ctx.source.name === 'gitlab' ? 'help.gitlab' : 'help.text', { cmd: ctx.cmd, permission: ctx.deps.config.rulesPermission, moderators: ctx.profile.moderators }));
}
