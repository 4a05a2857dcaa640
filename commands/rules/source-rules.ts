// A channel's rules of the command's source, in status order: what `/gitlab status` numbers, `/discourse` never sees.
import { sortForStatus } from '../../lib/rules.js';
import type { RuleRecord } from '../../lib/seams/store.js';
import type { CommandContext } from '../context.js';

export async function sourceRules(ctx: Pick<CommandContext, 'deps' | 'channel' | 'source'>): Promise<RuleRecord[]> {
  return sortForStatus((await ctx.deps.store.rules.list(ctx.channel.id)).filter((r) => r.source === ctx.source.name));
}
