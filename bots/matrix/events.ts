// Reading room events: their relations (threads, edits) and who sent them. Pure.
import type { RoomEvent } from './client.js';

/** The relation of a message, where it has one (a thread, an edit, a reply). */
function relation(event: Pick<RoomEvent, 'content'>): { rel_type?: string; event_id?: string } | undefined {
  const rel = event.content['m.relates_to'];
  return rel !== null && typeof rel === 'object' ? (rel) : undefined;
}

/** The thread an event is in, if any. */
export function threadOf(event: Pick<RoomEvent, 'content'>): string | undefined {
  const rel = relation(event);
  return rel?.rel_type === 'm.thread' && typeof rel.event_id === 'string' ? rel.event_id : undefined;
}

/** An edit of another message (`m.replace`): not a new command, not a new message. */
export function isEdit(event: Pick<RoomEvent, 'content'>): boolean {
  return relation(event)?.rel_type === 'm.replace';
}

/** The user id's localpart: what `ignore:bob` names for `@bob:example.org`. */
export function localpart(userId: string): string {
  return /^@([^:]+)/u.exec(userId)?.[1] ?? userId;
}
