// A local HTTP endpoint playing a Mattermost incoming webhook: records each JSON body, and can answer
// 429 (with Retry-After) or hold requests open, for fault tests.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  body: Record<string, unknown>;
  /** The answer we gave: only 200s are messages the "platform" accepted. */
  status: number;
}

export interface WebhookReceiver {
  url: string;
  received: Received[];
  accepted(): Record<string, unknown>[];
  /** The next N requests get 429 with Retry-After: seconds. */
  rateLimitNext(count: number, retryAfterSeconds: number): void;
  /** The next request is held open (never answered) and `onHeld` resolves when it arrives. */
  holdNext(): Promise<void>;
  /** Answers the held requests 200: the platform took them after all. */
  releaseHeld(): void;
  waitForAccepted(count: number, timeoutMs?: number): Promise<Record<string, unknown>[]>;
  stop(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: Received[] = [];
  let limited = { count: 0, seconds: 0 };
  let hold: (() => void) | null = null;
  const held: ServerResponse[] = [];

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        res.writeHead(400).end('Invalid webhook');
        return;
      }
      if (hold) {
        const arrived = hold;
        hold = null;
        held.push(res);
        received.push({ body, status: 0 });
        arrived();
        return;
      }
      if (limited.count > 0) {
        limited.count--;
        received.push({ body, status: 429 });
        res.writeHead(429, { 'retry-after': String(limited.seconds), 'content-type': 'application/json' }).end('{"message":"Too many requests"}');
        return;
      }
      received.push({ body, status: 200 });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const accepted = () => received.filter((r) => r.status === 200).map((r) => r.body);

  return {
    url: `http://127.0.0.1:${port}/hooks/incoming-key`,
    received,
    accepted,
    rateLimitNext(count, seconds) {
      limited = { count, seconds };
    },
    holdNext() {
      return new Promise<void>((resolve) => (hold = resolve));
    },
    releaseHeld() {
      for (const res of held.splice(0)) {
        const entry = received.find((r) => r.status === 0);
        if (entry) entry.status = 200;
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      }
    },
    async waitForAccepted(count, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (accepted().length < count) {
        if (Date.now() > deadline) throw new Error(`webhook receiver: ${accepted().length} of ${count} messages after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return accepted();
    },
    async stop() {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
