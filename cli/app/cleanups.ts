// What stops a process's parts, newest first (docs/architecture.md#composition).
import type { Logger } from '../../lib/log.js';

/** Runs the cleanups pushed so far, newest first; errors are logged, never thrown. */
export class Cleanups {
  private readonly steps: (() => Promise<void>)[] = [];

  constructor(private readonly log: Logger) {}

  push(step: () => Promise<void>): void {
    this.steps.push(step);
  }

  async run(): Promise<void> {
    for (const step of this.steps.reverse()) {
      try {
        await step();
      } catch (err) {
        this.log.error({ err }, 'error while stopping');
      }
    }
    this.steps.length = 0;
  }
}
