// `parley transcript CHANNEL [options as in chat] --as FORUM_USER [--preview]`: /topic from a terminal, for
// admins archiving an old conversation. Same grammar, same job (./transcript-request.ts, which POST
// /api/channels/:id/transcript shares), with a progress bar instead of chat replies.
import { SingleBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import { DEFAULT_RANGE } from '../lib/transcript/types.js';
import { withStore } from './context.js';
import { CliError, parseChannelName } from './output.js';

interface TranscriptOptions {
  as: string;
  preview?: boolean;
}

async function transcript(channelName: string, words: string[], opts: TranscriptOptions): Promise<void> {
  // Loaded here, not at the top: every other CLI command would pay for the job and the forum's client.
  const { makeAdminTranscript, ownForum, prepareTranscript, TranscriptRefusal } = await import('./transcript-request.js');
  const target = parseChannelName(channelName);
  await withStore(async ({ config, store, log }) => {
    const channel = await store.channels.find(target.platform, target.externalId);
    if (!channel) throw new CliError(`Parley has no channel ${channelName}: see parley channels list.`);
    const bar = new SingleBar({ format: 'reading messages [{bar}] {value}{total}', stream: process.stderr, hideCursor: true }, Presets.shades_classic);
    try {
      const prepared = await prepareTranscript(
        {
          config,
          store,
          log,
          ...ownForum(config, store, log),
          // No commands arrive here, and nothing is logged: only the adapter's history and sending are used.
          adapter: (platform) =>
            platform.create({
              log,
              store,
              handleCommand: async () => ({ text: '', visibility: 'ephemeral' }),
              handleMembership: async () => null,
              messageLog: { record: async () => undefined, forget: () => undefined },
            }),
        },
        { channel, options: words.join(' '), as: opts.as, preview: opts.preview === true, requestedBy: 'cli', cmd: `parley transcript ${channelName}`, asField: '--as' },
      );
      const range = prepared.job.range;
      const total = range.kind === 'last' ? range.count : range.kind === 'default' ? DEFAULT_RANGE.maxMessages : 0;
      bar.start(total || 1, 0, { total: total ? ` of ${total}` : '' });
      const made = await makeAdminTranscript(prepared, {
        onPage: (read) => {
          if (read > bar.getTotal()) bar.setTotal(read);
          bar.update(read);
        },
      });
      bar.stop();
      process.stdout.write(`${made.message}\n`);
    } catch (err) {
      bar.stop();
      if (err instanceof TranscriptRefusal) throw new CliError(err.message);
      throw err;
    }
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
