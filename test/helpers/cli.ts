// The admin CLI as an admin runs it: `node bin/parley.js …` in a child process, with an environment of a fresh
// install (none of the caller's Parley settings leak in), and the shared Discourse webhook fixtures.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Store } from '../../lib/seams/store.js';
import { openStore } from '../../lib/store/index.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/parley.js', import.meta.url));
export const FIXTURES = fileURLToPath(new URL('../../../shared/fixtures/discourse-webhooks/', import.meta.url));
export const POST_2025 = path.join(FIXTURES, 'discourse-2025.12', 'post_created.body.json');
export const POST_2_9 = path.join(FIXTURES, 'post_created.discourse-2.9.0.beta4.body.json');
export const PRIVATE_MESSAGE = path.join(FIXTURES, 'post_created.private_message.discourse-2.9.0.beta4.body.json');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** This process's environment without Parley's own variables, plus `install`'s. */
export function freshEnv(install: Record<string, string>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('PARLEY_') || ['DATABASE_URL', 'PORT', 'REDIS_URL', 'LOG_LEVEL'].includes(k)) continue;
    out[k] = v;
  }
  return { ...out, ...install };
}

/** Runs `parley ARGS`; rejects only when it does not finish within `timeoutMs`. */
export function runParley(args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`parley ${args.join(' ')} did not finish in ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const SPAWN_TIMEOUT_MS = 60_000;

/** One fresh install per test (its own SQLite file and data folder), so that tests can run side by side. */
export function sandbox(t: TestContext) {
  const dir = mkdtempSync(path.join(tmpdir(), 'parley-cli-'));
  const dbFile = path.join(dir, 'parley.db');
  t.after(() => rmSync(dir, { recursive: true, force: true }));

  function parley(args: string[], extraEnv: Record<string, string> = {}): Promise<CliRun> {
    return runParley(args, freshEnv({ DATABASE_URL: dbFile, PARLEY_DATA_DIR: dir, ...extraEnv }), SPAWN_TIMEOUT_MS);
  }

  /** Runs and expects exit 0, showing stderr when not. */
  async function ok(args: string[]): Promise<string> {
    const run = await parley(args);
    assert.equal(run.code, 0, `parley ${args.join(' ')} exited ${run.code}\nstderr: ${run.stderr}\nstdout: ${run.stdout}`);
    return run.stdout;
  }

  async function json<T>(args: string[]): Promise<T> {
    return JSON.parse(await ok(args)) as T;
  }

  async function withStore<T>(fn: (store: Store) => Promise<T>): Promise<T> {
    const store = await openStore({ kind: 'sqlite', path: dbFile });
    try {
      return await fn(store);
    } finally {
      await store.close();
    }
  }

  return { parley, ok, json, withStore };
}
