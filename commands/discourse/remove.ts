// `/discourse remove N...`: numbers as shown by status; all of them or none.
import { formatScope, sortForStatus } from '../../lib/rules.js';
import type { CommandContext } from '../context.js';
import { text } from '../messages.js';
import { canChangeRules, channelAcceptsChanges, firstRefusal } from '../permissions.js';
import { ephemeral, toChannel } from '../reply.js';
import type { CommandReply } from '../../lib/seams/invocation.js';

export async function remove(ctx: CommandContext, command: { numbers: number[] }): Promise<CommandReply> {
  const allowed = await firstRefusal(
    () => channelAcceptsChanges(ctx),
    () => canChangeRules(ctx),
  );
  if (!allowed.ok) return ephemeral(allowed.message);
  const rules = sortForStatus(await ctx.deps.store.rules.list(ctx.channel.id));
  if (rules.length === 0) return ephemeral(text('rules.remove_nothing', { cmd: ctx.cmd }));
  const wrong = command.numbers.filter((n) => n > rules.length);
  if (wrong.length > 0) return ephemeral(text('rules.remove_out_of_range', { cmd: ctx.cmd, wrong, count: rules.length }));

  const targets = command.numbers.map((n) => rules[n - 1]!);
  for (const rule of targets) await ctx.deps.store.rules.remove(rule.id);

  const remaining = sortForStatus(await ctx.deps.store.rules.list(ctx.channel.id));
  const who = ctx.invocation.user.displayName || ctx.invocation.user.username;
  const removed = targets.map((r) => `${r.filter} ${formatScope(r.scope)}`);
  return toChannel(text('rules.removed', { who, removed, rules: remaining }));
}
