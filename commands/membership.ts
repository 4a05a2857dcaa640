// The bot added to a room or removed from it. Added by someone who may change rules there: the channel is
// active at once. Added by anyone else: it is pending until an admin approves it (parley channels add), so a
// stranger cannot point the forum's posts at a room of their choosing. Removed: the channel is marked, so
// admins see it before the next delivery fails.
import type { CommandDeps } from './context.js';
import { commandPrefix, text } from './messages.js';
import { canChangeRules, forumAdminOnce } from './permissions.js';
import type { CommandInvocation, CommandReply, MembershipChange } from '../lib/seams/invocation.js';


/** Returns what to say in the room (nothing after a removal, or when nothing changed). */
export async function handleMembership(change: MembershipChange, deps: CommandDeps): Promise<CommandReply | null> {
  const { platform, channel: room, by } = change;
  const existing = await deps.store.channels.find(platform, room.externalId);

  if (change.change === 'removed') {
    if (existing) {
      const error = change.reason ?? { code: 'bot_removed', message: `The bot was removed from this chat${by ? ` by ${by.username || by.id}` : ''}: add it again` };
      await deps.store.channels.setError(existing.id, error);
      deps.log.info({ platform, channelId: existing.id }, 'bot removed from a channel');
    }
    return null;
  }

  // A private chat is the person themselves: their first command registers it.
  if (room.isPrivate) return null;
  if (existing?.status === 'active') return null;

  const allowed = change.inviterAllowed === true || (by && !change.onlyListedInviters ? await inviterMayChangeRules(change, by, deps) : false);
  const status = allowed ? 'active' : 'pending';
  const actor = by ? `${platform}:${by.id}` : null;
  if (existing) {
    // Back after a removal, or approved by an allowed inviter: active again; a pending one stays pending.
    if (allowed) {
      await deps.store.channels.update(existing.id, { status: 'active' });
    } else if (existing.status === 'error') {
      await deps.store.channels.update(existing.id, { status: 'pending' });
    }
  } else {
    await deps.store.channels.ensure({ platform, externalId: room.externalId, name: room.name, status, addedBy: actor });
  }
  deps.log.info({ platform, externalId: room.externalId, status, addedBy: actor }, 'bot added to a channel');
  const cmd = commandPrefix(deps.platforms(platform));
  return {
    text: allowed ? text('membership.active', { cmd }) : text('membership.pending', { platform, externalId: room.externalId, cmd }),
    visibility: 'channel',
  };
}

/** The same check as for changing rules (PARLEY_RULES_PERMISSION), asked about the inviter. */
async function inviterMayChangeRules(change: MembershipChange, by: NonNullable<MembershipChange['by']>, deps: CommandDeps): Promise<boolean> {
  const invocation: CommandInvocation = { platform: change.platform, command: 'discourse', args: '', channel: change.channel, user: by };
  return (await canChangeRules({ invocation, deps, forumAdmin: forumAdminOnce(invocation, deps) })).ok;
}
