// Rooms and invitations (docs/rules.md#matrix-invitations). Invited by someone PARLEY_MATRIX_ALLOWED_INVITERS
// names (or whom the core lets change rules, such as a user linked to a forum admin), the bot joins at once and
// the room is an active channel. Invited by anyone else, it does not join: the room is a pending channel until an
// admin accepts it (`parley channels accept`, then the bot joins) or declines it (`parley channels decline`,
// then it declines the invitation); unanswered, the invitation is declined after PARLEY_MATRIX_INVITE_EXPIRY_HOURS.
// Outstanding invitations are kept in the store (platform state), so they outlive a restart; the CLI changes
// only the channel, and the sync loop acts on it at its next turn (tick()).
import { globMatcher } from '../../lib/adapters/glob.js';
import { PlatformPermanentError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import type { AdapterDeps } from '../../lib/seams/platform.js';
import type { MatrixApi } from './client.js';
import { mapMatrixError } from './errors.js';
import { ENCRYPTED_ROOM_ERROR, type MatrixSender } from './sender.js';
import type { MatrixSettings } from './settings.js';

const INVITE_PREFIX = 'invite:';

/** Said once in a room that turns out to be encrypted. */
export const ENCRYPTED_ROOM_TEXT =
  'This room is end-to-end encrypted. Parley cannot read or send encrypted messages, so it will not post here or answer commands: use an unencrypted room for forum notifications.';
/** Said when an admin's acceptance lets the bot join. */
export const ACCEPTED_TEXT = 'An admin accepted the invitation: Parley is active here. Type !discourse help to see what it can do.';

/** `72 hours`, `1.5 hours`, `30 minutes`, `2 seconds`: PARLEY_MATRIX_INVITE_EXPIRY_HOURS as people read it. */
export function describeDuration(ms: number): string {
  const [value, unit] = ms >= 3_600_000 ? [ms / 3_600_000, 'hour'] : ms >= 60_000 ? [ms / 60_000, 'minute'] : [ms / 1000, 'second'];
  const shown = Number(value.toFixed(value < 10 ? 2 : 1));
  return `${shown} ${unit}${shown === 1 ? '' : 's'}`;
}

interface StoredInvitation {
  inviter: string;
  name: string;
  /** When it arrived, ms since 1970. */
  at: number;
}

export interface Invitation {
  roomId: string;
  inviter: string;
  name: string;
  encrypted: boolean;
}

export class MatrixInvitations {
  private readonly allowed: (userId: string) => boolean;

  constructor(
    private readonly deps: Pick<AdapterDeps, 'handleMembership' | 'store'>,
    private readonly api: MatrixApi,
    private readonly sender: MatrixSender,
    private readonly settings: Pick<MatrixSettings, 'allowedInviters' | 'inviteExpiryMs'>,
    private readonly log: Logger,
  ) {
    this.allowed = globMatcher(settings.allowedInviters);
  }

  /** An invitation arrived: register the room (active or pending) and join if it is active. */
  async invited(invitation: Invitation): Promise<void> {
    const { roomId, inviter, name } = invitation;
    const stored: StoredInvitation = { inviter, name, at: Date.now() };
    await this.deps.store.platformState.set('matrix', INVITE_PREFIX + roomId, JSON.stringify(stored));
    const reply = await this.deps.handleMembership({
      platform: 'matrix',
      channel: { externalId: roomId, name, isPrivate: false },
      by: { id: inviter, username: inviter, displayName: inviter },
      change: 'added',
      inviterAllowed: this.allowed(inviter),
    });
    const channel = await this.deps.store.channels.find('matrix', roomId);
    if (channel?.status === 'active') return this.join(roomId, stored, reply?.text ?? null);
    const encrypted = invitation.encrypted ? ' The room is end-to-end encrypted, which Parley does not support.' : '';
    this.log.info({ roomId, inviter }, `matrix: invited by someone not allowed to add rooms; pending until an admin runs parley channels accept matrix:${roomId} (or decline).${encrypted}`);
  }

  /** The invitations an admin answered, or that expired, acted on. Never throws. */
  async reconcile(): Promise<void> {
    const outstanding = await this.deps.store.platformState.list('matrix', INVITE_PREFIX);
    for (const { key, value } of outstanding) {
      const roomId = key.slice(INVITE_PREFIX.length);
      try {
        const invitation = JSON.parse(value) as StoredInvitation;
        const channel = await this.deps.store.channels.find('matrix', roomId);
        if (!channel) {
          await this.decline(roomId, 'declined by an admin');
        } else if (channel.status === 'active') {
          await this.join(roomId, invitation, ACCEPTED_TEXT);
        } else if (channel.status === 'pending' && Date.now() - invitation.at > this.settings.inviteExpiryMs) {
          await this.decline(roomId, 'expired unanswered');
          await this.deps.store.channels.setError(channel.id, {
            code: 'invite_expired',
            message: `The invitation from ${invitation.inviter} expired unanswered after ${describeDuration(this.settings.inviteExpiryMs)} and was declined: invite the bot again`,
          });
        }
      } catch (err) {
        this.log.warn({ roomId, err: mapMatrixError(err).message }, 'matrix: could not act on an invitation; trying again at the next sync');
      }
    }
  }

  /** The bot's invitation was taken back (or it was kicked before joining). True when it was one we held. */
  async withdrawn(roomId: string, by: string): Promise<boolean> {
    if (!(await this.deps.store.platformState.delete('matrix', INVITE_PREFIX + roomId))) return false;
    const channel = await this.deps.store.channels.find('matrix', roomId);
    if (channel?.status === 'pending') await this.deps.store.channels.setError(channel.id, { code: 'invite_withdrawn', message: `${by} withdrew the invitation: invite the bot again` });
    return true;
  }

  /** Encryption is on in a room: said there once, and its channel is in error rather than sent into blind. */
  async encrypted(roomId: string): Promise<void> {
    const channel = await this.deps.store.channels.find('matrix', roomId);
    if (!channel || (channel.status === 'error' && channel.lastError?.code === 'encrypted_room')) return;
    await this.deps.store.channels.setError(channel.id, { code: 'encrypted_room', message: ENCRYPTED_ROOM_ERROR });
    await this.sender.say(roomId, ENCRYPTED_ROOM_TEXT, `encrypted:${roomId}`).catch((err: unknown) => this.log.warn({ roomId, err: mapMatrixError(err).message }, 'matrix: could not say that the room is encrypted'));
  }

  private async join(roomId: string, invitation: StoredInvitation, greeting: string | null): Promise<void> {
    try {
      await this.api.join(roomId);
    } catch (err) {
      const mapped = mapMatrixError(err);
      if (!(mapped instanceof PlatformPermanentError)) throw mapped;
      // The invitation is gone (withdrawn, the room deleted) or the server refuses: an admin must act.
      await this.deps.store.platformState.delete('matrix', INVITE_PREFIX + roomId);
      const channel = await this.deps.store.channels.find('matrix', roomId);
      if (channel) await this.deps.store.channels.setError(channel.id, { code: 'join_failed', message: `The bot could not join the room: ${mapped.message}` });
      return;
    }
    await this.deps.store.platformState.delete('matrix', INVITE_PREFIX + roomId);
    this.log.info({ roomId, inviter: invitation.inviter }, 'matrix: joined a room');
    // Joined is done: what follows must not fail the sync batch, whose replay would no longer hold the invitation
    // (a kick right after the join comes with the next sync).
    try {
      if (await this.api.state(roomId, 'm.room.encryption')) return await this.encrypted(roomId);
      if (greeting) await this.sender.say(roomId, greeting, `greet:${roomId}:${invitation.at}`);
    } catch (err) {
      this.log.warn({ roomId, err: mapMatrixError(err).message }, 'matrix: joined, but could not check the room or greet it');
    }
  }

  private async decline(roomId: string, why: string): Promise<void> {
    await this.api.leave(roomId, `Parley: the invitation was ${why}`).catch((err: unknown) => {
      const mapped = mapMatrixError(err);
      // Already gone is as good as declined.
      if (!(mapped instanceof PlatformPermanentError)) throw mapped;
    });
    await this.deps.store.platformState.delete('matrix', INVITE_PREFIX + roomId);
    this.log.info({ roomId, why }, 'matrix: declined an invitation');
  }
}
