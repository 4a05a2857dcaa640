// `/discourse remove N...` (`/gitlab remove N...`): numbers as that source's status shows them; all of them or none.
import { formatScope } from '../../lib/rules.js';
import type { CommandContext } from '../context.js';
import { sourceWords, text } from '../messages.js';
import { sourceRules } from './source-rules.js';
import { canChangeRules, channelAcceptsChanges, firstRefusal } from '../permissions.js';
import { ephemeral, toChannel } from '../reply.js';
import type { CommandReply } from '../../lib/seams/invocation.js';

export async function remove(ctx: CommandContext, command: { numbers: number[] }): Promise<CommandReply> {
  const allowed = await firstRefusal(
    () => channelAcceptsChanges(ctx),
    () => canChangeRules(ctx),
  );
  if (!allowed.ok) return ephemeral(allowed.message);
  const words = sourceWords(ctx.source);
  const rules = await sourceRules(ctx);
  if (rules.length === 0) return ephemeral(text('rules.remove_nothing', { cmd: ctx.cmd, words }));
  const wrong = command.numbers.filter((n) => n > rules.length);
  if (wrong.length > 0) return ephemeral(text('rules.remove_out_of_range', { cmd: ctx.cmd, wrong, count: rules.length }));

  const targets = command.numbers.map((n) => rules[n - 1]!);
  for (const rule of targets) await ctx.deps.store.rules.remove(rule.id);

  const remaining = await sourceRules(ctx);
  const who = ctx.invocation.user.displayName || ctx.invocation.user.username;
  const removed = targets.map((r) => `${r.filter} ${formatScope(r.scope)}`);
  return toChannel(text('rules.removed', { who, removed, rules: remaining, words }));
}
