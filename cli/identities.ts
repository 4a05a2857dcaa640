// `parley identities add|list|remove`: who a chat user is at each source (their forum or GitLab user), as an
// admin sets it. /topic posts as that user, and only when the source says that user may (a forum admin or in
// PARLEY_TRANSCRIPT_GROUPS; Developer access to the GitLab project); /gitlab rules on private projects need it too.
import type { Command } from 'commander';
import { isSourceName, SOURCE_NAMES, type SourceName } from '../lib/rules.js';
import { withStore } from './context.js';
import { chatUser, checkUsername, identityJson, linkIdentity, unlinkIdentity, userNoun, usernameRule } from './identity-ops.js';
import { CliError, formatTime, parsePlatform, parsePlatformId, printJson, printLines, printTable, type PlatformIdKind } from './output.js';

const CHAT_USER: PlatformIdKind = {
  noun: 'chat user',
  placeholder: 'USER_ID',
  examples: 'telegram:123456789 or mattermost:USER_ID',
  idMeaning: "the platform's numeric or opaque user id (not the @name)",
};

/** `username` (a forum user) or `gitlab:username`, checked as ./identity-ops.ts checkUsername checks it. */
function parseUsername(text: string): { source: SourceName; username: string } {
  const m = /^([a-z]+):(.*)$/i.exec(text.trim());
  if (m && !isSourceName(m[1]!.toLowerCase())) throw new CliError(`"${m[1]}" is not a source: use ${SOURCE_NAMES.map((s) => `${s}:USERNAME`).join(' or ')}, or a forum username alone.`);
  const source: SourceName = m ? (m[1]!.toLowerCase() as SourceName) : 'discourse';
  const username = checkUsername(source, m ? m[2]! : text);
  if (username === null) throw new CliError(`"${text}" is not a ${userNoun(source).replace(' user', '')} username: ${usernameRule(source)}.`);
  return { source, username };
}

function parseSourceOption(text: string | undefined): SourceName | undefined {
  if (text === undefined) return undefined;
  const source = text.toLowerCase();
  if (!isSourceName(source)) throw new CliError(`"${text}" is not a source: use ${SOURCE_NAMES.join(' or ')}.`);
  return source;
}

async function add(target: string, typed: string): Promise<void> {
  const { platform, id: userId } = parsePlatformId(target, CHAT_USER);
  const { source, username } = parseUsername(typed);
  const name = chatUser({ platform, userId });
  const noun = userNoun(source);
  await withStore(async ({ store }) => {
    const linked = await linkIdentity(store, { platform, userId, source, username }, 'cli');
    if (linked.change === 'unchanged') return printLines(`${name} is already ${noun} ${username}: nothing to change.`);
    const what =
      source === 'gitlab'
        ? `Their /topic … to:gitlab issues are created as ${username} (with PARLEY_GITLAB_SUDO=true), and their /gitlab rules may name the projects ${username} can see.`
        : `Their /topic transcripts are posted as ${username}, if the forum lets ${username} post them.`;
    printLines(linked.change === 'replaced' ? `${name} is now ${noun} ${username} (was ${linked.before.username}).` : `${name} is now ${noun} ${username}. ${what}`);
  });
}

async function list(opts: { platform?: string; source?: string; json?: boolean }): Promise<void> {
  const platform = opts.platform === undefined ? undefined : parsePlatform(opts.platform);
  const source = parseSourceOption(opts.source);
  await withStore(async ({ store, config }) => {
    const identities = await store.identities.list({ ...(platform ? { platform } : {}), ...(source ? { source } : {}) });
    if (opts.json) return printJson(identities.map(identityJson));
    if (identities.length === 0) {
      const fallback = config.transcripts.sameUsername
        ? 'Chat users are taken for the forum user of the same username (PARLEY_IDENTITY_SAME_USERNAME=true).'
        : 'No chat user can post transcripts until one is linked.';
      return printLines(`No ${platform ? `${platform} ` : ''}identities yet. ${fallback} Link one with: parley identities add telegram:USER_ID forum_username`);
    }
    printTable(
      ['CHAT USER', 'SOURCE', 'USERNAME', 'SET BY', 'SET AT'],
      identities.map((i) => [chatUser(i), i.source, i.username, i.createdBy ?? '', formatTime(i.createdAt)]),
    );
  });
}

async function remove(target: string, opts: { source?: string }): Promise<void> {
  const { platform, id: userId } = parsePlatformId(target, CHAT_USER);
  const source = parseSourceOption(opts.source) ?? 'discourse';
  const name = chatUser({ platform, userId });
  await withStore(async ({ store }) => {
    const result = await unlinkIdentity(store, platform, userId, source);
    if (!result.ok) throw new CliError(`${name} is linked to no ${userNoun(source)}. See the links with: parley identities list`);
    printLines(`Removed: ${name} is no longer ${userNoun(source)} ${result.removed.username}.`);
  });
}

export function identitiesCommand(program: Command): void {
  const identities = program.command('identities').description('link chat users to forum and GitLab users (who /topic posts as), list and remove the links');
  identities
    .command('add')
    .description("link a chat user to a forum or GitLab user, replacing any earlier link to that source")
    .argument('<user>', 'PLATFORM:USER_ID, as in telegram:123456789')
    .argument('<username>', 'the forum username (/u/USERNAME), or gitlab:USERNAME')
    .action(add);
  identities
    .command('list')
    .description('every link: chat user, source, username, who set it, when')
    .option('--platform <platform>', 'only chat users of this platform')
    .option('--source <source>', `only links to this source (${SOURCE_NAMES.join(', ')})`)
    .option('--json', 'print a JSON array')
    .action(list);
  identities
    .command('remove')
    .description("remove a chat user's link to a source")
    .argument('<user>', 'PLATFORM:USER_ID')
    .option('--source <source>', `the source of the link (${SOURCE_NAMES.join(', ')}); default discourse`)
    .action(remove);
}
