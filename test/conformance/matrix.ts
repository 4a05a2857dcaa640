// Matrix's double for the conformance suite: the stateful fake homeserver of test/helpers/fake-matrix.ts (rooms,
// timelines, invitations, transactions; every request checked against the Matrix client-server spec), the adapter
// configured from the registry entry's own variables and syncing from it. Failures are answered as Synapse
// answers them: 429 M_LIMIT_EXCEEDED with retry_after_ms, 500 M_UNKNOWN, 404 M_NOT_FOUND for an unknown room,
// 403 M_FORBIDDEN "not in room" for a bot that was kicked.
import { htmlAttribute, htmlText } from '../helpers/html-text.js';
import { startFakeMatrix, type FakeMatrix, type MatrixFault } from '../helpers/fake-matrix.js';
import { eventually, type ConformanceHarness, type Failure, type Rig, type Shown } from './harness.js';

const ALICE = '@alice:example.org';
/** The requests that send, edit or redact. */
const SENDING = /\/rooms\/[^/]+\/(send|redact)\//u;

function realAnswer(failure: Failure, retryAfterSeconds: number, botUserId: string, roomId: string): MatrixFault {
  switch (failure) {
    case 'rate-limit':
      return { method: 'PUT', path: SENDING, status: 429, body: { errcode: 'M_LIMIT_EXCEEDED', error: 'Too Many Requests', retry_after_ms: retryAfterSeconds * 1000 } };
    case 'server-error':
      return { method: 'PUT', path: SENDING, status: 500, body: { errcode: 'M_UNKNOWN', error: 'Internal server error' } };
    case 'channel-gone':
      return { method: 'PUT', path: SENDING, status: 404, body: { errcode: 'M_NOT_FOUND', error: `Unknown room ${roomId}` } };
    case 'bot-removed':
      return { method: 'PUT', path: SENDING, status: 403, body: { errcode: 'M_FORBIDDEN', error: `User ${botUserId} not in room ${roomId}` } };
  }
}

/** A string field of a content, or ''. */
const field = (content: Record<string, unknown>, key: string): string => (typeof content[key] === 'string' ? content[key] : '');

/** What Element shows for a message: the HTML rendered to its text (or the plain body), and its links. */
function render(content: Record<string, unknown>): Shown {
  const html = typeof content.formatted_body === 'string' ? content.formatted_body : null;
  if (html === null) return { text: field(content, 'body'), links: [] };
  return { text: htmlText(html), links: [...html.matchAll(/<a href="([^"]*)"/gu)].map((m) => htmlAttribute(m[1]!)) };
}

/** A message's content as clients show it now: the latest edit's new content, or null once redacted. */
function current(fake: FakeMatrix, roomId: string, eventId: string): Record<string, unknown> | null | undefined {
  const events = fake.events(roomId);
  const event = events.find((e) => e.event_id === eventId);
  if (!event) return undefined;
  if (events.some((e) => e.type === 'm.room.redaction' && e.redacts === eventId)) return null;
  const edit = events.filter((e) => (e.content['m.relates_to'] as { rel_type?: string; event_id?: string } | undefined)?.rel_type === 'm.replace' && (e.content['m.relates_to'] as { event_id?: string }).event_id === eventId).at(-1);
  return (edit?.content['m.new_content'] as Record<string, unknown> | undefined) ?? event.content;
}

export const matrixHarness: ConformanceHarness = {
  platform: 'matrix',
  async setup({ factory, store, deps }): Promise<Rig> {
    const fake = await startFakeMatrix();
    const roomId = fake.createRoom({ creator: ALICE, name: 'Conformance room', members: [fake.botUserId], displayNames: { [ALICE]: 'Alice' } });
    const { platform, problems } = factory.configure({ PARLEY_MATRIX_HOMESERVER_URL: fake.url, PARLEY_MATRIX_ACCESS_TOKEN: fake.accessToken }, { publicUrl: null });
    if (!platform) throw new Error(`matrix did not configure against the fake: ${problems.join('; ')}`);
    const adapter = await platform.create(deps);
    const { channel } = await store.channels.ensure({ platform: 'matrix', externalId: roomId, name: 'Conformance room', status: 'active', addedBy: 'cli' });
    await adapter.start();

    return {
      adapter,
      channel,
      user: { id: ALICE, username: 'alice', displayName: 'Alice' },
      secrets: [fake.accessToken],

      async shown(ref) {
        const content = current(fake, roomId, ref);
        return content ? render(content) : undefined;
      },
      async mentionable(ref) {
        // Clients without intentional mentions match the body and the HTML against names and @room.
        const content = current(fake, roomId, ref);
        return content ? `${field(content, 'body')}\n${field(content, 'formatted_body')}` : '';
      },
      async replyTarget(ref) {
        const rel = fake.events(roomId).find((e) => e.event_id === ref)?.content['m.relates_to'] as { rel_type?: string; event_id?: string; 'm.in_reply_to'?: { event_id?: string } } | undefined;
        if (rel?.rel_type === 'm.thread') return rel.event_id ?? null;
        return rel?.['m.in_reply_to']?.event_id ?? null;
      },
      async vanish(ref) {
        // A room moderator redacts it.
        fake.redact(roomId, ALICE, ref);
      },
      failNext(failure, opts = {}) {
        fake.fail({ ...realAnswer(failure, opts.retryAfterSeconds ?? 5, fake.botUserId, roomId), times: 1 });
      },

      async typeCommand(text) {
        const commandId = fake.sendMessage(roomId, ALICE, { msgtype: 'm.text', body: text.replace(/^\//u, '!') });
        const reply = await eventually(
          () => fake.botMessages(roomId).find((m) => (m.content['m.relates_to'] as { 'm.in_reply_to'?: { event_id?: string } } | undefined)?.['m.in_reply_to']?.event_id === commandId),
          `the bot's answer to "${text}"`,
        );
        return render(reply.content).text;
      },
      async postHistory(messages) {
        // A room's timeline is in the order things happened.
        for (const m of [...messages].sort((a, b) => a.at.getTime() - b.at.getTime())) fake.sendMessage(roomId, ALICE, { msgtype: 'm.text', body: m.text }, { ts: m.at.getTime() });
      },
      async addBotToChannel() {
        fake.leave(roomId, fake.botUserId);
        fake.invite(roomId, ALICE);
      },
      async removeBot() {
        // Invited again above, the bot joined the active channel at once; now it is kicked.
        await eventually(() => (fake.membership(roomId, fake.botUserId) === 'join' ? true : undefined), 'the bot joining on the invitation');
        fake.kick(roomId, ALICE, fake.botUserId, 'conformance');
      },

      async teardown() {
        await adapter.stop();
        await fake.close();
        const problems = [...fake.violations, ...fake.responseViolations];
        if (problems.length > 0) throw new Error(`requests or answers Matrix's spec does not allow: ${JSON.stringify(problems)}`);
      },
    };
  },
};
