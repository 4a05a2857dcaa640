// The admin CLI as an admin runs it: `node bin/parley.js …` in a child process, with an environment of a fresh
// install (none of the caller's Parley settings leak in), and the shared Discourse webhook fixtures.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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
