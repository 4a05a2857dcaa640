// /topic … to:gitlab end to end on Telegram: people talk in a group (telegram-test-api, through the real grammY bot),
// Parley keeps its message log, and a chat user linked to a GitLab developer files the conversation as one GitLab
// issue, created as that user through the Sudo header, in a stateful fake GitLab driven by the real @gitbeaker/rest
// client (test/helpers/fake-gitlab.ts checks every request against GitLab's REST documentation). Parley runs with
// GitLab configured and the forum without an API key: transcripts work with GitLab alone.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { makeTranscript, type TranscriptJobDeps } from '../../jobs/transcript.js';
import { DiscourseClient } from '../../lib/discourse/client.js';
import { GitLabAccessLevel, GitLabClient, issueMarker } from '../../lib/gitlab/client.js';
import { silentLogger } from '../../lib/log.js';
import type { CommandReply } from '../../lib/seams/invocation.js';
import { platformProfiles } from '../../lib/seams/platform.js';
import type { TranscriptJob } from '../../lib/seams/jobs.js';
import { startFakeForum, type FakeForum } from '../helpers/fake-forum.js';
import type { FakeGitLab, FakeGitLabIssue, RecordedGitLabRequest } from '../helpers/fake-gitlab.js';
import { startGitLabParley, type GitLabParley } from '../helpers/gitlab-parley.js';
import { eventually, type TestParley } from '../helpers/parley.js';
import type { TelegramEmulator } from '../helpers/telegram-server.js';

const TOKEN = '654322:e2e-gitlab-transcript-token';
const PROJECT = 'group/project';
const DEFAULT_PROJECT = 'ops/incidents';
const people = {
  alice: { userId: 21, firstName: 'Alice', userName: 'alice' },
  bob: { userId: 22, firstName: 'Bob', userName: 'bob' },
  carol: { userId: 23, firstName: 'Carol', userName: 'carol' },
  dave: { userId: 24, firstName: 'Dave', userName: 'dave' },
  erin: { userId: 25, firstName: 'Erin', userName: 'erin' },
};
type Person = keyof typeof people;

describe('/topic to:gitlab end to end', () => {
  let emulator: TelegramEmulator;
  let gitlab: FakeGitLab;
  let parley: TestParley;
  let chatCounter = 0;
  let world: GitLabParley | undefined;

  before(async () => {
    world = await startGitLabParley({
      telegramToken: TOKEN,
      env: { PARLEY_GITLAB_SUDO: 'true', PARLEY_TIMEZONE: 'Europe/Berlin' },
      setUp(fake) {
        // A private project: only its members (and admins) see it; carol develops, dave only reports.
        fake.addProject(PROJECT, { visibility: 'private' });
        fake.addProject(DEFAULT_PROJECT, { visibility: 'internal' });
        fake.addUser({ username: 'carol-gl', name: 'Carol' });
        fake.addUser({ username: 'dave-gl', name: 'Dave' });
        fake.addMember(PROJECT, 'carol-gl', GitLabAccessLevel.Developer);
        fake.addMember('ops', 'carol-gl', GitLabAccessLevel.Maintainer);
        fake.addMember(PROJECT, 'dave-gl', GitLabAccessLevel.Reporter);
      },
    });
    ({ emulator, gitlab, parley } = world);
    assert.equal(parley.app.config.discourse?.apiKey ?? null, null, 'the forum has no API key here');
    const { store } = parley.app;
    for (const [who, username] of [['carol', 'carol-gl'], ['dave', 'dave-gl']] as const) {
      await store.identities.set({ platform: 'telegram', userId: String(people[who].userId), source: 'gitlab', username, createdBy: 'cli' });
    }
    // A forum identity is no GitLab identity: erin is linked to the forum only.
    await store.identities.set({ platform: 'telegram', userId: String(people.erin.userId), source: 'discourse', username: 'erin', createdBy: 'cli' });
  });

  after(async () => {
    await parley?.app.queues.transcripts.obliterate({ force: true }).catch(() => undefined);
    await world?.stop();
  });

  /** What the transcript job gets from this Parley, for the tests that run it directly with another target. */
  function jobDeps(targets: Pick<TranscriptJobDeps, 'forum' | 'forumUrl' | 'gitlab'>): TranscriptJobDeps {
    const { store, adapters, config } = parley.app;
    return { store, adapters, profiles: platformProfiles(config.platforms.map((p) => p.profile)), publicUrl: null, settings: config.transcripts, log: silentLogger, ...targets };
  }

  /** A new group chat, registered as a channel (with the given settings). */
  async function newChat(settings: Record<string, string> = {}): Promise<{ chatId: number; channelId: number }> {
    const chatId = -100900 - ++chatCounter;
    const { channel } = await parley.app.store.channels.ensure({ platform: 'telegram', externalId: String(chatId), name: `Ops room ${chatCounter}`, status: 'active', addedBy: 'cli', settings });
    return { chatId, channelId: channel.id };
  }
  const client = (chatId: number, who: Person) => emulator.server.getClient(TOKEN, { chatId, type: 'group' as const, chatTitle: `Ops room ${chatId}`, ...people[who] });
  const say = async (chatId: number, who: Person, text: string) => {
    const c = client(chatId, who);
    await c.sendMessage(c.makeMessage(text));
  };
  const command = async (chatId: number, who: Person, text: string) => {
    const c = client(chatId, who);
    await c.sendCommand(c.makeCommand(text));
  };
  async function logged(chatId: number, count: number): Promise<void> {
    await eventually(
      async () => ((await parley.app.store.messageLog.latest('telegram', String(chatId), count, new Date(Date.now() + 60_000))).length >= count ? true : undefined),
      'the message log to hold the conversation',
    );
  }
  /** The bot's messages to the chat after the first `skip`, once there are `count` of them. */
  async function answers(chatId: number, count: number, skip = 0): Promise<string[]> {
    return (await emulator.waitForBotMessages(TOKEN, chatId, skip + count, 30_000)).slice(skip).map((m) => m.text);
  }
  const created = (): RecordedGitLabRequest[] => gitlab.calls('POST /projects/:id/issues');
  const issueOf = (project: string, transcriptId: string): FakeGitLabIssue[] => gitlab.issues(project).filter((i) => i.description.includes(issueMarker(transcriptId)));
  /** The channel's transcript job, once it has completed (it answers the chat a moment before). */
  const completedJob = (channelId: number) =>
    eventually(async () => (await parley.app.queues.transcripts.getJobs(['completed'])).find((j) => j.data.channelId === channelId), 'the transcript job to complete');

  test('a developer files the last messages as one issue, created as them (Sudo), labelled, the messages in order', async () => {
    const { chatId, channelId } = await newChat();
    await say(chatId, 'alice', 'The database is down since 14:02');
    await say(chatId, 'alice', 'Failover did not start\nsecond line');
    await say(chatId, 'bob', '/close this now');
    await say(chatId, 'carol', 'Restarting the primary now @alice');
    await say(chatId, 'alice', 'Back up. Cause: disk full');
    await logged(chatId, 5);
    const before = created().length;

    await command(chatId, 'carol', '/topic last:5 to:gitlab project:group/project tags:incident title:"Outage review"');
    const [collecting, done] = await answers(chatId, 2);
    assert.match(collecting!, /Collecting the last 5 messages… I will answer here with the link of the new issue in group\/project/);
    const issues = gitlab.issues(PROJECT);
    assert.equal(created().length, before + 1, 'exactly one POST /projects/:id/issues');
    assert.equal(issues.length, 1);
    const issue = issues[0]!;
    assert.match(done!, new RegExp(`filed as a GitLab issue: ${gitlab.url.replace(/[.]/g, '\\.')}/group/project/-/issues/${issue.iid}$`));

    const post = created().at(-1)!;
    assert.equal(post.sudo, 'carol-gl', 'created as the mapped GitLab user');
    assert.equal(post.sudoVia, 'header', 'through the Sudo header');
    assert.equal(post.tokenUser, gitlab.botUsername);
    assert.equal(issue.authorUsername, 'carol-gl');
    assert.equal(issue.title, 'Outage review');
    assert.deepEqual(issue.labels, ['incident']);

    const text = issue.description;
    const order = ['The database is down since 14:02', 'Failover did not start', 'Restarting the primary now', 'Back up. Cause: disk full'].map((t) => text.indexOf(t));
    assert.ok(order.every((i) => i >= 0), `every message is in the description:\n${text}`);
    assert.deepEqual([...order].sort((a, b) => a - b), order, 'in the order they were sent');
    assert.match(text, /Failover did not start {2}\nsecond line/, "a message's lines stay lines in GitLab");
    assert.match(text, /^\\\/close this now$/m, 'a chat line cannot run a quick action');
    assert.doesNotMatch(text, /@alice/, 'chat mentions ping nobody in GitLab');
    assert.doesNotMatch(text, /\/topic/, 'the command itself is left out');
    assert.doesNotMatch(text, /Posted by/, 'created as the user, no "Posted by" line');
    assert.match(text, /Europe\/Berlin/);

    const record = await parley.app.store.transcripts.get((await completedJob(channelId)).data.transcriptId);
    assert.equal(record?.status, 'posted');
    assert.equal(record?.topicUrl, `${gitlab.url}/group/project/-/issues/${issue.iid}`);
    assert.equal(record?.forumUsername, 'carol-gl');
    assert.deepEqual(gitlab.violations, [], 'requests follow GitLab\'s REST documentation');
  });

  test('GitLab created the issue but the answer was lost (502): the retried job finds it by its marker, still one issue', async () => {
    const { chatId, channelId } = await newChat();
    await say(chatId, 'alice', 'Queue workers are stuck');
    await say(chatId, 'bob', 'Restarted them');
    await logged(chatId, 2);
    gitlab.fail({ method: 'POST', path: '/projects/:id/issues', status: 502, body: '<html>Bad Gateway</html>', afterHandling: true });
    const issuesBefore = gitlab.issues(PROJECT).length;
    const postsBefore = created().length;

    await command(chatId, 'carol', '/topic last:2 to:gitlab project:group/project');
    const [, done] = await answers(chatId, 2);
    assert.match(done!, /The transcript was already filed: http/, 'the retry answers with the issue the first attempt made');
    const job = await completedJob(channelId);
    assert.equal(job.attemptsMade, 2, 'the 502 was retried by the queue');
    assert.equal(created().length, postsBefore + 1, 'one POST: the retry looked the issue up instead');
    assert.equal(gitlab.issues(PROJECT).length, issuesBefore + 1, 'exactly one issue');
    assert.equal(issueOf(PROJECT, job.data.transcriptId).length, 1);
    assert.equal((await parley.app.store.transcripts.get(job.data.transcriptId))?.status, 'posted');
    assert.ok(gitlab.calls('GET /projects/:id/issues').some((r) => r.query.search === issueMarker(job.data.transcriptId) && r.query.in === 'description'));

    // Run the finished job once more (a worker that died before BullMQ recorded the completion): nothing new.
    await parley.app.store.transcripts.update(job.data.transcriptId, { status: 'queued' });
    await job.retry('completed');
    await answers(chatId, 3);
    assert.equal(created().length, postsBefore + 1);
    assert.equal(issueOf(PROJECT, job.data.transcriptId).length, 1);
  });

  test('a reporter is refused with their access level and what is needed; nothing is created', async () => {
    const { chatId } = await newChat();
    await say(chatId, 'alice', 'hello');
    await logged(chatId, 1);
    const before = created().length;
    await command(chatId, 'dave', '/topic last:1 to:gitlab project:group/project');
    const [refusal] = await answers(chatId, 1);
    assert.match(refusal!, /Your GitLab account dave-gl has Reporter \(20\) access to group\/project; transcripts there need Developer \(30\) or more \(PARLEY_GITLAB_TRANSCRIPT_MIN_ACCESS\)\. Nothing was posted\./);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(created().length, before);
  });

  test('a chat user without a GitLab link is refused, naming parley identities add (a forum link does not count)', async () => {
    const { chatId } = await newChat();
    await say(chatId, 'alice', 'hello');
    await logged(chatId, 1);
    const before = created().length;
    await command(chatId, 'erin', '/topic last:1 to:gitlab project:group/project');
    const [refusal] = await answers(chatId, 1);
    assert.match(refusal!, new RegExp(`Yours \\(telegram:${people.erin.userId}\\) is not linked: a Parley admin can link it with \`parley identities add telegram:${people.erin.userId} gitlab:GITLAB_USERNAME\``));
    assert.equal(created().length, before);
  });

  test('an unknown project is refused with the nearest paths the user can see', async () => {
    const { chatId } = await newChat();
    await command(chatId, 'carol', '/topic last:1 to:gitlab project:group/proj');
    const [refusal] = await answers(chatId, 1);
    assert.match(refusal!, /GitLab has no project group\/proj \(or Parley cannot see it\)\. Did you mean project:group\/project\?/);
  });

  test("the channel's default target: /topic without to: files an issue there; to:forum overrides it", async () => {
    const { chatId } = await newChat({ transcriptTarget: `gitlab:${DEFAULT_PROJECT}` });
    await say(chatId, 'alice', 'Disk alarm on db-2');
    await say(chatId, 'carol', 'Cleaned up the logs');
    await logged(chatId, 2);
    const before = gitlab.issues(DEFAULT_PROJECT).length;
    await command(chatId, 'carol', '/topic last:2 tags:disk');
    const [collecting, done] = await answers(chatId, 2);
    assert.match(collecting!, /the link of the new issue in ops\/incidents/);
    assert.match(done!, /\/ops\/incidents\/-\/issues\/\d+$/);
    const issues = gitlab.issues(DEFAULT_PROJECT);
    assert.equal(issues.length, before + 1);
    assert.deepEqual(issues.at(-1)!.labels, ['disk']);
    assert.match(issues.at(-1)!.description, /Disk alarm on db-2[\s\S]*Cleaned up the logs/);

    // The forum has no API key here: to:forum says so, and how GitLab issues are made instead.
    await command(chatId, 'carol', '/topic last:2 to:forum');
    const [forum] = await answers(chatId, 1, 2);
    assert.match(forum!, /Forum topics are not set up here: Parley needs the forum's API key \(PARLEY_DISCOURSE_API_KEY\)/);
    assert.equal(gitlab.issues(DEFAULT_PROJECT).length, before + 1);
  });

  test('GitLab refusing the issue (403) is a clear failure in the chat, not retried', async () => {
    const { chatId, channelId } = await newChat();
    await say(chatId, 'alice', 'something');
    await logged(chatId, 1);
    gitlab.fail({ method: 'POST', path: '/projects/:id/issues', status: 403, body: { message: '403 Forbidden - Must be admin to use sudo' } });
    await command(chatId, 'carol', '/topic last:1 to:gitlab project:group/project');
    const [, sent] = await answers(chatId, 2);
    const failed = sent!.replace(/&#39;/g, "'"); // as the emulator keeps a message sent as HTML
    assert.match(failed, /GitLab refused the issue in group\/project: Parley's token may not create it as carol-gl \(.*Must be admin to use sudo.*\); PARLEY_GITLAB_SUDO=true needs an administrator's token with the sudo scope\. Nothing was posted\./);
    const job = await eventually(async () => (await parley.app.queues.transcripts.getJobs(['failed'])).find((j) => j.data.channelId === channelId), 'the job to fail');
    assert.equal(job.attemptsMade, 1, 'a 403 is not retried');
  });

  test('without Sudo the issue is the token user\'s, with "Posted by @user" naming the chat user', async () => {
    const { chatId, channelId } = await newChat();
    await say(chatId, 'alice', 'A quiet night');
    await logged(chatId, 1);
    const replies: CommandReply[] = [];
    const deps = jobDeps({ forum: null, forumUrl: null, gitlab: new GitLabClient({ baseUrl: gitlab.url, token: gitlab.token }) });
    const job: TranscriptJob = {
      transcriptId: `transcript-${randomUUID()}`,
      invocation: { platform: 'telegram', command: 'topic', args: 'last:1', channel: { externalId: String(chatId), name: 'Ops', isPrivate: false }, user: { id: String(people.carol.userId), username: 'carol', displayName: 'Carol' } },
      channelId,
      target: { kind: 'gitlab', project: PROJECT, labels: [], username: 'carol-gl', sudo: false },
      range: { kind: 'last', count: 1 },
      ignore: [],
      title: null,
      preview: false,
      zone: 'UTC',
      requestedAt: new Date(Date.now() + 1000).toISOString(),
    };
    const before = created().length;
    assert.equal(await makeTranscript(job, deps, parley.app.adapters.get('telegram')!, { reply: async (r) => void replies.push(r) }), 'posted');
    const post = created().at(-1)!;
    assert.equal(created().length, before + 1);
    assert.equal(post.sudo, undefined, 'no Sudo');
    const [issue] = issueOf(PROJECT, job.transcriptId);
    assert.equal(issue!.authorUsername, gitlab.botUsername);
    assert.match(issue!.description, /^Posted by @carol-gl \(Carol on Telegram\) through Parley\.\n\n\*\*Chat transcript\*\*/);
    assert.match(issue!.title, /^Chat transcript: Ops room \d+, /, 'the title names the channel and the range, as for forum topics');
    assert.match(replies[0]!.text, /filed as a GitLab issue: http/);
  });

  test('a job queued before targets existed (no target) still makes a forum topic', async () => {
    const forum: FakeForum = await startFakeForum({ users: [{ username: 'carol', admin: true }] });
    try {
      const { chatId, channelId } = await newChat();
      await say(chatId, 'alice', 'An old job');
      await logged(chatId, 1);
      const replies: CommandReply[] = [];
      const deps = jobDeps({ forum: new DiscourseClient({ baseUrl: forum.url, apiKey: forum.apiKey, apiUsername: 'system', budget: null }), forumUrl: forum.url, gitlab: null });
      // The payload as the previous version queued it.
      const legacy = {
        transcriptId: `transcript-${randomUUID()}`,
        invocation: { platform: 'telegram', command: 'topic', args: 'last:1', channel: { externalId: String(chatId), name: 'Ops', isPrivate: false }, user: { id: '23', username: 'carol', displayName: 'Carol' } },
        channelId,
        forumUsername: 'carol',
        range: { kind: 'last', count: 1 },
        categoryId: null,
        tags: ['old'],
        ignore: [],
        title: 'Old job',
        preview: false,
        zone: 'UTC',
        requestedAt: new Date(Date.now() + 1000).toISOString(),
      } as TranscriptJob;
      const before = created().length;
      assert.equal(await makeTranscript(legacy, deps, parley.app.adapters.get('telegram')!, { reply: async (r) => void replies.push(r) }), 'posted');
      const post = forum.requests.find((r) => r.method === 'POST' && r.path === '/posts.json')!;
      assert.equal(post.headers['api-username'], 'carol');
      assert.deepEqual((post.body as { tags: string[] }).tags, ['old']);
      assert.equal(created().length, before, 'nothing went to GitLab');
      assert.match(replies[0]!.text, /posted: http/);
    } finally {
      await forum.stop();
    }
  });
});
