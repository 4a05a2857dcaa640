// Tells the rest of Parley that rules changed. The rules are already saved: a failing listener is
// logged, never turned into a failed command.
import type { CommandContext } from '../context.js';

export function notifyRulesChanged(ctx: CommandContext): void {
  try {
    ctx.deps.onRulesChanged?.();
  } catch (err) {
    ctx.deps.log.error({ err }, 'onRulesChanged failed after a rule change');
  }
}
