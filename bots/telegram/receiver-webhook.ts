// Updates by webhook: Telegram posts each one to PARLEY_PUBLIC_URL + WEBHOOK_PATH, with the secret token it was
// given. Any process with the HTTP server answers; start() (re)sets the webhook.
import type { FastifyInstance } from 'fastify';
import { webhookCallback, type Bot } from 'grammy';
import { PlatformPermanentError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import type { Receiver } from '../../lib/seams/platform.js';
import { initBot } from './api.js';
import { mapTelegramError } from './errors.js';
import { ALLOWED_UPDATES } from './inbound.js';
import type { TelegramSettings } from './settings.js';

export const WEBHOOK_PATH = '/hooks/telegram';
/** Telegram redelivers a webhook update it got no answer to; answering before that avoids a second run. */
const WEBHOOK_ANSWER_MS = 9_000;

export class WebhookReceiver implements Receiver {
  readonly mode = 'webhook' as const;
  private stopped = false;

  constructor(
    private readonly bot: Bot,
    private readonly settings: Pick<TelegramSettings, 'publicUrl' | 'webhookSecret'>,
    private readonly log: Logger,
  ) {}

  registerRoutes(app: FastifyInstance): void {
    if (!this.settings.webhookSecret) {
      this.log.warn('PARLEY_TELEGRAM_WEBHOOK_SECRET is not set: anyone who finds the webhook URL can send fake updates');
    }
    const handle = webhookCallback(this.bot, 'fastify', {
      secretToken: this.settings.webhookSecret ?? undefined,
      onTimeout: 'return',
      timeoutMilliseconds: WEBHOOK_ANSWER_MS,
    });
    app.post(WEBHOOK_PATH, async (request, reply) => {
      // Telegram keeps the update and tries again later, when another process (or this one, restarted) answers.
      if (this.stopped) return reply.code(503).send({ error: 'shutting down' });
      let body: unknown = request.body;
      // A raw-body parser elsewhere in the server may leave the JSON unparsed.
      if (typeof body === 'string' || Buffer.isBuffer(body)) {
        try {
          body = JSON.parse(body.toString());
        } catch {
          return reply.code(400).send({ error: 'the body is not JSON' });
        }
      }
      if (body === null || typeof body !== 'object' || typeof (body as { update_id?: unknown }).update_id !== 'number') {
        return reply.code(400).send({ error: 'not a Telegram update' });
      }
      request.body = body;
      await handle(request, reply);
      return reply;
    });
  }

  /** Checks the token and sets the webhook (Telegram then stops answering getUpdates). May follow stop(). */
  async start(): Promise<void> {
    this.stopped = false;
    await initBot(this.bot);
    const { publicUrl, webhookSecret } = this.settings;
    if (!publicUrl) throw new PlatformPermanentError('not_configured', 'PARLEY_PUBLIC_URL: required with PARLEY_TELEGRAM_MODE=webhook');
    const url = `${publicUrl}${WEBHOOK_PATH}`;
    try {
      await this.bot.api.setWebhook(url, {
        allowed_updates: [...ALLOWED_UPDATES],
        drop_pending_updates: false,
        ...(webhookSecret ? { secret_token: webhookSecret } : {}),
      });
    } catch (err) {
      throw mapTelegramError(err);
    }
    this.log.info({ url }, 'telegram webhook set');
  }

  /**
   * Refuses further updates (503) so Telegram keeps them for another process; the adapter awaits those being
   * handled. The webhook stays set on purpose: another process may be serving it, and Telegram keeps updates meanwhile.
   */
  async stop(): Promise<void> {
    this.stopped = true;
  }
}
