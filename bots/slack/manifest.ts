// `parley slack manifest`: the Slack app manifest (YAML) to create Parley's Slack app from, at
// api.slack.com/apps → Create New App → From a manifest. Slack's schema: docs.slack.dev/reference/app-manifest;
// the object is typed with @slack/web-api's own manifest type, so a misspelt scope or event does not compile.
import { createRequire } from 'node:module';
import type { AppsManifestValidateArguments } from '@slack/web-api';
import { ConfigError } from '../../lib/errors.js';
import type { PlatformCommand } from '../../lib/seams/platform.js';
import { COMMANDS_PATH, EVENTS_PATH } from './paths.js';
import { SLASH_COMMAND_WORDS } from './slash-command.js';

type Manifest = AppsManifestValidateArguments['manifest'];
type BotScope = NonNullable<NonNullable<NonNullable<Manifest['oauth_config']>['scopes']>['bot']>[number];
type BotEvent = NonNullable<NonNullable<NonNullable<Manifest['settings']>['event_subscriptions']>['bot_events']>[number];

export const DEFAULT_APP_NAME = 'Parley';
/** Slack's limit for display_information.name. */
const MAX_APP_NAME = 35;
/** Slack's limit for features.bot_user.display_name. */
const MAX_BOT_NAME = 80;

/**
 * The slash commands the app registers, as Slack's autocomplete shows them (docs/commands.md): `/discourse`, and
 * `/gitlab` where GitLab is configured. Slack keeps `/topic` for itself, so transcripts are `/discourse topic …`
 * (slash-command.ts).
 */
const SLASH_COMMANDS: Record<(typeof SLASH_COMMAND_WORDS)[number], { description: string; usage_hint: string }> = {
  discourse: {
    description: 'Choose which forum posts this channel gets; `topic …` posts the conversation to the forum',
    usage_hint: 'help | status | watch|follow|mute|thread all|c/CAT|t/TAG | remove N | topic [last:N] [category:SLUG]',
  },
  gitlab: {
    description: 'Choose which GitLab issues, merge requests, pipelines and releases this channel gets',
    usage_hint: 'help | status | watch|follow|mute|thread all|p/GROUP/PROJECT|g/GROUP|l/LABEL | remove N',
  },
};

/** What the bot token may do, and why Parley asks for each. */
export const BOT_SCOPES = [
  // The slash commands /discourse and /topic.
  'commands',
  // chat.postMessage, chat.update and chat.delete of its own messages: notifications (edited or deleted with
  // the post), replies to commands, transcript progress and links.
  'chat:write',
  // conversations.history and conversations.replies for transcripts, in public channels, private channels,
  // direct messages and group direct messages the bot is in.
  'channels:history',
  'groups:history',
  'im:history',
  'mpim:history',
  // conversations.info (a channel's name and kind) for each conversation type; channels:read and groups:read
  // also deliver the membership and archive events below for public and private channels.
  'channels:read',
  'groups:read',
  'im:read',
  'mpim:read',
  // users.info: whether a user is a workspace admin or owner (who moderates) and their time zone (transcript times).
  'users:read',
] as const satisfies readonly BotScope[];

/** The Events API events Parley listens to; none carries message text. */
export const BOT_EVENTS = [
  // The bot was added to a channel (Parley reads only its own joins): greet it and register the channel.
  'member_joined_channel',
  // The bot was removed from a public or private channel: stop delivering there.
  'channel_left',
  'group_left',
  // A public or private channel was archived: stop delivering there.
  'channel_archive',
  'group_archive',
  // The app was uninstalled or its tokens revoked: every Slack channel stops until it is installed again.
  'app_uninstalled',
  'tokens_revoked',
] as const satisfies readonly BotEvent[];

export interface SlackManifestOptions {
  /** PARLEY_PUBLIC_URL (https, optionally with a path prefix); null when it is not set. */
  publicUrl: string | null;
  /** Socket Mode: Parley connects out to Slack, and the manifest has no request URLs. */
  socketMode: boolean;
  /** The app's name in Slack (default Parley). */
  appName?: string;
  /** GitLab is configured: the app registers `/gitlab` too. */
  gitlab?: boolean;
}

/** The bot user's name: Slack allows a-z, 0-9, `-`, `_` and `.` there. */
function botDisplayName(appName: string): string {
  const name = appName
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, MAX_BOT_NAME);
  return name || DEFAULT_APP_NAME.toLowerCase();
}

function checkAppName(appName: string): string {
  const name = appName.trim();
  if (name === '') throw new ConfigError(['--name is empty: give the app\'s name as Slack shows it, as in --name "Forum bot".']);
  if (name.length > MAX_APP_NAME) {
    throw new ConfigError([`--name "${name}" is ${name.length} characters; Slack allows at most ${MAX_APP_NAME} for an app's name.`]);
  }
  return name;
}

/** The base of Slack's request URLs: PARLEY_PUBLIC_URL without trailing slashes, https only. */
function requestBase(publicUrl: string | null): string {
  if (publicUrl === null || publicUrl.trim() === '') {
    throw new ConfigError([
      "PARLEY_PUBLIC_URL is not set, and without Socket Mode Slack sends commands and events to Parley's public URL: set PARLEY_PUBLIC_URL (as in https://parley.example.org), or pass --socket-mode for an app that connects out to Slack and needs no public URL.",
    ]);
  }
  const base = publicUrl.trim().replace(/\/+$/, '');
  if (!/^https:\/\//i.test(base)) {
    throw new ConfigError([
      `PARLEY_PUBLIC_URL is ${base}, but Slack sends commands and events to https URLs only: set PARLEY_PUBLIC_URL to Parley's https address, or pass --socket-mode.`,
    ]);
  }
  return base;
}

/** The manifest as Slack's schema has it. */
export function slackManifestObject(opts: SlackManifestOptions): Manifest {
  const appName = checkAppName(opts.appName ?? DEFAULT_APP_NAME);
  const base = opts.socketMode ? null : requestBase(opts.publicUrl);
  return {
    display_information: {
      name: appName,
      description: 'Forum posts in Slack channels, and Slack conversations as forum topics (Discourse)',
    },
    features: {
      bot_user: { display_name: botDisplayName(appName), always_online: true },
      slash_commands: SLASH_COMMAND_WORDS.filter((word) => word !== 'gitlab' || opts.gitlab === true).map((word) => ({
        command: `/${word}`,
        description: SLASH_COMMANDS[word].description,
        usage_hint: SLASH_COMMANDS[word].usage_hint,
        ...(base === null ? {} : { url: base + COMMANDS_PATH }),
        should_escape: false,
      })),
    },
    oauth_config: { scopes: { bot: [...BOT_SCOPES] } },
    settings: {
      event_subscriptions: {
        ...(base === null ? {} : { request_url: base + EVENTS_PATH }),
        bot_events: [...BOT_EVENTS],
      },
      org_deploy_enabled: false,
      socket_mode_enabled: opts.socketMode,
      token_rotation_enabled: false,
    },
  };
}

/** The manifest in YAML, to paste at api.slack.com/apps → Create New App → From a manifest. */
export function slackManifest(opts: SlackManifestOptions): string {
  // Required here, not imported at the top: bots/registry.ts loads this file in every process (`parley start`
  // too), and only a manifest needs YAML. yaml's Node entry is CommonJS, the module `import` would load.
  const { stringify } = createRequire(import.meta.url)('yaml') as typeof import('yaml');
  return stringify(slackManifestObject(opts), { lineWidth: 0 });
}

/** `parley slack manifest [--socket-mode] [--name NAME]`. */
export const slackManifestCommand: PlatformCommand = {
  name: 'manifest',
  description: 'Print the Slack app manifest (YAML) to create Parley\'s Slack app from: api.slack.com/apps → Create New App → From a manifest',
  flags: [
    { flag: '--socket-mode', description: 'an app that connects out to Slack over Socket Mode: no request URLs, no PARLEY_PUBLIC_URL needed' },
    { flag: '--name <name>', description: `the app's name in Slack (default ${DEFAULT_APP_NAME}, at most ${MAX_APP_NAME} characters)` },
  ],
  run({ shared, flags }) {
    return slackManifest({
      publicUrl: shared.publicUrl,
      socketMode: flags.socketMode === true,
      gitlab: shared.gitlab === true,
      ...(typeof flags.name === 'string' ? { appName: flags.name } : {}),
    });
  },
};
