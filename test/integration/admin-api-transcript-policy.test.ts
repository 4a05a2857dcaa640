// Who may post transcripts, as admins set it over the API (GET/PUT/DELETE /api/transcript-policy,
// cli/admin/routes-transcript-policy.ts): kept in the store and read by /topic at each request
// (commands/topic/handler.ts, transcriptPolicy), PARLEY_TRANSCRIPT_GROUPS the default. A chat user whose forum
// account is in a group the API added may post a transcript; removing the group, or the policy, takes that back.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { pino } from 'pino';
import { PLATFORMS } from '../../bots/registry.js';
import type { CommandDeps } from '../../commands/context.js';
import { handleCommand } from '../../commands/dispatch.js';
import { loadConfig } from '../../lib/config.js';
import type { ForumUser } from '../../lib/seams/forum.js';
import type { TranscriptJob } from '../../lib/seams/jobs.js';
import { platformProfiles } from '../../lib/seams/platform.js';
import type { Store } from '../../lib/store/index.js';
import { buildAdminApi } from '../helpers/admin-api.js';

const TOKEN = 'tok-admin-api-transcript-policy-77aa';
const CHAT = { externalId: '-100555', name: 'Support chat', isPrivate: false };
/** Forum users by name: sam is in the forum group support-team, nobody is an admin. */
const FORUM: Record<string, ForumUser> = {
  sam: { username: 'sam', admin: false, moderator: false, groups: ['Support-Team', 'trust_level_1'] },
};

type Policy = { groups: string[]; from: 'admin' | 'environment'; environmentGroups: string[] };

async function build(environmentGroups = 'moderators,staff') {
  const config = loadConfig({ PARLEY_TRANSCRIPT_GROUPS: environmentGroups }, []);
  return { ...(await buildAdminApi({ token: TOKEN, config })), config };
}

async function call(app: FastifyInstance, method: 'GET' | 'PUT' | 'DELETE', payload?: object, status = 200): Promise<Policy> {
  const res: LightMyRequestResponse = await app.inject({ method, url: '/api/transcript-policy', headers: { authorization: `Bearer ${TOKEN}` }, ...(payload ? { payload } : {}) });
  assert.equal(res.statusCode, status, res.body);
  return res.json<Policy>();
}

/** /topic as the command core handles it, for the chat user linked to the forum user sam; the jobs it queued. */
function topicCommand(store: Store, config: ReturnType<typeof loadConfig>) {
  const queued: TranscriptJob[] = [];
  const deps: CommandDeps = {
    store,
    config,
    log: pino({ level: 'silent' }),
    categories: { paths: async () => [], findByPath: async () => null },
    forumUsers: { isAdmin: async () => false },
    memberRole: async () => ({ role: 'member' }),
    platforms: platformProfiles(PLATFORMS.map((p) => p.profile)),
    transcripts: {
      settings: config.transcripts,
      timezone: 'UTC',
      forumUser: async (username) => FORUM[username.toLowerCase()] ?? null,
      enqueue: async (job) => void queued.push(job),
    },
  };
  const say = () => handleCommand({ platform: 'telegram', command: 'topic', args: 'last:5', channel: CHAT, user: { id: '7', username: 'sam_chat', displayName: 'Sam' } }, deps);
  return { say, queued };
}

describe('admin API: the transcript policy', () => {
  test('read from the environment until set; set, read back, and deleted back to the environment', async () => {
    const { app, store } = await build();
    assert.deepEqual(await call(app, 'GET'), { groups: ['moderators', 'staff'], from: 'environment', environmentGroups: ['moderators', 'staff'] });

    const set = await call(app, 'PUT', { groups: [' Support-Team ', 'staff', 'support-team'] });
    assert.deepEqual(set, { groups: ['Support-Team', 'staff'], from: 'admin', environmentGroups: ['moderators', 'staff'] }, 'trimmed, each group once');
    assert.deepEqual(await call(app, 'GET'), set);
    assert.equal((await store.settings.get('transcriptGroups'))?.updatedBy, 'admin');

    // None at all is a policy too: forum admins only, whatever the environment says.
    assert.deepEqual((await call(app, 'PUT', { groups: [] })).groups, []);
    assert.equal((await call(app, 'GET')).from, 'admin');

    assert.deepEqual(await call(app, 'DELETE'), { groups: ['moderators', 'staff'], from: 'environment', environmentGroups: ['moderators', 'staff'] });
    assert.equal(await store.settings.get('transcriptGroups'), undefined);
  });

  test('a group name with a space or a comma is refused, named by its place', async () => {
    const { app } = await build();
    const refused = (await call(app, 'PUT', { groups: ['staff', 'support team', 'a,b'] }, 400)) as unknown as { error: string; issues: { field: string }[] };
    assert.equal(refused.error, 'validation');
    assert.deepEqual(refused.issues.map((i) => i.field), ['body.groups.1', 'body.groups.2']);
    assert.equal((await call(app, 'GET')).from, 'environment', 'nothing was set');
  });

  test('/topic lets a member of a group the API added post a transcript, at once; taking the group back refuses again', async () => {
    const { app, store, config } = await build('moderators');
    await store.channels.ensure({ platform: 'telegram', externalId: CHAT.externalId, name: CHAT.name, status: 'active', addedBy: 'cli' });
    await store.identities.set({ platform: 'telegram', userId: '7', source: 'discourse', username: 'sam', createdBy: 'cli' });
    const { say, queued } = topicCommand(store, config);

    const refused = await say();
    assert.match(refused.text, /sam may not post transcripts: that takes a forum admin or a member of moderators/u);
    assert.equal(queued.length, 0);

    await call(app, 'PUT', { groups: ['moderators', 'support-team'] });
    const allowed = await say();
    assert.equal(queued.length, 1, allowed.text);
    const target = queued[0]?.target;
    assert.equal(target?.kind === 'forum' ? target.username : null, 'sam', 'posted as the forum user');

    await call(app, 'DELETE');
    assert.match((await say()).text, /may not post transcripts/u);
    assert.equal(queued.length, 1, 'back to PARLEY_TRANSCRIPT_GROUPS: refused again');
  });
});
