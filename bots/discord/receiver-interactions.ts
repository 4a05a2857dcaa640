// Discord's interactions over HTTP, inside Parley's own server: Discord POSTs each interaction to
// INTERACTIONS_PATH, signed with Ed25519 over timestamp + raw body (checked with Discord's own
// discord-interactions library against PARLEY_DISCORD_PUBLIC_KEY). A wrong or missing signature is a 401 and
// nothing is stored; so is a timestamp older than five minutes, or a request seen before (a replay).
import { verifyKey } from 'discord-interactions';
import type { APIInteraction } from 'discord.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { registerRawBodyRoutes } from '../../lib/http/raw-body.js';
import type { Logger } from '../../lib/log.js';
import type { Receiver } from '../../lib/seams/platform.js';
import type { Store } from '../../lib/seams/store.js';
import type { InteractionHandler } from './interactions.js';
import { INTERACTIONS_PATH } from './paths.js';

/** How old a signed request may be. Discord documents no window; five minutes matches Slack's and is generous. */
const MAX_AGE_SECONDS = 5 * 60;

export class InteractionsReceiver implements Receiver {
  constructor(
    private readonly opts: { publicKey: string | null; handler: InteractionHandler; store: Store; log: Logger },
  ) {}

  registerRoutes(app: FastifyInstance): void {
    // The signature covers the raw body byte for byte.
    registerRawBodyRoutes(app, (scope) => scope.post(INTERACTIONS_PATH, (req, reply) => this.handle(req, reply)));
  }

  async stop(): Promise<void> {
    await this.opts.handler.stop();
  }

  private async handle(req: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    const { publicKey, handler, store, log } = this.opts;
    if (!publicKey) return reply.code(503).send({ error: 'Discord interactions are not set up: set PARLEY_DISCORD_PUBLIC_KEY (Developer Portal → General Information)' });
    const raw = typeof req.body === 'string' ? req.body : '';
    const signature = String(req.headers['x-signature-ed25519'] ?? '');
    const timestamp = String(req.headers['x-signature-timestamp'] ?? '');
    const valid = signature !== '' && timestamp !== '' && (await verifyKey(raw, signature, timestamp, publicKey).catch(() => false));
    if (!valid) {
      log.warn({ ip: req.ip }, 'discord: interaction with a wrong or missing signature refused');
      return reply.code(401).send({ error: 'invalid request signature' });
    }
    if (!(Math.abs(Date.now() / 1000 - Number(timestamp)) <= MAX_AGE_SECONDS)) {
      return reply.code(401).send({ error: 'stale request timestamp' });
    }
    let interaction: APIInteraction;
    try {
      interaction = JSON.parse(raw) as APIInteraction;
    } catch {
      return reply.code(400).send({ error: 'the body is not JSON' });
    }
    if (!interaction || typeof interaction !== 'object' || typeof interaction.type !== 'number') return reply.code(400).send({ error: 'not an interaction' });
    // Discord never sends an interaction twice; the same signed body again is someone replaying it.
    if (interaction.id && !(await store.inboundEvents.record('discord-interaction', interaction.id))) {
      log.warn({ ip: req.ip }, 'discord: a replayed interaction refused');
      return reply.code(401).send({ error: 'this interaction was already received' });
    }
    return reply.send(await handler.respond(interaction));
  }
}
