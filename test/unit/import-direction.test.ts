// The import direction (docs/architecture.md#direction-of-imports) is a lint rule; these fixtures show it
// catching a wrong import and letting the right ones through, with the very rules eslint.config.js uses.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { layers } from '../../eslint.layers.js';

const eslint = new ESLint({
  cwd: new URL('../..', import.meta.url).pathname,
  overrideConfigFile: true,
  overrideConfig: [{ files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } }, ...layers],
});

/** The messages of no-restricted-imports for `source`, linted as if it were the file at `path`. */
async function refusals(path: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: path });
  return (result?.messages ?? []).map((m) => `${m.ruleId}: ${m.message}`);
}

describe('imports flow one way: cli → commands, jobs, bots → lib', () => {
  const wrong: [string, string][] = [
    ['lib/matching.ts', "import { handleCommand } from '../commands/dispatch.js';"],
    ['lib/discourse/hook.ts', "import type { IngestJob } from '../../jobs/queues.js';"],
    ['lib/seams/platform.ts', "import { PLATFORMS } from '../../bots/registry.js';"],
    ['commands/dispatch.ts', "import { Queues } from '../jobs/queues.js';"],
    ['commands/topic/handler.ts', "import type { TelegramContext } from '../../bots/telegram/context.js';"],
    ['jobs/transcript.ts', "import { transcriptJob } from '../commands/topic/handler.js';"],
    ['jobs/deliver.ts', "export { startApp } from '../cli/app/index.js';"],
    ['bots/telegram/adapter.ts', "import { handleCommand } from '../../commands/dispatch.js';"],
    ['bots/telegram/adapter.ts', "import { MattermostClient } from '../mattermost/client.js';"],
    ['bots/mattermost/sender.ts', "import { PLATFORMS } from '../registry.js';"],
    ['bench/pipeline.ts', "import { startFakeForum } from '../test/helpers/fake-forum.js';"],
  ];
  for (const [path, source] of wrong) {
    test(`refused in ${path}: ${source}`, async () => {
      const found = await refusals(path, source);
      assert.equal(found.length, 1, `expected one refusal, got ${JSON.stringify(found)}`);
      assert.match(found[0]!, /^no-restricted-imports: /);
    });
  }

  const right: [string, string][] = [
    ['lib/matching.ts', "import type { Rule } from './rules.js';"],
    ['lib/seams/platform.ts', "import type { Logger } from '../log.js';"],
    ['commands/dispatch.ts', "import type { Store } from '../lib/seams/store.js';"],
    ['jobs/transcript.ts', "import type { PlatformAdapter } from '../lib/seams/platform.js';"],
    ['bots/telegram/adapter.ts', "import { InFlight } from '../../lib/adapters/in-flight.js';\nimport { formatNotification } from './format.js';"],
    ['bots/registry.ts', "import { telegram } from './telegram/index.js';"],
    ['cli/app/core.ts', "import { handleCommand } from '../../commands/dispatch.js';\nimport { createIngest } from '../../jobs/ingest.js';"],
    ['test/e2e/pipeline.test.ts', "import { fakePlatform } from '../../bench/fake-platform.js';"],
  ];
  for (const [path, source] of right) {
    test(`allowed in ${path}: ${source.split('\n')[0]}`, async () => {
      assert.deepEqual(await refusals(path, source), []);
    });
  }
});
