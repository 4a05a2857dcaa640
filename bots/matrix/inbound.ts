// What a sync means to Parley: a message that is one of our commands goes to the core and its answer back to
// the room; an invitation goes to ./invitations.ts; the bot kicked or banned marks the channel; encryption turned
// on in a room is refused there once.
import type { Logger } from '../../lib/log.js';
import { parseTextCommand, type CommandInvocation } from '../../lib/seams/invocation.js';
import type { AdapterDeps } from '../../lib/seams/platform.js';
import type { MatrixApi, RoomEvent, StrippedStateEvent, SyncResponse } from './client.js';
import type { MatrixContext } from './context.js';
import { isEdit, localpart, threadOf } from './events.js';
import type { MatrixInvitations } from './invitations.js';
import type { MatrixSender } from './sender.js';
import type { SyncHandler } from './receiver-sync.js';

/** The room's name from stripped or full state, else null. */
function nameFrom(events: readonly (StrippedStateEvent | RoomEvent)[]): string | null {
  for (const e of events) {
    if (e.type === 'm.room.name' && typeof e.content.name === 'string' && e.content.name.trim()) return e.content.name.trim();
  }
  for (const e of events) {
    if (e.type === 'm.room.canonical_alias' && typeof e.content.alias === 'string') return e.content.alias;
  }
  return null;
}

export class MatrixInbound implements SyncHandler {
  /** The bot's own user id, known once the sync has started. */
  userId = '';

  constructor(
    private readonly deps: Pick<AdapterDeps, 'handleCommand' | 'handleMembership' | 'store'>,
    private readonly api: MatrixApi,
    private readonly sender: MatrixSender,
    private readonly invitations: MatrixInvitations,
    private readonly log: Logger,
  ) {}

  async handle(response: SyncResponse, initial: boolean): Promise<void> {
    this.userId ||= await this.api.userId();
    const rooms = response.rooms ?? {};
    for (const [roomId, room] of Object.entries(rooms.invite ?? {})) await this.onInvite(roomId, room.invite_state?.events ?? []);
    // The first sync's timelines are history, not news: their commands were answered, or are too old to answer.
    if (initial) return;
    for (const [roomId, room] of Object.entries(rooms.join ?? {})) {
      if (room.timeline?.limited) this.log.warn({ roomId }, 'matrix: more happened in a room than one sync holds; older messages of the gap are not read as commands');
      for (const event of room.timeline?.events ?? []) await this.onRoomEvent(roomId, event);
    }
    for (const [roomId, room] of Object.entries(rooms.leave ?? {})) {
      for (const event of room.timeline?.events ?? []) await this.onLeaveEvent(roomId, event);
    }
  }

  tick(): Promise<void> {
    return this.invitations.reconcile();
  }

  private async onInvite(roomId: string, state: readonly StrippedStateEvent[]): Promise<void> {
    const invite = state.find((e) => e.type === 'm.room.member' && e.state_key === this.userId && e.content.membership === 'invite');
    if (!invite) return;
    await this.invitations.invited({ roomId, inviter: invite.sender, name: nameFrom(state) ?? roomId, encrypted: state.some((e) => e.type === 'm.room.encryption') });
  }

  private async onRoomEvent(roomId: string, event: RoomEvent): Promise<void> {
    if (event.type === 'm.room.encryption') return this.invitations.encrypted(roomId);
    if (event.type !== 'm.room.message' || event.sender === this.userId) return;
    // Notices are what bots send: answering them is how two bots start talking to each other forever.
    if (event.content.msgtype !== 'm.text' || typeof event.content.body !== 'string' || isEdit(event)) return;
    const parsed = parseTextCommand(event.content.body);
    if (!parsed) return;
    // A batch read again after a crash must not run its commands twice.
    if (!(await this.deps.store.inboundEvents.record('matrix', event.event_id))) return;

    const invocation = await this.invocationOf(roomId, event, parsed.command, parsed.args);
    const reply = await this.deps.handleCommand(invocation);
    await this.sender.replyLater(invocation, reply).catch((err: Error) => this.log.warn({ err: err.message, roomId }, 'matrix: could not answer a command'));
  }

  /** The bot's own membership in a room it is no longer in: kicked, banned, or an invitation withdrawn. */
  private async onLeaveEvent(roomId: string, event: RoomEvent): Promise<void> {
    if (event.type !== 'm.room.member' || event.state_key !== this.userId) return;
    const membership = event.content.membership;
    // Leaving by itself (declining an invitation, leaving when told to) is Parley's own doing.
    if (event.sender === this.userId || (membership !== 'leave' && membership !== 'ban')) return;
    if (await this.invitations.withdrawn(roomId, event.sender)) return;
    const why = typeof event.content.reason === 'string' && event.content.reason.trim() ? `: "${event.content.reason.trim()}"` : '';
    const reason =
      membership === 'ban'
        ? { code: 'bot_banned', message: `The bot was banned from this room by ${event.sender}${why}: unban and invite it again` }
        : { code: 'bot_removed', message: `The bot was removed from this room by ${event.sender}${why}: invite it again` };
    await this.deps.handleMembership({ platform: 'matrix', channel: { externalId: roomId, name: roomId, isPrivate: false }, by: { id: event.sender, username: event.sender, displayName: event.sender }, change: 'removed', reason });
  }

  private async invocationOf(roomId: string, event: RoomEvent, command: string, args: string): Promise<CommandInvocation<MatrixContext>> {
    const [channel, displayName] = await Promise.all([this.deps.store.channels.find('matrix', roomId), this.displayName(roomId, event.sender)]);
    const threadRoot = threadOf(event);
    return {
      platform: 'matrix',
      command,
      args,
      channel: { externalId: roomId, name: channel?.name || (await this.roomName(roomId)), isPrivate: false },
      // `ignore:bob` and the forum's same-username link read the localpart of @bob:example.org.
      user: { id: event.sender, username: localpart(event.sender), displayName },
      // The transcript leaves the command out; answers reply to it.
      commandMessageId: event.event_id,
      ...(threadRoot ? { platformContext: { threadRoot } } : {}),
    };
  }

  private async displayName(roomId: string, userId: string): Promise<string> {
    const member = await this.api.state(roomId, 'm.room.member', userId).catch(() => null);
    return typeof member?.displayname === 'string' && member.displayname.trim() ? member.displayname.trim() : userId;
  }

  private async roomName(roomId: string): Promise<string> {
    const name = await this.api.state(roomId, 'm.room.name').catch(() => null);
    return typeof name?.name === 'string' && name.name.trim() ? name.name.trim() : roomId;
  }
}
