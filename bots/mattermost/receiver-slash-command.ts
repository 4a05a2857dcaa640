// Mattermost's slash commands come in over HTTP: Mattermost POSTs the command to POST /hooks/mattermost/command
// and shows our JSON answer. It waits 3 s at most, so a slow command is answered "working on it" at once and
// for real later, through the request's response_url; stop() lets those late answers finish.
import formbody from '@fastify/formbody';
import type { FastifyInstance } from 'fastify';
import { InFlight } from '../../lib/adapters/in-flight.js';
import { answerWithin } from '../../lib/adapters/within.js';
import type { Logger } from '../../lib/log.js';
import { COMMAND_WORDS } from '../../lib/seams/invocation.js';
import type { AdapterDeps, Receiver } from '../../lib/seams/platform.js';
import { postJson } from './client.js';
import { escapeMarkdown } from './format.js';
import { isHttpUrl, readPayload, toInvocation, tokenMatches, toResponse, type CommandResponse } from './slash-command.js';

export const COMMAND_PATH = '/hooks/mattermost/command';

// The command words this endpoint answers (COMMAND_WORDS) are each their own Mattermost slash command with its
// own token (PARLEY_MATTERMOST_COMMAND_TOKEN lists them, comma-separated), all posting to COMMAND_PATH.

/** Mattermost gives up after 3 s; answer well before that. */
export const DEFAULT_DEADLINE_MS = 2500;
/** How long stop() waits for late answers by default. */
export const DEFAULT_STOP_TIMEOUT_MS = 10_000;

export interface SlashCommandReceiverOptions {
  /** Every slash command has its own token; empty means none configured (503). */
  tokens: readonly string[];
  handleCommand: AdapterDeps['handleCommand'];
  log: Logger;
  commandWords?: readonly string[];
  /** When a slow command gets its "working on it" answer. */
  deadlineMs?: number;
  /** How long stop() waits for late answers. */
  stopTimeoutMs?: number;
}

const WORKING: CommandResponse = { response_type: 'ephemeral', text: 'Working on it…' };

/** The slash command endpoint, as a Receiver: routes before the server listens, late answers drained on stop. */
export class SlashCommandReceiver implements Receiver {
  private readonly lateAnswers = new InFlight();

  constructor(private readonly opts: SlashCommandReceiverOptions) {}

  registerRoutes(app: FastifyInstance): void {
    const { tokens, log } = this.opts;
    const words = this.opts.commandWords ?? COMMAND_WORDS;
    const deadlineMs = this.opts.deadlineMs ?? DEFAULT_DEADLINE_MS;

    // Encapsulated: the form parser exists for this route only, not for the rest of the server.
    void app.register(async (scope) => {
      if (!scope.hasContentTypeParser('application/x-www-form-urlencoded')) await scope.register(formbody);

      scope.post(COMMAND_PATH, async (req, reply) => {
        if (tokens.length === 0) {
          return reply.code(503).send({ error: 'Mattermost slash commands are not set up: PARLEY_MATTERMOST_COMMAND_TOKEN must be set to the slash command token' });
        }
        const payload = readPayload(req.body);
        // Mattermost sends the token in the body and as `Authorization: Token …`; either will do.
        const header = /^Token\s+(\S+)$/iu.exec(req.headers.authorization ?? '')?.[1] ?? '';
        if (!payload || !(tokenMatches(payload.token, tokens) || tokenMatches(header, tokens))) {
          log.warn({ ip: req.ip }, 'mattermost: slash command with a wrong or missing token refused');
          return reply.code(401).send({ error: 'invalid or missing slash command token' });
        }
        const missing = (['channel_id', 'user_id', 'command'] as const).filter((k) => !payload[k]);
        if (missing.length > 0) return reply.code(400).send({ error: `missing field(s): ${missing.join(', ')}` });

        const word = payload.command.replace(/^\//u, '').toLowerCase();
        if (!words.includes(word)) {
          return { response_type: 'ephemeral', text: escapeMarkdown(`Parley does not answer /${word} here; it answers ${words.map((w) => `/${w}`).join(', ')}.`) } satisfies CommandResponse;
        }

        // The core's handleCommand never throws: a failure inside it is answered with an error id (commands/dispatch.ts).
        const work: Promise<CommandResponse> = this.opts.handleCommand(toInvocation(payload, word)).then(toResponse);

        const first = await answerWithin(work, deadlineMs, { send: (response) => answerLate(log, payload.response_url, response), inFlight: this.lateAnswers, log });
        return first ?? WORKING;
      });
    });
  }

  /** Waits for late answers still on their way, at most stopTimeoutMs. */
  async stop(): Promise<void> {
    await this.lateAnswers.drain(this.opts.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS);
  }
}

/** Posts a slow command's answer to the request's response_url. Never throws. */
async function answerLate(log: Logger, responseUrl: string, response: CommandResponse): Promise<void> {
  if (!isHttpUrl(responseUrl)) {
    log.warn('mattermost: a slow command finished but the request had no response_url; the answer is lost');
    return;
  }
  try {
    await postJson(responseUrl, response, { action: 'command-response' });
  } catch (err) {
    // The URL itself is a credential: postJson's errors never name it, so the error is safe to log.
    log.warn({ err }, 'mattermost: could not post a late command answer to response_url');
  }
}
