// The forum's side of the pipeline benchmark, in a worker thread so that sending webhooks does not take
// CPU from the Parley under test: posts signed post_created webhooks and reports each answer's latency.
import { Agent } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';
import { post, postCreatedHeaders } from './parley-process.js';

export interface LoadOrder {
  url: string;
  secret: string;
  events: number;
  clients: number;
  channels: number;
  template: Record<string, unknown>;
  /** Paced load: send at this rate instead of as fast as the clients can. */
  ratePerSecond?: number;
  /** Added to event and post ids, so that a second run's events are new. */
  idOffset?: number;
}

export interface LoadReport {
  latenciesMs: number[];
  failures: string[];
}

async function run(order: LoadOrder): Promise<LoadReport> {
  const url = new URL(order.url);
  const agent = new Agent({ keepAlive: true, maxSockets: order.clients });
  const latenciesMs: number[] = [];
  const failures: string[] = [];
  let next = 0;
  const start = performance.now();
  const offset = order.idOffset ?? 0;
  await Promise.all(
    Array.from({ length: order.clients }, async () => {
      while (next < order.events) {
        const i = next++;
        if (order.ratePerSecond) {
          const due = start + (i * 1000) / order.ratePerSecond;
          const wait = due - performance.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        }
        const body = JSON.stringify({ post: { ...order.template, id: 100_000 + offset + i, topic_id: 50_000 + offset + i, category_id: (i % order.channels) + 1, category_slug: `cat-${i % order.channels}` } });
        const t0 = performance.now();
        const status = await post(url, agent, postCreatedHeaders(body, String(offset + i + 1), order.secret), body);
        latenciesMs.push(performance.now() - t0);
        if (status !== 202) failures.push(`event ${i}: HTTP ${status}`);
      }
    }),
  );
  agent.destroy();
  return { latenciesMs, failures };
}

if (parentPort) parentPort.postMessage(await run(workerData as LoadOrder));
