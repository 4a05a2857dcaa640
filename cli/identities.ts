// `parley identities add|list|remove`: which forum user a chat user is, as an admin sets it. /topic posts
// as that forum user, and only when the forum says that user may (an admin, or in PARLEY_TRANSCRIPT_GROUPS).
import type { Command } from 'commander';
import type { IdentityRecord } from '../lib/seams/store.js';
import { withStore } from './context.js';
import { CliError, formatTime, parsePlatform, parsePlatformId, printJson, printLines, printTable, type PlatformIdKind } from './output.js';

const CHAT_USER: PlatformIdKind = {
  noun: 'chat user',
  placeholder: 'USER_ID',
  examples: 'telegram:123456789 or mattermost:USER_ID',
  idMeaning: "the platform's numeric or opaque user id (not the @name)",
};

/** Discourse's longest allowed username (max_username_length cannot go higher). */
const MAX_FORUM_USERNAME = 60;

/**
 * A forum username as Discourse allows it (letters, digits, `_`, `.`, `-`; letters of any script where the
 * forum allows Unicode usernames). A leading @ is dropped, since that is how people write names.
 */
function parseForumUsername(text: string): string {
  const name = text.trim().replace(/^@/, '');
  if (name === '' || name.length > MAX_FORUM_USERNAME || !/^[\p{L}\p{M}\p{N}_.-]+$/u.test(name)) {
    throw new CliError(
      `"${text}" is not a forum username: give the username from the user's forum profile (/u/USERNAME), letters, digits, _ . or - only, at most ${MAX_FORUM_USERNAME}.`,
    );
  }
  return name;
}

const chatUser = (i: Pick<IdentityRecord, 'platform' | 'userId'>) => `${i.platform}:${i.userId}`;

function identityJson(i: IdentityRecord) {
  return { user: chatUser(i), platform: i.platform, userId: i.userId, forumUsername: i.forumUsername, createdBy: i.createdBy, createdAt: i.createdAt.toISOString() };
}

async function add(target: string, username: string): Promise<void> {
  const { platform, id: userId } = parsePlatformId(target, CHAT_USER);
  const forumUsername = parseForumUsername(username);
  const name = chatUser({ platform, userId });
  await withStore(async ({ store }) => {
    const before = await store.identities.get(platform, userId);
    if (before?.forumUsername === forumUsername) return printLines(`${name} is already forum user ${forumUsername}: nothing to change.`);
    await store.identities.set({ platform, userId, forumUsername, createdBy: 'cli' });
    printLines(
      before
        ? `${name} is now forum user ${forumUsername} (was ${before.forumUsername}).`
        : `${name} is now forum user ${forumUsername}. Their /topic transcripts are posted as ${forumUsername}, if the forum lets ${forumUsername} post them.`,
    );
  });
}

async function list(opts: { platform?: string; json?: boolean }): Promise<void> {
  const platform = opts.platform === undefined ? undefined : parsePlatform(opts.platform);
  await withStore(async ({ store, config }) => {
    const identities = await store.identities.list(platform);
    if (opts.json) return printJson(identities.map(identityJson));
    if (identities.length === 0) {
      const fallback = config.transcripts.sameUsername
        ? 'Chat users are taken for the forum user of the same username (PARLEY_IDENTITY_SAME_USERNAME=true).'
        : 'No chat user can post transcripts until one is linked.';
      return printLines(`No ${platform ? `${platform} ` : ''}identities yet. ${fallback} Link one with: parley identities add telegram:USER_ID forum_username`);
    }
    printTable(
      ['CHAT USER', 'FORUM USER', 'SET BY', 'SET AT'],
      identities.map((i) => [chatUser(i), i.forumUsername, i.createdBy ?? '', formatTime(i.createdAt)]),
    );
  });
}

async function remove(target: string): Promise<void> {
  const { platform, id: userId } = parsePlatformId(target, CHAT_USER);
  const name = chatUser({ platform, userId });
  await withStore(async ({ store }) => {
    const before = await store.identities.get(platform, userId);
    if (!before || !(await store.identities.remove(platform, userId))) {
      throw new CliError(`${name} is linked to no forum user. See the links with: parley identities list`);
    }
    printLines(`Removed: ${name} is no longer forum user ${before.forumUsername}.`);
  });
}

export function identitiesCommand(program: Command): void {
  const identities = program.command('identities').description('link chat users to forum users (who /topic posts as), list and remove the links');
  identities
    .command('add')
    .description('link a chat user to a forum user, replacing any earlier link')
    .argument('<user>', 'PLATFORM:USER_ID, as in telegram:123456789')
    .argument('<forum_username>', 'the forum username, as in /u/USERNAME')
    .action(add);
  identities
    .command('list')
    .description('every link: chat user, forum user, who set it, when')
    .option('--platform <platform>', 'only chat users of this platform')
    .option('--json', 'print a JSON array')
    .action(list);
  identities
    .command('remove')
    .description("remove a chat user's link")
    .argument('<user>', 'PLATFORM:USER_ID')
    .action(remove);
}
