// A PostgreSQL server of a test's own, for a test that stops and starts it under load (the machine's server on 5432,
// PEERS.md, is shared and must stay up): initdb and pg_ctl from the Debian package into a temp dir, on a free
// 127.0.0.1 port, trust auth, no socket file. PostgreSQL refuses to run as root, so as root it runs as the package's
// `postgres` user (runuser), in a dir that user owns. stop() and start() keep the data; destroy() removes everything.
import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port.js';

const run = promisify(execFile);
const SERVER_USER = 'postgres';

export interface PostgresServer {
  /** postgres://postgres@127.0.0.1:PORT/postgres */
  readonly url: string;
  readonly port: number;
  readonly running: boolean;
  /** pg_ctl stop: `fast` (clients are disconnected, a clean shutdown) or `immediate` (as a crash). Waits until it is down. */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Starts it again on the same port and data; resolves once it accepts connections. */
  start(): Promise<void>;
  /** Stops it (immediate) and removes its files. */
  destroy(): Promise<void>;
}

/** The newest installed PostgreSQL's bin dir (Debian: /usr/lib/postgresql/<version>/bin), or null. */
export function postgresBinDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(path.join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
  return versions[0] ? path.join(root, versions[0], 'bin') : null;
}

/** Why this machine cannot run a PostgreSQL of a test's own, or null when it can. */
export function missingPostgresServer(): string | null {
  if (!postgresBinDir()) return 'PostgreSQL server binaries not installed (Debian: apt-get install postgresql)';
  if (userInfo().uid === 0 && spawnSync('id', ['-u', SERVER_USER], { stdio: 'ignore' }).status !== 0) return `running as root, and there is no ${SERVER_USER} user to run PostgreSQL as`;
  return null;
}

export async function startPostgresServer(): Promise<PostgresServer> {
  const bin = postgresBinDir();
  if (!bin) throw new Error(missingPostgresServer()!);
  const asRoot = userInfo().uid === 0;
  const dir = mkdtempSync(path.join(tmpdir(), 'parley-pg-'));
  if (asRoot) {
    const uid = Number(spawnSync('id', ['-u', SERVER_USER], { encoding: 'utf8' }).stdout);
    const gid = Number(spawnSync('id', ['-g', SERVER_USER], { encoding: 'utf8' }).stdout);
    chownSync(dir, uid, gid);
    chmodSync(dir, 0o700);
  }
  const data = path.join(dir, 'data');
  const logFile = path.join(dir, 'server.log');
  const command = (tool: string, args: string[]): [string, string[]] =>
    asRoot ? ['runuser', ['-u', SERVER_USER, '--', path.join(bin, tool), ...args]] : [path.join(bin, tool), args];
  const exec = async (tool: string, args: string[]): Promise<void> => {
    const [file, argv] = command(tool, args);
    await run(file, argv, { cwd: dir, timeout: 60_000 });
  };

  // No fsync: the test needs a restart, not durability across a power loss.
  await exec('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions']);
  let port = 0;
  let running = false;
  const options = () => `-c port=${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off -c full_page_writes=off -c synchronous_commit=off`;
  const start = async (): Promise<void> => {
    await exec('pg_ctl', ['start', '-D', data, '-l', logFile, '-w', '-t', '60', '-o', options()]);
    running = true;
  };
  const stopNow = (): void => {
    if (!running) return;
    const [file, argv] = command('pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-w']);
    spawnSync(file, argv, { cwd: dir, stdio: 'ignore', timeout: 30_000 });
    running = false;
  };
  // A test that dies (an uncaught error, a timeout) must not leave a postmaster behind.
  process.once('exit', stopNow);

  // Another process may take the probed port before the server binds it: try a few.
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    try {
      await start();
      break;
    } catch (err) {
      if (attempt >= 4) {
        rmSync(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }

  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    get running() {
      return running;
    },
    async stop(mode = 'fast') {
      await exec('pg_ctl', ['stop', '-D', data, '-m', mode, '-w', '-t', '60']);
      running = false;
    },
    start,
    async destroy() {
      stopNow();
      process.removeListener('exit', stopNow);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
