// Slack over Socket Mode: Parley opens a WebSocket to Slack with the app-level token (`xapp-…`) and Slack sends
// commands and events down it, so no public URL is needed. Bolt's own SocketModeReceiver does the work. Slack
// spreads events over up to ten connections of one app, so every bots process may hold one.
// The module itself, not Bolt's index, which loads receivers Parley does not use (see ./adapter.ts).
import socketMode from '@slack/bolt/dist/receivers/SocketModeReceiver.js';
import type { Logger } from '../../lib/log.js';
import type { Receiver } from '../../lib/seams/platform.js';
import { boltLogger } from './bolt-logger.js';

const { default: SocketModeReceiver } = socketMode;
type SocketModeReceiver = InstanceType<typeof SocketModeReceiver>;

/**
 * The Socket Mode client's own Web API options (for `apps.connections.open`). A separate object on purpose:
 * the client writes `retryConfig: { retries: 100 }` into the options it is given when they have none, and
 * Parley's delivery client must keep its retries off (the delivery job owns retries).
 */
function connectionClientOptions(apiUrl: string) {
  return { slackApiUrl: apiUrl, retryConfig: { retries: 10, factor: 1.6, maxTimeout: 30_000 } };
}

/** Bolt's receiver for the App, and Parley's Receiver over it for the adapter's start and stop. */
export function createSocketReceiver(opts: { appToken: string; apiUrl: string; log: Logger }): { bolt: SocketModeReceiver; receiver: Receiver } {
  const bolt = new SocketModeReceiver({
    appToken: opts.appToken,
    logger: boltLogger(opts.log.child({ transport: 'socket-mode' })),
    installerOptions: { clientOptions: connectionClientOptions(opts.apiUrl) },
  });
  return {
    bolt,
    receiver: {
      async start() {
        await bolt.start();
      },
      async stop() {
        await bolt.stop();
      },
    },
  };
}
