// The /discourse and /gitlab handlers end to end, against a real SQLite store (in memory, one per test).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { MemberRole } from '../../lib/seams/platform.js';
import type { CommandDeps } from '../../commands/context.js';
import { handleCommand } from '../../commands/dispatch.js';
import { handleMembership } from '../../commands/membership.js';
import type { MembershipChange } from '../../lib/seams/invocation.js';
import { PLATFORMS } from '../../bots/registry.js';
import { platformProfiles } from '../../lib/seams/platform.js';
import type { CommandInvocation, CommandReply } from '../../lib/seams/invocation.js';
import type { RulesPermission } from '../../lib/config.js';
import { categoryPath, type CategoryInfo } from '../../lib/events.js';
import { formatScope, sortForStatus } from '../../lib/rules.js';
import { openStore } from '../../lib/store/index.js';
import { GitLabAccessLevel, GitLabClient } from '../../lib/gitlab/client.js';
import { startFakeGitLab, type FakeGitLab } from '../helpers/fake-gitlab.js';
import type { PlatformName, Store } from '../../lib/seams/store.js';

const CHANNEL = { externalId: '-100123', name: 'Community chat', isPrivate: false };

function category(slug: string, opts: { parent?: string; restricted?: boolean } = {}): CategoryInfo {
  return { id: slug.length, slug, name: slug, parentSlug: opts.parent ?? null, color: null, restricted: opts.restricted ?? false };
}

const FORUM_CATEGORIES = [
  category('meta'),
  category('support'),
  category('billing', { parent: 'support' }),
  category('announcements'),
  category('staff', { restricted: true }),
];

/** Chat users of the tests, by id. */
const USERS = {
  mod: { id: '1', username: 'mod', displayName: 'Maud Moderator' },
  member: { id: '2', username: 'member', displayName: 'Mel Member' },
  admin: { id: '3', username: 'admin', displayName: 'Ada Admin' },
  linked: { id: '4', username: 'linked', displayName: 'Lin Linked' },
} as const;
type UserName = keyof typeof USERS;

interface WorldOptions {
  permission?: RulesPermission;
  /** Member role per chat user id; the rest are members. */
  roles?: Partial<Record<UserName, MemberRole | 'throws'>>;
  /** Forum usernames that are admins. */
  forumAdmins?: string[];
  /** The forum cannot tell who is an admin. */
  forumDown?: boolean;
  categories?: CategoryInfo[];
  platform?: PlatformName;
}

interface World {
  store: Store;
  deps: CommandDeps;
  rulesChanged: () => number;
  logs: string[];
  say(user: UserName, args: string, command?: string): Promise<CommandReply>;
  /** The channel's rules as status shows them, as `filter scope` strings. */
  rules(): Promise<string[]>;
}

async function withWorld(opts: WorldOptions, fn: (w: World) => Promise<void>): Promise<void> {
  const store = await openStore({ kind: 'sqlite', path: ':memory:' });
  const platform = opts.platform ?? 'telegram';
  try {
    // Chat users mapped to forum users: `admin` to a forum admin, `linked` to an ordinary forum user.
    await store.identities.set({ platform, userId: USERS.admin.id, source: 'discourse', username: 'ada', createdBy: 'cli' });
    await store.identities.set({ platform, userId: USERS.linked.id, source: 'discourse', username: 'lin', createdBy: 'cli' });
    const forumAdmins = new Set(opts.forumAdmins ?? ['ada']);
    const categories = opts.categories ?? FORUM_CATEGORIES;
    const logs: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logs.push(chunk.toString());
        done();
      },
    });
    // Commands that changed the channel's rules (matchers learn of it through the store's rules version).
    let changed = 0;
    const ruleIds = async () => (await store.rules.all()).map((r) => r.id).join(',');
    const deps: CommandDeps = {
      store,
      config: { rulesPermission: opts.permission ?? 'moderators' },
      log: pino({ level: 'info' }, sink),
      categories: {
        paths: async () => categories.map(categoryPath),
        findByPath: async (p) => categories.find((c) => categoryPath(c) === p) ?? null,
      },
      forumUsers: { isAdmin: async (username) => (opts.forumDown ? null : forumAdmins.has(username)) },
      memberRole: async (invocation) => {
        const name = (Object.keys(USERS) as UserName[]).find((n) => USERS[n].id === invocation.user.id);
        const role = (name && opts.roles?.[name]) ?? { role: 'member' };
        if (role === 'throws') throw new Error('platform timed out');
        return role;
      },
      // The registry's platforms, and one that types commands with `!` (as IRC and Matrix will).
      platforms: platformProfiles([...PLATFORMS.map((p) => p.profile), { name: 'irc', label: 'IRC', commandPrefix: '!', moderators: 'IRC channel operators' }]),
    };
    const say = async (user: UserName, args: string, command = 'discourse') => {
      const invocation: CommandInvocation = { platform, command, args, channel: CHANNEL, user: USERS[user] };
      const before = await ruleIds();
      const reply = await handleCommand(invocation, deps);
      if ((await ruleIds()) !== before) changed++;
      return reply;
    };
    const rules = async () => {
      const channel = await store.channels.find(platform, CHANNEL.externalId);
      if (!channel) return [];
      return sortForStatus(await store.rules.list(channel.id)).map((r) => `${r.filter} ${formatScope(r.scope)}`);
    };
    await fn({ store, deps, rulesChanged: () => changed, logs, say, rules });
  } finally {
    await store.close();
  }
}

const MODERATOR = { mod: { role: 'moderator' } } as const satisfies WorldOptions['roles'];

describe('the bot added to a room, or removed', () => {
  const added = (user: UserName | null, platform: PlatformName = 'telegram'): MembershipChange => ({ platform, channel: CHANNEL, by: user ? USERS[user] : null, change: 'added' });

  test('added by a moderator: the channel is active at once, and the room is told how to subscribe', () =>
    withWorld({ roles: MODERATOR }, async ({ store, deps }) => {
      const reply = await handleMembership(added('mod'), deps);
      const channel = await store.channels.find('telegram', CHANNEL.externalId);
      assert.equal(channel?.status, 'active');
      assert.equal(channel?.addedBy, `telegram:${USERS.mod.id}`);
      assert.equal(reply?.visibility, 'channel');
      assert.match(reply?.text ?? '', /\/discourse watch c\/CATEGORY/);
    }));

  test('added by someone who may not change rules: pending, and the room is told who can approve it and how', () =>
    withWorld({}, async ({ store, deps, say }) => {
      const reply = await handleMembership(added('member'), deps);
      const channel = await store.channels.find('telegram', CHANNEL.externalId);
      assert.equal(channel?.status, 'pending');
      assert.match(reply?.text ?? '', new RegExp(`parley channels add telegram:${CHANNEL.externalId}`));
      // Its rules cannot change until then, not even by a moderator's command.
      const refused = await say('member', 'watch c/meta');
      assert.match(refused.text, /waits for an admin's approval/);
    }));

  test('a chat user linked to a forum admin counts as allowed', () =>
    withWorld({}, async ({ store, deps }) => {
      await handleMembership(added('admin'), deps);
      assert.equal((await store.channels.find('telegram', CHANNEL.externalId))?.status, 'active');
    }));

  test('removed: the channel is marked bot_removed at once; added again by a moderator, it is active again', () =>
    withWorld({ roles: MODERATOR }, async ({ store, deps, say }) => {
      await say('mod', 'watch c/meta');
      assert.equal(await handleMembership({ ...added('mod'), change: 'removed' }, deps), null);
      const removed = await store.channels.find('telegram', CHANNEL.externalId);
      assert.equal(removed?.status, 'error');
      assert.equal(removed?.lastError?.code, 'bot_removed');
      await handleMembership(added('mod'), deps);
      assert.equal((await store.channels.find('telegram', CHANNEL.externalId))?.status, 'active');
    }));

  test('an unknown inviter never activates; an already active channel is left alone and not greeted twice', () =>
    withWorld({ roles: MODERATOR }, async ({ store, deps }) => {
      await handleMembership(added(null), deps);
      assert.equal((await store.channels.find('telegram', CHANNEL.externalId))?.status, 'pending');
      await store.channels.update((await store.channels.find('telegram', CHANNEL.externalId))!.id, { status: 'active' });
      assert.equal(await handleMembership(added('mod'), deps), null);
    }));

  test('a private chat is registered by its first command, not by the bot being started', () =>
    withWorld({ roles: MODERATOR }, async ({ store, deps }) => {
      assert.equal(await handleMembership({ ...added('mod'), channel: { ...CHANNEL, isPrivate: true } }, deps), null);
      assert.deepEqual(await store.channels.list(), []);
    }));
});

describe('channel registration', () => {
  test('the first command registers the channel as active, added by the issuing user', () =>
    withWorld({}, async ({ store, say }) => {
      assert.deepEqual(await store.channels.list(), []);
      await say('member', 'status');
      const channels = await store.channels.list();
      assert.equal(channels.length, 1);
      assert.equal(channels[0]!.platform, 'telegram');
      assert.equal(channels[0]!.externalId, CHANNEL.externalId);
      assert.equal(channels[0]!.name, CHANNEL.name);
      assert.equal(channels[0]!.status, 'active');
      assert.equal(channels[0]!.addedBy, 'telegram:2');
      await say('mod', 'help');
      const again = await store.channels.list();
      assert.equal(again.length, 1);
      assert.equal(again[0]!.addedBy, 'telegram:2');
    }));

  test('a mistyped command still registers the channel, and says what was wrong', () =>
    withWorld({}, async ({ store, say }) => {
      const reply = await say('member', 'wach c/meta');
      assert.equal(reply.visibility, 'ephemeral');
      assert.match(reply.text, /Did you mean \/discourse watch\?/);
      assert.equal((await store.channels.list()).length, 1);
    }));

  test('a pending channel refuses rule changes, says how an admin activates it, and still answers help and status', () =>
    withWorld({ roles: MODERATOR }, async ({ store, say, rules }) => {
      await store.channels.ensure({ platform: 'telegram', externalId: CHANNEL.externalId, name: CHANNEL.name, status: 'pending', addedBy: 'telegram:9' });
      const reply = await say('mod', 'watch c/meta');
      assert.equal(reply.visibility, 'ephemeral');
      assert.match(reply.text, /waits for an admin's approval/);
      assert.match(reply.text, /parley channels add telegram:-100123/);
      assert.deepEqual(await rules(), []);
      assert.match((await say('mod', 'remove 1')).text, /waits for an admin's approval/);
      const status = await say('member', 'status');
      assert.match(status.text, /Channel status: pending/);
      assert.match(status.text, /parley channels add telegram:-100123/);
      assert.match((await say('member', 'help')).text, /\/discourse watch c\/meta/);
      // Still pending: a command does not activate it.
      assert.equal((await store.channels.find('telegram', CHANNEL.externalId))!.status, 'pending');
    }));
});

describe('status', () => {
  test('with no rules it says how to add one', () =>
    withWorld({}, async ({ say }) => {
      const reply = await say('member', 'status');
      assert.equal(reply.visibility, 'ephemeral');
      assert.match(reply.text, /no rules, so it gets nothing from the forum/);
      assert.match(reply.text, /\/discourse watch c\/CATEGORY/);
      assert.match(reply.text, /Channel status: active\./);
    }));

  test('numbers the rules 1..N, most restrictive first, then oldest first', () =>
    withWorld({ roles: MODERATOR }, async ({ say }) => {
      await say('mod', 'follow all');
      await say('mod', 'watch c/meta t/release');
      await say('mod', 'mute t/spam');
      await say('mod', 'thread c/support');
      const reply = await say('member', 'status');
      assert.equal(reply.visibility, 'ephemeral');
      const lines = reply.text.split('\n').filter((l) => /^\d+\. /.test(l));
      assert.deepEqual(lines, ['1. mute t/spam', '2. thread c/support', '3. watch c/meta', '4. watch t/release', '5. follow all']);
      assert.match(reply.text, /Rules of Community chat, most restrictive first/);
    }));

  test("shows the channel's error status and last error", () =>
    withWorld({}, async ({ store, say }) => {
      await say('member', 'status');
      const channel = (await store.channels.find('telegram', CHANNEL.externalId))!;
      await store.channels.setError(channel.id, { code: 'bot_removed', message: 'the bot was removed from the chat' });
      const reply = await say('member', 'status');
      assert.match(reply.text, /Channel status: error/);
      assert.match(reply.text, /Last error: bot_removed: the bot was removed from the chat \(\d{4}-\d\d-\d\dT/);
    }));
});

describe('help', () => {
  test('lists every command with an example, and who may change rules here', () =>
    withWorld({}, async ({ say }) => {
      const reply = await say('member', 'help');
      assert.equal(reply.visibility, 'ephemeral');
      for (const example of ['/discourse status', '/discourse watch c/meta', '/discourse follow t/', '/discourse thread c/', '/discourse mute t/', '/discourse remove 2']) {
        assert.ok(reply.text.includes(example), example);
      }
      assert.match(reply.text, /changing rules is for this channel's moderators \(Telegram chat administrators\) and chat users linked to forum admins/);
    }));

  test('follows the configured permission and the platform\'s way of typing commands', () =>
    withWorld({ permission: 'anyone', platform: 'irc' }, async ({ say }) => {
      const reply = await say('member', '');
      assert.match(reply.text, /Anyone here may use every command/);
      assert.match(reply.text, /!discourse watch c\/meta/);
      assert.doesNotMatch(reply.text, /\/discourse/);
    }));
});

describe('watch, follow, mute, thread', () => {
  test('adds one rule per scope, tells the whole channel what it now gets, and reports the change', () =>
    withWorld({ roles: MODERATOR }, async ({ store, say, rules, rulesChanged }) => {
      const reply = await say('mod', 'watch c/meta t/release');
      assert.equal(reply.visibility, 'channel');
      assert.match(reply.text, /Maud Moderator added rules: watch c\/meta and watch t\/release\./);
      assert.match(reply.text, /This channel now gets:\n1\. watch c\/meta\n2\. watch t\/release/);
      assert.deepEqual(await rules(), ['watch c/meta', 'watch t/release']);
      assert.equal(rulesChanged(), 1);
      const channel = (await store.channels.find('telegram', CHANNEL.externalId))!;
      assert.deepEqual((await store.rules.list(channel.id)).map((r) => r.createdBy), ['telegram:1', 'telegram:1']);
    }));

  test('a subcategory path is accepted', () =>
    withWorld({ roles: MODERATOR }, async ({ say, rules }) => {
      assert.equal((await say('mod', 'follow c/Support/Billing')).visibility, 'channel');
      assert.deepEqual(await rules(), ['follow c/support/billing']);
    }));

  test('adding an existing rule says it exists, changes nothing and is not an error', () =>
    withWorld({ roles: MODERATOR }, async ({ say, rules, rulesChanged }) => {
      await say('mod', 'watch c/meta');
      const reply = await say('mod', 'watch c/meta');
      assert.equal(reply.visibility, 'ephemeral');
      assert.match(reply.text, /already has watch c\/meta, so nothing changed/);
      assert.doesNotMatch(reply.text, /error|wrong/i);
      assert.deepEqual(await rules(), ['watch c/meta']);
      assert.equal(rulesChanged(), 1);
      // One new and one existing: the new one is added and the existing one named.
      const mixed = await say('mod', 'watch c/meta all');
      assert.equal(mixed.visibility, 'channel');
      assert.match(mixed.text, /added a rule: watch all\./);
      assert.match(mixed.text, /Already there: watch c\/meta\./);
      assert.deepEqual(await rules(), ['watch c/meta', 'watch all']);
    }));

  test('an unknown category names the nearest slugs and touches nothing, even next to good scopes', () =>
    withWorld({ roles: MODERATOR }, async ({ say, rules, rulesChanged }) => {
      const reply = await say('mod', 'watch c/meta c/suport');
      assert.equal(reply.visibility, 'ephemeral');
      assert.match(reply.text, /The forum has no category c\/suport\. Nearest: c\/support\.\n/);
      assert.match(reply.text, /Nothing was changed/);
      assert.deepEqual(await rules(), []);
      assert.equal(rulesChanged(), 0);
      // The last segment counts: `billing` finds `support/billing` first.
      assert.match((await say('mod', 'watch c/biling')).text, /Nearest: c\/support\/billing\./);
    }));

  test('a restricted category is suggested to forum admins only', () =>
    withWorld({ roles: MODERATOR }, async ({ say }) => {
      const toModerator = await say('mod', 'watch c/staf');
      assert.match(toModerator.text, /no category c\/staf\. Nearest: /);
      assert.doesNotMatch(toModerator.text, /c\/staff/);
      assert.match((await say('admin', 'watch c/staf')).text, /Nearest: c\/staff\./);
    }));

  test('unknown categories are accepted when the forum\'s list is unknown, but only from forum admins', () =>
    withWorld({ roles: MODERATOR, categories: [] }, async ({ say, rules }) => {
      const refused = await say('mod', 'watch c/anything');
      assert.equal(refused.visibility, 'ephemeral');
      assert.match(refused.text, /cannot tell whether c\/anything is read-restricted/);
      assert.match(refused.text, /parley rules add telegram:-100123 watch c\/anything/);
      assert.deepEqual(await rules(), []);
      // Tags and all never deliver restricted categories: a moderator may add them.
      assert.equal((await say('mod', 'watch t/release all')).visibility, 'channel');
      assert.equal((await say('admin', 'watch c/anything')).visibility, 'channel');
      assert.deepEqual(await rules(), ['watch t/release', 'watch all', 'watch c/anything']);
    }));
});

describe('restricted categories', () => {
  test('a moderator not linked to a forum admin is refused, with how a forum admin adds it', () =>
    withWorld({ roles: MODERATOR }, async ({ say, rules, rulesChanged }) => {
      const reply = await say('mod', 'watch c/meta c/staff');
      assert.equal(reply.visibility, 'ephemeral');
      assert.match(reply.text, /c\/staff is read-restricted in the forum/);
      assert.match(reply.text, /only a chat user linked to a forum admin may add a watch rule/);
      assert.match(reply.text, /your chat account is not linked to a forum account/);
      assert.match(reply.text, /parley rules add telegram:-100123 watch c\/staff/);
      assert.deepEqual(await rules(), []);
      assert.equal(rulesChanged(), 0);
    }));

  test('a chat user linked to a forum admin may add it, even without being a chat moderator', () =>
    withWorld({}, async ({ say, rules }) => {
      const reply = await say('admin', 'follow c/staff');
      assert.equal(reply.visibility, 'channel');
      assert.deepEqual(await rules(), ['follow c/staff']);
    }));

  test('a user linked to an ordinary forum user is told so', () =>
    withWorld({ permission: 'anyone' }, async ({ say, rules }) => {
      const reply = await say('linked', 'thread c/staff');
      assert.match(reply.text, /linked to forum user lin, who is not a forum admin/);
      assert.deepEqual(await rules(), []);
    }));

  test('muting a restricted category leaks nothing and needs no forum admin', () =>
    withWorld({ roles: MODERATOR }, async ({ say, rules }) => {
      assert.equal((await say('mod', 'mute c/staff')).visibility, 'channel');
      assert.deepEqual(await rules(), ['mute c/staff']);
    }));

  test('"anyone may change rules" does not open restricted categories', () =>
    withWorld({ permission: 'anyone' }, async ({ say, rules }) => {
      assert.match((await say('member', 'watch c/staff')).text, /read-restricted/);
      assert.deepEqual(await rules(), []);
    }));
});

describe('remove', () => {
  test('removes by the numbers status shows, several at once, and shows the channel what is left', () =>
    withWorld({ roles: MODERATOR }, async ({ say, rules, rulesChanged }) => {
      await say('mod', 'watch c/meta');
      await say('mod', 'mute t/spam');
      await say('mod', 'follow all');
      // status: 1. mute t/spam  2. watch c/meta  3. follow all
      const reply = await say('mod', 'remove 3 1');
      assert.equal(reply.visibility, 'channel');
      assert.match(reply.text, /Maud Moderator removed rules: follow all and mute t\/spam\./);
      assert.match(reply.text, /This channel now gets:\n1\. watch c\/meta$/);
      assert.deepEqual(await rules(), ['watch c/meta']);
      assert.equal(rulesChanged(), 4);
      const last = await say('mod', 'remove 1');
      assert.match(last.text, /no rules left, so it gets nothing/);
      assert.deepEqual(await rules(), []);
    }));

  test('a number out of range names the valid range and removes none', () =>
    withWorld({ roles: MODERATOR }, async ({ say, rules, rulesChanged }) => {
      await say('mod', 'watch c/meta t/a t/b');
      const reply = await say('mod', 'remove 2 4 9');
      assert.equal(reply.visibility, 'ephemeral');
      assert.match(reply.text, /There are no rules 4 and 9 in this channel: its rules are numbered 1 to 3/);
      assert.match(reply.text, /Nothing was removed/);
      assert.deepEqual(await rules(), ['watch c/meta', 'watch t/a', 'watch t/b']);
      assert.equal(rulesChanged(), 1);
      await say('mod', 'remove 1 2');
      assert.match((await say('mod', 'remove 2')).text, /There is no rule 2 in this channel: its only rule is number 1/);
    }));

  test('with no rules there is nothing to remove', () =>
    withWorld({ roles: MODERATOR }, async ({ say }) => {
      const reply = await say('mod', 'remove 1');
      assert.equal(reply.visibility, 'ephemeral');
      assert.match(reply.text, /no rules, so there is nothing to remove/);
    }));
});

describe('who may change rules', () => {
  test('moderators (the default): a member is refused with why and what would allow it', () =>
    withWorld({ roles: MODERATOR }, async ({ say, rules }) => {
      await say('mod', 'watch c/meta');
      const refused = await say('member', 'watch all');
      assert.equal(refused.visibility, 'ephemeral');
      assert.match(refused.text, /Only moderators of this channel \(Telegram chat administrators\) and chat users linked to forum admins/);
      assert.match(refused.text, /You are not a moderator here, and your chat account is not linked to a forum account/);
      assert.match(refused.text, /Ask a moderator/);
      assert.match((await say('member', 'remove 1')).text, /Only moderators of this channel/);
      assert.match((await say('linked', 'watch all')).text, /linked to forum user lin, who is not a forum admin/);
      assert.deepEqual(await rules(), ['watch c/meta']);
      // help and status stay open to everyone.
      assert.match((await say('member', 'status')).text, /1\. watch c\/meta/);
    }));

  test('moderators: a member linked to a forum admin may change rules', () =>
    withWorld({}, async ({ say, rules }) => {
      assert.equal((await say('admin', 'watch all')).visibility, 'channel');
      assert.equal((await say('admin', 'remove 1')).visibility, 'channel');
      assert.deepEqual(await rules(), []);
    }));

  test('moderators: when the platform cannot tell, the refusal quotes why and names PARLEY_RULES_PERMISSION', () =>
    withWorld({ roles: { member: { role: 'unknown', why: 'the bot is not an administrator of this chat' } } }, async ({ say, rules }) => {
      const reply = await say('member', 'watch all');
      assert.match(reply.text, /could not tell whether you moderate this channel: the bot is not an administrator of this chat/);
      assert.match(reply.text, /PARLEY_RULES_PERMISSION/);
      assert.deepEqual(await rules(), []);
    }));

  test('moderators: a role check that throws is a refusal, not a crash', () =>
    withWorld({ roles: { member: 'throws' } }, async ({ say, rules }) => {
      const reply = await say('member', 'watch all');
      assert.equal(reply.visibility, 'ephemeral');
      assert.match(reply.text, /could not tell whether you moderate this channel: telegram did not answer the role check/);
      assert.deepEqual(await rules(), []);
    }));

  test('moderators: when the forum is down, the refusal says the forum could not be asked', () =>
    withWorld({ forumDown: true }, async ({ say }) => {
      assert.match((await say('admin', 'watch all')).text, /linked to forum user ada, but the forum could not be asked/);
    }));

  test('anyone: every member may change rules', () =>
    withWorld({ permission: 'anyone' }, async ({ say, rules }) => {
      assert.equal((await say('member', 'watch all')).visibility, 'channel');
      assert.deepEqual(await rules(), ['watch all']);
    }));

  test('forum-admins: a chat moderator is refused, a user linked to a forum admin is not', () =>
    withWorld({ permission: 'forum-admins', roles: MODERATOR }, async ({ say, rules }) => {
      const refused = await say('mod', 'watch all');
      assert.match(refused.text, /only chat users linked to forum admins may change rules \(PARLEY_RULES_PERMISSION=forum-admins\)/);
      assert.match(refused.text, /not linked to a forum account/);
      assert.equal((await say('admin', 'watch all')).visibility, 'channel');
      assert.deepEqual(await rules(), ['watch all']);
      assert.match((await say('member', 'help')).text, /changing rules is for chat users linked to forum admins/);
    }));
});

describe('dispatch', () => {
  test('tolerates a leading ! or / and an @BotName suffix, in any case', () =>
    withWorld({}, async ({ say }) => {
      assert.match((await say('member', 'status', '/Discourse@ParleyBot')).text, /no rules/);
      assert.match((await say('member', 'status', '!discourse')).text, /no rules/);
    }));

  test('another command word gets the list of commands and registers nothing', () =>
    withWorld({}, async ({ store, say }) => {
      const reply = await say('member', 'status', 'discurse');
      assert.equal(reply.visibility, 'ephemeral');
      assert.match(reply.text, /Parley has no command "discurse"\. Its commands are: \/discourse/);
      assert.deepEqual(await store.channels.list(), []);
    }));

  test('an unexpected error becomes a reply with an error id, which is logged', () =>
    withWorld({ roles: MODERATOR }, async ({ store, deps, logs }) => {
      const broken: CommandDeps = {
        ...deps,
        store: { ...store, rules: { ...store.rules, add: () => Promise.reject(new Error('disk full')) } },
      };
      const invocation: CommandInvocation = { platform: 'telegram', command: 'discourse', args: 'watch all', channel: CHANNEL, user: USERS.mod };
      const reply = await handleCommand(invocation, broken);
      assert.equal(reply.visibility, 'ephemeral');
      const id = /error id ([0-9a-f]{8})/.exec(reply.text)?.[1];
      assert.ok(id, reply.text);
      const logged = logs.map((l) => JSON.parse(l) as { errorId?: string; err?: { message?: string } }).find((l) => l.errorId === id);
      assert.ok(logged, 'the error id is in the log');
      assert.equal(logged.err?.message, 'disk full');
    }));
});

describe('/gitlab: the same grammar over GitLab scopes, checked against GitLab', () => {
  // The real client (@gitbeaker/rest) against the fake GitLab, which follows GitLab's REST documentation.
  async function withGitLab(fn: (w: World, gitlab: FakeGitLab) => Promise<void>, opts: WorldOptions = {}): Promise<void> {
    const fake = await startFakeGitLab();
    try {
      fake.addUser({ username: 'reporter-ron' });
      fake.addUser({ username: 'guest-gus' });
      fake.addProject('acme/web', { visibility: 'public' });
      fake.addProject('acme/platform/api', { visibility: 'private' });
      fake.addProject('acme/platform/infra', { visibility: 'internal' });
      fake.addMember('acme/platform', 'reporter-ron', GitLabAccessLevel.Reporter);
      fake.addMember('acme/platform/api', 'guest-gus', GitLabAccessLevel.Guest);
      const client = new GitLabClient({ baseUrl: fake.url, token: fake.token });
      await withWorld({ roles: MODERATOR, ...opts }, async (w) => {
        w.deps.gitlab = client;
        await fn(w, fake);
      });
      assert.deepEqual(fake.violations, []);
    } finally {
      await fake.close();
    }
  }
  const gitlab = (w: World, user: UserName, args: string) => w.say(user, args, 'gitlab');
  const linkGitLab = (w: World, user: UserName, username: string) =>
    w.store.identities.set({ platform: 'telegram', userId: USERS[user].id, source: 'gitlab', username, createdBy: 'cli' });

  test('rules of a public project, a group and a label are added; status and remove see GitLab rules only', () =>
    withGitLab(async (w) => {
      await w.say('mod', 'watch c/meta');
      const added = await gitlab(w, 'mod', 'watch p/acme/web g/acme "l/needs review"');
      assert.equal(added.visibility, 'channel');
      assert.match(added.text, /added rules: watch p\/acme\/web, watch g\/acme and watch "l\/needs review"/);
      const status = await gitlab(w, 'member', 'status');
      assert.deepEqual(status.text.split('\n').filter((l) => /^\d+\. /.test(l)), ['1. watch p/acme/web', '2. watch g/acme', '3. watch "l/needs review"']);
      // /discourse keeps its own numbering, and its rule is untouched by /gitlab remove.
      assert.deepEqual((await w.say('member', 'status')).text.split('\n').filter((l) => /^\d+\. /.test(l)), ['1. watch c/meta']);
      const removed = await gitlab(w, 'mod', 'remove 1');
      assert.match(removed.text, /removed a rule: watch p\/acme\/web/);
      assert.deepEqual((await w.store.rules.all()).map((r) => `${r.source} ${r.filter} ${formatScope(r.scope)}`).sort(), [
        'discourse watch c/meta',
        'gitlab watch "l/needs review"',
        'gitlab watch g/acme',
      ]);
    }));

  test('/gitlab all and /discourse all are two rules, not a duplicate', () =>
    withGitLab(async (w) => {
      await w.say('mod', 'watch all');
      const reply = await gitlab(w, 'mod', 'watch all');
      assert.match(reply.text, /added a rule: watch all/);
      assert.deepEqual((await w.store.rules.all()).map((r) => r.source).sort(), ['discourse', 'gitlab']);
    }));

  test('a private or internal project needs a linked GitLab user with Reporter access; mute needs nothing', () =>
    withGitLab(async (w) => {
      const unlinked = await gitlab(w, 'mod', 'watch p/acme/platform/api');
      assert.equal(unlinked.visibility, 'ephemeral');
      assert.match(unlinked.text, /p\/acme\/platform\/api is a private or internal project/);
      assert.match(unlinked.text, /not linked to a GitLab account/);
      assert.match(unlinked.text, /parley identities add telegram:1 gitlab:USERNAME/);

      await linkGitLab(w, 'mod', 'guest-gus');
      const guest = await gitlab(w, 'mod', 'thread p/acme/platform/api');
      assert.match(guest.text, /GitLab user guest-gus has access level 10 there/);
      assert.match(guest.text, /parley rules add telegram:-100123 gitlab thread p\/acme\/platform\/api/);
      assert.deepEqual(await w.rules(), []);

      assert.match((await gitlab(w, 'mod', 'mute p/acme/platform/api')).text, /added a rule: mute p\/acme\/platform\/api/);

      // Reporter through the parent group counts (memberships are inherited), for internal projects too.
      await linkGitLab(w, 'mod', 'reporter-ron');
      assert.match((await gitlab(w, 'mod', 'watch p/acme/platform/api p/acme/platform/infra')).text, /added rules: watch p\/acme\/platform\/api and watch p\/acme\/platform\/infra/);
    }));

  test('an unknown path gets the nearest project paths; a bare path is guessed as p/ or g/', () =>
    withGitLab(async (w) => {
      const typo = await gitlab(w, 'mod', 'watch p/acme/wbe');
      assert.match(typo.text, /GitLab has no project p\/acme\/wbe that Parley can see/);
      const near = await gitlab(w, 'mod', 'watch p/other/web');
      assert.match(near.text, /Nearest projects: p\/acme\/web/);
      assert.match((await gitlab(w, 'mod', 'watch g/nope')).text, /GitLab has no group g\/nope/);
      // Hints name only what the user could see: Parley's token sees the private project, an unlinked user does not.
      assert.doesNotMatch((await gitlab(w, 'mod', 'watch p/acme/ap')).text, /p\/acme\/platform\/api/);
      await linkGitLab(w, 'mod', 'reporter-ron');
      assert.match((await gitlab(w, 'mod', 'watch p/acme/ap')).text, /Nearest projects: p\/acme\/platform\/api/);
      assert.match((await gitlab(w, 'mod', 'watch acme/web')).text, /Did you mean \/gitlab watch p\/acme\/web\?/);
      assert.match((await gitlab(w, 'mod', 'watch c/meta')).text, /"c\/meta" is not a scope: use all, p\/GROUP\/PROJECT, g\/GROUP or l\/LABEL/);
      assert.deepEqual(await w.rules(), []);
    }));

  test('GitLab down: rules that deliver are refused with the reason, mute still works', () =>
    withGitLab(async (w, fake) => {
      fake.fail({ path: /\/projects\//, status: 503, times: 5 });
      const refused = await gitlab(w, 'mod', 'watch p/acme/web');
      assert.match(refused.text, /GitLab could not be asked whether the projects exist/);
      assert.match((await gitlab(w, 'mod', 'mute p/acme/web')).text, /added a rule: mute p\/acme\/web/);
    }));

  test('help names GitLab scopes; without GitLab configured /gitlab says so and registers nothing', async () => {
    await withGitLab(async (w) => {
      const help = await gitlab(w, 'member', 'help');
      assert.match(help.text, /\/gitlab watch p\/group\/project/);
      assert.match(help.text, /Confidential issues and comments are never announced/);
    });
    await withWorld({ roles: MODERATOR }, async (w) => {
      const reply = await w.say('mod', 'watch p/acme/web', 'gitlab');
      assert.match(reply.text, /GitLab is not configured on this Parley/);
      assert.deepEqual(await w.store.channels.list(), []);
    });
  });
});
