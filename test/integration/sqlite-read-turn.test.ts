// The SQLite store's reads share one read transaction per turn of the event loop (lib/store/sqlite-driver.ts):
// what another process committed is seen from the next turn on, and a write made in the same turn as reads is
// stored and seen by the reads after it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import type { Store } from '../../lib/seams/store.js';
import { openStore } from '../../lib/store/index.js';

describe('SQLite reads, one transaction per turn', () => {
  let dir: string;
  /** Two connections to one file, as a web and a workers process have. */
  let web: Store;
  let cli: Store;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'parley-read-turn-'));
    const target = { kind: 'sqlite', path: path.join(dir, 'parley.db') } as const;
    web = await openStore(target);
    cli = await openStore(target);
  });
  after(async () => {
    await web?.close();
    await cli?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a channel and rule added by another process are seen by the next turn, over and over', async () => {
    for (let i = 0; i < 3; i++) {
      const before = await web.rules.version();
      const { channel } = await cli.channels.ensure({ platform: 'telegram', externalId: `-${i}`, name: `chat ${i}`, status: 'active', addedBy: 'cli' });
      await cli.rules.add({ channelId: channel.id, source: 'discourse', filter: 'watch', scope: { type: 'category', path: 'support' }, createdBy: 'cli' });
      await nextTurn();
      assert.ok((await web.rules.version()) > before, 'the version the other process bumped');
      assert.equal((await web.channels.get(channel.id))?.externalId, `-${i}`);
    }
  });

  test('reads, a write and reads again in one turn: the write is stored and the reads after it see it', async () => {
    const { channel } = await web.channels.ensure({ platform: 'telegram', externalId: '-10', name: 'chat', status: 'active', addedBy: 'cli' });
    const [missing, created, found] = await Promise.all([
      web.deliveries.getByJobId('post-1-ch-x'),
      web.deliveries.create({ jobId: 'post-1-ch-x', eventKey: 'post-1', channelId: channel.id, subject: 'discourse:post:1', thread: 'discourse:topic:1', opens: true }),
      web.deliveries.getByJobId('post-1-ch-x'),
    ]);
    assert.equal(missing, undefined);
    assert.equal(created.created, true);
    assert.equal(found?.id, created.delivery.id);
    await nextTurn();
    assert.equal((await cli.deliveries.getByJobId('post-1-ch-x'))?.status, 'queued', 'committed, as the other process sees');
    assert.deepEqual(await web.deliveries.getByJobId('post-1-ch-x'), created.delivery, 'the row as create returned it');
  });
});
