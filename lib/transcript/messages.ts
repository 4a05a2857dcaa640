// What /topic and its job say to users beyond parse errors (those are in commands/messages.ts under topic.*).
import { DateTime } from 'luxon';
import { GitLabAccessLevel } from '../gitlab/access.js';
import type { ResolvedRange } from './types.js';

const fmt = (d: Date, zone: string): string => DateTime.fromJSDate(d, { zone }).toFormat('yyyy-MM-dd HH:mm');

/** `Developer (30)`; a level GitLab has no name for is its number. */
export function accessLevelName(level: number): string {
  const name = Object.entries(GitLabAccessLevel).find(([, v]) => v === level)?.[0];
  return name ? `${name} (${level})` : `level ${level}`;
}

export const transcriptText = {
  notSetUp: (cmd: string) =>
    `${cmd} is not set up here: Parley needs the forum's API key (PARLEY_DISCOURSE_URL and PARLEY_DISCOURSE_API_KEY) or GitLab (PARLEY_GITLAB_URL and PARLEY_GITLAB_TOKEN) to post transcripts. Ask the Parley admin.`,
  forumNotSetUp: (cmd: string) =>
    `Forum topics are not set up here: Parley needs the forum's API key (PARLEY_DISCOURSE_API_KEY) to post them. GitLab issues are: ${cmd} last:50 to:gitlab project:group/project. Nothing was posted.`,
  gitlabNotSetUp: () =>
    'GitLab is not set up here: Parley needs PARLEY_GITLAB_URL, PARLEY_GITLAB_TOKEN and PARLEY_GITLAB_WEBHOOK_SECRET to make issues. Ask the Parley admin, or write to:forum for a forum topic. Nothing was posted.',
  gitlabNotLinked: (chatUser: string) =>
    `Making GitLab issues needs your chat account linked to your GitLab account. Yours (${chatUser}) is not linked: a Parley admin can link it with \`parley identities add ${chatUser} gitlab:GITLAB_USERNAME\`. Nothing was posted.`,
  gitlabNoAccess: (username: string, project: string, level: number, needed: number) =>
    `Your GitLab account ${username} ${level > 0 ? `has ${accessLevelName(level)} access to ${project}` : `has no access to ${project} (or there is no GitLab user ${username})`}; transcripts there need ${accessLevelName(needed)} or more (PARLEY_GITLAB_TRANSCRIPT_MIN_ACCESS). Nothing was posted.`,
  gitlabUnknownProject: (path: string, suggestions: readonly string[]) =>
    `GitLab has no project ${path} (or Parley cannot see it).${suggestions.length > 0 ? ` Did you mean ${suggestions.map((s) => `project:${s}`).join(', ')}?` : ''} Nothing was posted.`,
  gitlabUnavailable: (reason: string) =>
    `Parley could not ask GitLab whether you may post there (${reason}). Try again in a few minutes. Nothing was posted.`,
  pending: (platform: string, id: string) =>
    `This channel waits for an admin's approval before Parley acts in it: an admin can activate it with \`parley channels add ${platform}:${id}\`.`,
  notLinked: (chatUser: string, sameUsername: boolean) =>
    `Posting transcripts needs your chat account linked to a forum account that is a forum admin or in an allowed group. Yours (${chatUser}) is not linked: a Parley admin can link it with \`parley identities add ${chatUser} FORUM_USERNAME\`${sameUsername ? '' : ' (or set PARLEY_IDENTITY_SAME_USERNAME=true when chat and forum usernames are the same people)'}. Nothing was posted.`,
  forumUnknown: (username: string) =>
    `Parley could not ask the forum whether ${username} may post transcripts (the forum did not answer). Try again in a few minutes. Nothing was posted.`,
  noForumUser: (username: string, chatUser: string, linked: boolean) =>
    `There is no forum user "${username}"${linked ? ` (the account ${chatUser} is linked to)` : ' (the same name as your chat account)'}: a Parley admin can fix the link with \`parley identities add ${chatUser} FORUM_USERNAME\`. Nothing was posted.`,
  notAllowed: (username: string, groups: readonly string[]) =>
    `Your forum account ${username} may not post transcripts: that takes a forum admin${groups.length > 0 ? ` or a member of ${groups.join(', ')}` : ' (an admin can allow forum groups too, on the admin page or with PARLEY_TRANSCRIPT_GROUPS)'}. Nothing was posted.`,
  unknownCategory: (path: string, suggestions: readonly string[]) =>
    `The forum has no category "${path}".${suggestions.length > 0 ? ` Did you mean ${suggestions.map((s) => `category:${s}`).join(', ')}?` : ''} Nothing was posted.`,
  collecting: (range: ResolvedRange, zone: string, preview: boolean, defaults: { pauseMinutes: number; maxMessages: number }, gitlabProject: string | null = null) => {
    const what =
      range.kind === 'last'
        ? `the last ${range.count} messages`
        : range.kind === 'between'
          ? `the messages from ${fmt(range.from, zone)} to ${fmt(range.to, zone)} (${zone})`
          : `the messages back to the last pause of ${defaults.pauseMinutes} minutes (at most ${defaults.maxMessages})`;
    const link = gitlabProject ? `the link of the new issue in ${gitlabProject}` : preview ? 'a link to a preview' : "the new topic's link";
    return `Collecting ${what}… I will answer here with ${link}.`;
  },
  progress: (read: number) => `Reading the conversation: ${read} message${read === 1 ? '' : 's'} so far…`,
  slowed: (read: number, platform: string, remainingMs: number | null) =>
    `Reading the conversation: ${read} message${read === 1 ? '' : 's'} so far. ${platform} lets Parley read history only slowly${
      remainingMs === null ? '; it will get there' : `: about ${Math.max(1, Math.ceil(remainingMs / 60_000))} minute${remainingMs <= 60_000 ? '' : 's'} left`
    }…`,
  posted: (url: string, count: number, existed: boolean) =>
    existed ? `The transcript was already posted: ${url}` : `Transcript of ${count} message${count === 1 ? '' : 's'} posted: ${url}`,
  issuePosted: (url: string, count: number, existed: boolean) =>
    existed ? `The transcript was already filed: ${url}` : `Transcript of ${count} message${count === 1 ? '' : 's'} filed as a GitLab issue: ${url}`,
  gitlabRefused: (project: string, status: number, reason: string, sudo: string | null) =>
    `GitLab refused the issue in ${project}: ${
      status === 404
        ? `there is no such project, or Parley's token cannot see it (${reason})`
        : status === 403
          ? sudo
            ? `Parley's token may not create it as ${sudo} (${reason}); PARLEY_GITLAB_SUDO=true needs an administrator's token with the sudo scope`
            : `Parley's token may not create issues there (${reason})`
          : reason
    }. Nothing was posted.`,
  preview: (url: string, count: number) => `Preview of ${count} message${count === 1 ? '' : 's'}, ready to post in the forum: ${url}`,
  forumRefused: (reason: string) => `The forum refused the topic: ${reason}. Nothing was posted.`,
  failed: (reason: string) => `The transcript could not be made: ${reason}. Nothing was posted.`,
};
