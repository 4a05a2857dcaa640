// Mattermost's double for the conformance suite: the stateful fake of test/helpers/fake-mattermost.ts (channel
// history, users by id and name), given the rest of what Parley's bot account does through its `check` hook:
// posts created, patched and deleted, each request checked as Mattermost checks it (bot token, channel, thread
// root) and answered as Mattermost answers (server/channels/api4/post.go, app/slack.go):
//   - PUT /posts/{id}/patch of a post that is gone: 403 api.context.permissions.app_error (postPatchChecks
//     answers a failed GetSinglePost with a permission error), DELETE /posts/{id}: 404 app.post.get.app_error;
//   - the failures of failNext: 429 with Retry-After, 500, 400 "can not post to deleted channel" (archived),
//     403 api.context.permissions.app_error (the bot is no longer in the channel);
//   - mentions are read in the post's message and its attachments' pretext, text and field values, after the
//     server's Slack compatibility (`<!channel>` → `@channel`, applied to webhook and attachment text).
// The adapter is configured as the registry entry reads its variables: a bot token (REST: threads, edits, history)
// and a slash command token; slash commands come in over HTTP to its route on Parley's own Fastify server.
import type { AddressInfo } from 'node:net';
import type { MattermostChannelPost, MattermostUserProfile } from '../../bots/mattermost/client.js';
import { createHttpServer } from '../../lib/http/server.js';
import { silentLogger } from '../../lib/log.js';
import { startFakeMattermost, type Answer, type RecordedRequest } from '../helpers/fake-mattermost.js';
import { type ConformanceHarness, type Failure, type Rig, type Shown } from './harness.js';

const BOT_TOKEN = 'conformance-bot-token-5b9q7xw1ms3k';
const COMMAND_TOKEN = 'conformance-command-token-8f2ha6';

/** Mattermost ids are 26 characters. */
const id26 = (name: string) => name.padEnd(26, '0');
const CHANNEL_ID = id26('confchannel');
const TEAM_ID = id26('confteam');
const BOT: MattermostUserProfile = { id: id26('parleybot'), username: 'parley', roles: 'system_user', is_bot: true };
const ALICE: MattermostUserProfile = { id: id26('alice'), username: 'alice', roles: 'system_user', first_name: 'Alice' };

const appError = (status: number, id: string, message: string): Answer => ({ status, body: { id, message, detailed_error: '', request_id: id26('request'), status_code: status } });
const NO_PERMISSION = appError(403, 'api.context.permissions.app_error', 'You do not have the appropriate permissions.');
const POST_NOT_FOUND = appError(404, 'app.post.get.app_error', 'Unable to get the post.');

function realAnswer(failure: Failure, retryAfterSeconds: number): Answer {
  switch (failure) {
    case 'rate-limit':
      // Mattermost's rate limiter (throttled): the limit headers and a plain-text body.
      return {
        status: 429,
        body: 'limit exceeded',
        headers: { 'content-type': 'text/plain; charset=utf-8', 'retry-after': String(retryAfterSeconds), 'x-ratelimit-limit': '10', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(retryAfterSeconds) },
      };
    case 'server-error':
      return appError(500, 'app.post.save.app_error', 'Unable to save the post.');
    case 'channel-gone':
      return appError(400, 'api.post.create_post.can_not_post_to_deleted.error', 'Can not post to deleted channel.');
    case 'bot-removed':
      return NO_PERMISSION;
  }
}

/** A Mattermost post as the fake keeps it: what history serves, plus what a notification carries. */
type Post = MattermostChannelPost & { update_at: number; pending_post_id?: string };

interface Attachment {
  author_name?: string;
  title?: string;
  title_link?: string;
  pretext?: string;
  text?: string;
  fields?: { title?: string; value?: string | number | boolean }[];
}

const attachmentsOf = (post: Post): Attachment[] => (Array.isArray(post.props?.attachments) ? (post.props.attachments as Attachment[]) : []);

/** Markdown as Mattermost shows it, for the parts a test reads: backslash escapes undone. */
const renderMarkdown = (text: string) => text.replace(/\\([\\`*_[\]#>|~])/gu, '$1');

/** The server's Slack compatibility (app/slack.go expandAnnouncement), run on attachment and webhook text. */
const expandAnnouncements = (text: string) => text.replace(/<!channel>/gu, '@channel').replace(/<!here>/gu, '@here').replace(/<!all>/gu, '@all');

const POST_PATH = /^\/api\/v4\/posts\/([a-z0-9]+)(\/patch)?$/u;

export const mattermostHarness: ConformanceHarness = {
  platform: 'mattermost',
  async setup({ factory, store, deps }): Promise<Rig> {
    const posts: Post[] = [];
    const failures: Answer[] = [];
    let lastCreateAt = 0;
    let nextId = 0;
    const find = (id: string) => posts.find((p) => p.id === id && p.channel_id === CHANNEL_ID);
    const alive = (id: string) => {
      const post = find(id);
      return post && !(post.delete_at ?? 0) ? post : undefined;
    };

    async function check(req: RecordedRequest): Promise<Answer | null> {
      // A slash command's response_url (late answers): the URL is its own credential.
      if (req.path.startsWith('/hooks/commands/')) return { status: 200, body: 'ok' };
      if (req.headers.authorization !== `Bearer ${BOT_TOKEN}`) return appError(401, 'api.context.session_expired.app_error', 'Invalid or expired session, please login again.');

      const postPath = POST_PATH.exec(req.path);
      const sending = (req.method === 'POST' && req.path === '/api/v4/posts') || (postPath && (req.method === 'DELETE' || (req.method === 'PUT' && postPath[2])));
      if (sending && failures.length > 0) return failures.shift()!;

      if (req.method === 'POST' && req.path === '/api/v4/posts') {
        if (!/application\/json/u.test(String(req.headers['content-type']))) return appError(400, 'api.context.invalid_body_param.app_error', 'Invalid or missing post in request body.');
        const input = JSON.parse(req.body) as { channel_id?: string; message?: string; root_id?: string; props?: Record<string, unknown>; pending_post_id?: string };
        // The bot is in this one channel only.
        if (input.channel_id !== CHANNEL_ID) return NO_PERMISSION;
        if (input.root_id) {
          const root = alive(input.root_id);
          if (!root || root.root_id) return appError(400, 'api.post.create_post.root_id.app_error', 'Invalid RootId parameter.');
        }
        lastCreateAt = Math.max(Date.now(), lastCreateAt + 1);
        const post: Post = {
          id: id26(`post${nextId++}`),
          create_at: lastCreateAt,
          update_at: lastCreateAt,
          delete_at: 0,
          user_id: BOT.id,
          channel_id: CHANNEL_ID,
          root_id: input.root_id ?? '',
          message: input.message ?? '',
          type: '',
          props: input.props ?? {},
          ...(input.pending_post_id ? { pending_post_id: input.pending_post_id } : {}),
        };
        posts.push(post);
        return { status: 201, body: post };
      }
      if (postPath && req.method === 'PUT' && postPath[2]) {
        const post = alive(postPath[1]!);
        if (!post) return NO_PERMISSION;
        const patch = JSON.parse(req.body) as { message?: string; props?: Record<string, unknown> };
        if (patch.message !== undefined) post.message = patch.message;
        if (patch.props !== undefined) post.props = patch.props;
        post.update_at = Date.now();
        return { status: 200, body: post };
      }
      if (postPath && req.method === 'DELETE' && !postPath[2]) {
        const post = alive(postPath[1]!);
        if (!post) return POST_NOT_FOUND;
        post.delete_at = Date.now();
        return { status: 200, body: { status: 'OK' } };
      }
      if (postPath && req.method === 'GET' && !postPath[2]) {
        const post = alive(postPath[1]!);
        return post ? { status: 200, body: post } : POST_NOT_FOUND;
      }
      if (req.method === 'GET' && req.path === '/api/v4/users/me') return { status: 200, body: BOT };
      // History, users by id and by name: the fake's own answers.
      return null;
    }

    const fake = await startFakeMattermost({ channelId: CHANNEL_ID, posts, users: [BOT, ALICE], check });
    const { platform, problems } = factory.configure(
      { PARLEY_MATTERMOST_URL: fake.url, PARLEY_MATTERMOST_TOKEN: BOT_TOKEN, PARLEY_MATTERMOST_COMMAND_TOKEN: COMMAND_TOKEN },
      { publicUrl: null },
    );
    if (!platform) throw new Error(`mattermost did not configure against the fake: ${problems.join('; ')}`);
    const adapter = await platform.create(deps);
    const { channel } = await store.channels.ensure({ platform: 'mattermost', externalId: CHANNEL_ID, name: 'acme/conformance', status: 'active', addedBy: 'cli' });

    // Parley's own HTTP server, listening: Mattermost POSTs slash commands to it.
    const app = createHttpServer({ log: silentLogger, checks: {} });
    adapter.registerRoutes?.(app);
    await app.listen({ port: 0, host: '127.0.0.1' });
    await adapter.start();
    const parleyUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    let commandCount = 0;

    return {
      adapter,
      channel,
      user: { id: ALICE.id, username: ALICE.username, displayName: ALICE.username },
      secrets: [BOT_TOKEN, COMMAND_TOKEN],

      async shown(ref): Promise<Shown | undefined> {
        const post = alive(ref);
        if (!post) return undefined;
        const parts = [renderMarkdown(post.message)];
        const links: string[] = [];
        for (const a of attachmentsOf(post)) {
          // Author and title are plain text in an attachment; text, pretext and field values are Markdown.
          parts.push(a.pretext ? renderMarkdown(a.pretext) : '', a.author_name ?? '', a.title ?? '', renderMarkdown(a.text ?? ''));
          for (const f of a.fields ?? []) parts.push(`${f.title ?? ''}: ${renderMarkdown(String(f.value ?? ''))}`);
          if (a.title_link) links.push(a.title_link);
          links.push(...(a.text ?? '').match(/https?:\/\/[^\s<>)]+/gu) ?? []);
        }
        return { text: parts.filter(Boolean).join('\n'), links };
      },
      async mentionable(ref) {
        const post = find(ref);
        if (!post) return '';
        const fields = [post.message, ...attachmentsOf(post).flatMap((a) => [a.pretext ?? '', a.text ?? '', ...(a.fields ?? []).map((f) => String(f.value ?? ''))])];
        return fields.map(expandAnnouncements).join('\n');
      },
      async replyTarget(ref) {
        return find(ref)?.root_id || null;
      },
      async vanish(ref) {
        const post = alive(ref);
        if (!post) throw new Error(`no post ${ref} to delete`);
        post.delete_at = Date.now();
      },
      failNext(failure, opts = {}) {
        failures.push(realAnswer(failure, opts.retryAfterSeconds ?? 5));
      },

      async typeCommand(text) {
        // `/discourse status` typed in the channel: Mattermost POSTs the slash command, form-encoded, with its token.
        const match = /^\/(\S+)\s*([\s\S]*)$/u.exec(text);
        if (!match) throw new Error(`"${text}" is not a slash command`);
        const form = new URLSearchParams({
          channel_id: CHANNEL_ID,
          channel_name: 'conformance',
          command: `/${match[1]!}`,
          response_url: `${fake.url}/hooks/commands/${id26(`response${commandCount++}`)}`,
          team_domain: 'acme',
          team_id: TEAM_ID,
          text: match[2]!,
          token: COMMAND_TOKEN,
          trigger_id: id26('trigger'),
          user_id: ALICE.id,
          user_name: ALICE.username,
        });
        const res = await fetch(`${parleyUrl}/hooks/mattermost/command`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Token ${COMMAND_TOKEN}`, accept: 'application/json' },
          body: form.toString(),
          signal: AbortSignal.timeout(5000),
        });
        if (res.status !== 200) throw new Error(`the slash command was answered ${res.status}: ${await res.text()}`);
        const answer = (await res.json()) as { text?: string };
        return renderMarkdown(answer.text ?? '');
      },

      async postHistory(messages) {
        for (const [i, m] of messages.entries()) {
          posts.push({ id: id26(`history${nextId++}x${i}`), create_at: m.at.getTime(), update_at: m.at.getTime(), delete_at: 0, user_id: ALICE.id, channel_id: CHANNEL_ID, root_id: '', message: m.text, type: '', props: {} });
        }
      },

      withoutMembership:
        'Mattermost tells a slash-command integration nothing when its bot account is added to a channel or removed (only the websocket or a plugin hears it); the adapter has no membership path',


      async teardown() {
        await adapter.stop();
        await app.close();
        await fake.stop();
      },
    };
  },
};
