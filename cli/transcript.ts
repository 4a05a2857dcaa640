// `parley transcript CHANNEL [options as in chat] --as FORUM_USER [--preview]`: /topic from a terminal, for
// admins archiving an old conversation. Same grammar, same job, with a progress bar instead of chat replies.
import { SingleBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import { isTopicFailure, parseTopicCommand } from '../commands/topic/grammar.js';
import { DEFAULT_RANGE } from '../lib/transcript/types.js';
import { CategoryCache } from '../lib/discourse/categories.js';
import { platformProfiles } from '../lib/seams/platform.js';
import { withStore } from './context.js';
import { CliError, parseChannelName } from './output.js';

interface TranscriptOptions {
  as: string;
  preview?: boolean;
}

async function transcript(channelName: string, words: string[], opts: TranscriptOptions): Promise<void> {
  // Loaded here, not at the top: every other CLI command would pay for the job and the forum's client.
  const [{ resolveRange }, { transcriptJob }, { makeTranscript }, { DiscourseClient }] = await Promise.all([
    import('../commands/topic/time-range.js'),
    import('../commands/topic/handler.js'),
    import('../jobs/transcript.js'),
    import('../lib/discourse/client.js'),
  ]);
  const target = parseChannelName(channelName);
  await withStore(async ({ config, store, log }) => {
    const d = config.discourse;
    if (!d?.apiKey) throw new CliError('parley transcript needs the forum: set PARLEY_DISCOURSE_URL and PARLEY_DISCOURSE_API_KEY.');
    const channel = await store.channels.find(target.platform, target.externalId);
    if (!channel) throw new CliError(`Parley has no channel ${channelName}: see parley channels list.`);
    const platform = config.platforms.find((p) => p.profile.name === channel.platform);
    if (!platform) {
      const how = config.notConfigured.find((p) => p.name === channel.platform)?.howToConfigure ?? `no adapter for ${channel.platform} exists`;
      throw new CliError(`${channel.platform} is not configured here: ${how}`);
    }
    // Only the adapter's history and sending are used: no commands arrive here, and nothing is logged.
    const adapter = await platform.create({
      log,
      store,
      handleCommand: async () => ({ text: '', visibility: 'ephemeral' }),
      handleMembership: async () => null,
      messageLog: { record: async () => undefined, forget: () => undefined },
    });

    const zone = channel.settings.timezone ?? config.timezone;
    const args = [...words, ...(opts.preview ? ['preview'] : [])].join(' ');
    const parsed = parseTopicCommand(args, { cmd: `parley transcript ${channelName}`, maxMessages: config.transcripts.maxMessages, zone });
    if (isTopicFailure(parsed)) throw new CliError(parsed.message);
    const now = new Date();
    const range = resolveRange(parsed.range, { now, zone });
    if ('message' in range) throw new CliError(range.message);
    if (parsed.target.kind === 'gitlab') throw new CliError('parley transcript makes forum topics only; a GitLab issue (to:gitlab) is made with /topic in the chat.');

    const forum = new DiscourseClient({ baseUrl: d.url, apiKey: d.apiKey, apiUsername: d.apiUsername, budget: null, log });
    const user = await forum.user(opts.as).catch((err: unknown) => {
      if ((err as { status?: number }).status === 404) throw new CliError(`There is no forum user "${opts.as}" (--as): the topic is created as that user.`);
      throw err;
    });
    let categoryId: number | null = null;
    const categoryPath = parsed.category ?? channel.settings.defaultCategory ?? null;
    if (categoryPath) {
      const category = await new CategoryCache({ store: store.categories, client: forum, log }).findByPath(categoryPath);
      if (!category) throw new CliError(`The forum has no category "${categoryPath}".`);
      categoryId = category.id;
    }

    const total = range.kind === 'last' ? range.count : range.kind === 'default' ? DEFAULT_RANGE.maxMessages : 0;
    const bar = new SingleBar({ format: 'reading messages [{bar}] {value}{total}', stream: process.stderr, hideCursor: true }, Presets.shades_classic);
    bar.start(total || 1, 0, { total: total ? ` of ${total}` : '' });
    const outcome = await makeTranscript(
      transcriptJob({
        invocation: { platform: channel.platform, command: 'topic', args, channel: { externalId: channel.externalId, name: channel.name, isPrivate: false }, user: { id: 'cli', username: user.username, displayName: user.username } },
        channelId: channel.id,
        target: { kind: 'forum', username: user.username, categoryId, tags: parsed.tags },
        command: parsed,
        range,
        zone,
        now,
      }),
      { store, adapters: new Map([[channel.platform, adapter]]), profiles: platformProfiles(config.platforms.map((p) => p.profile)), forum, forumUrl: d.url, publicUrl: config.publicUrl, settings: config.transcripts, log },
      adapter,
      {
        onPage: (read) => {
          if (read > bar.getTotal()) bar.setTotal(read);
          bar.update(read);
        },
        reply: async (r) => {
          bar.stop();
          process.stdout.write(`${r.text}\n`);
        },
      },
    );
    bar.stop();
    if (outcome === 'empty' || outcome === 'too-long' || outcome === 'refused') process.exitCode = 1;
  });
}

export function transcriptCommand(program: Command): void {
  program
    .command('transcript')
    .description('archive a channel\'s conversation as one forum topic, as /topic does in chat (history API or message log)')
    .argument('<channel>', 'PLATFORM:ID, as in parley channels list')
    .argument('[options...]', '/topic options: last:N | from:HH:MM-HH:MM | since:WHEN, category:SLUG, tags:a,b, ignore:u1,u2, title:"…"')
    .requiredOption('--as <forum_username>', 'the forum user the topic is created as')
    .option('--preview', 'print a link to a prefilled composer (or a preview page) instead of posting')
    .action(transcript);
}
