// A real ngircd (the Debian package, 26.x) for one test: its own config in a fresh temp dir, free 127.0.0.1
// ports, optionally a TLS port with a self-signed certificate made here. A real server, so that the IRC bot
// is tested against an ircd's own behaviour (registration, NAMES, modes, penalties), not our idea of it.
//
// Running as root (as the CI and dev containers do): ngircd refuses ServerUID = root ("ServerUID must not be
// root(0), using "nobody" instead") and drops to nobody/nogroup after reading its config and TLS key, so
// the temp dir is made world-readable (a REHASH as nobody must still read it) and no PidFile is written
// (nobody cannot write in it, and the child's pid is known anyway). IncludeDir points at an empty dir so that
// snippets in /etc/ngircd/ngircd.conf.d never leak into a test.
//
// Flood control, measured with ngircd 26.1 here (the penalty test in irc-test-servers.test.ts keeps it honest):
// - 30 short PRIVMSGs written in one burst: the first 7 are relayed at once, then 3 per second, the last
//   after ~8 s; 100 lines of ~430 bytes: 3 at once, then ~2.5 per second (~40 s); 3000 lines: still only
//   throttled. ngircd stops reading from a client that is ahead and TCP backpressure does the rest.
// - Paced lines were not held back: 30 lines 100-500 ms apart arrived within ~40 ms each; 50 ms apart (20/s)
//   the lag grew to ~3.5 s by the 30th.
// - It never disconnects for rate: ngircd has no "Excess Flood" at all (not even the string in its binary).
// - What DOES disconnect: one line over 512 bytes including CRLF -> "ERROR :Request too long" and the
//   connection is closed (seen for 520, 700 and 2000 bytes). A 5000-byte line instead wedged the connection
//   silently (no PONG within 8 s, not closed). And a relayed PRIVMSG is truncated to fit 512 bytes WITH the
//   sender's prefix: 491 characters of text sent in a 505-byte line arrived as 468.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm, writeFile, chmod } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port.js';

const run = promisify(execFile);

export interface Ngircd {
  host: '127.0.0.1';
  /** Plain-text port. */
  port: number;
  /** TLS port when started with `tls: true`, else null. */
  tlsPort: number | null;
  /** PEM of the self-signed certificate (CN localhost, SAN IP:127.0.0.1 and DNS:localhost) for a client to trust. */
  caCert: string | null;
  serverName: string;
  /** Stops it (SIGTERM, SIGKILL after 2 s) and removes its temp dir. Idempotent. */
  stop(): Promise<void>;
  /** Stops it and starts it again on the same ports; resolves once it accepts connections again. */
  restart(): Promise<void>;
  /** Its stdout and stderr so far (all runs), for failure messages. */
  log(): string;
}

export interface NgircdOptions {
  tls?: boolean;
  /** One [Operator] block each, for OPER <name> <password>. */
  operators?: { name: string; password: string }[];
  /** Default 30: ngircd's own default of 9 (RFC 2812) is too short for irc-framework and our bot nicks. */
  maxNickLength?: number;
}

const SERVER_NAME = 'irc.parley.test';

// Whatever happens to the test process, no ngircd outlives it.
const live = new Set<ChildProcess>();
const dirs = new Set<string>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const cleanUp = () => {
    for (const child of live) child.kill('SIGKILL');
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', cleanUp);
  // 'exit' does not run when a signal ends the process (the test runner's SIGTERM, a Ctrl-C): clean up, then
  // re-raise the signal for its default action, unless someone else listens for it and so decides instead.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      cleanUp();
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}

export async function startNgircd(opts: NgircdOptions = {}): Promise<Ngircd> {
  installExitHook();
  const dir = await mkdtemp(join(tmpdir(), 'parley-ngircd-'));
  dirs.add(dir);
  await chmod(dir, 0o755);
  await mkdir(join(dir, 'conf.d'));
  const configFile = join(dir, 'ngircd.conf');

  let caCert: string | null = null;
  if (opts.tls) {
    await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')]);
    await chmod(join(dir, 'key.pem'), 0o644);
    caCert = await readFile(join(dir, 'cert.pem'), 'utf8');
  }

  let output = '';
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();
  let port = 0;
  let tlsPort: number | null = null;

  function spawnServer(): void {
    const proc = spawn('ngircd', ['--nodaemon', '--passive', '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(proc);
    child = proc;
    proc.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    exited = new Promise<void>((resolve) => {
      proc.on('exit', (code, signal) => {
        live.delete(proc);
        if (child === proc) child = null;
        output += `[ngircd exited: ${signal ?? `code ${code}`}]\n`;
        resolve();
      });
      proc.on('error', (err) => {
        output += `[ngircd failed to start: ${err.message}]\n`;
        live.delete(proc);
        if (child === proc) child = null;
        resolve();
      });
    });
  }

  /** Resolves once every port accepts a TCP connection; throws if ngircd exits first or takes over 10 s. */
  async function untilAccepting(): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (const p of [port, ...(tlsPort === null ? [] : [tlsPort])]) {
      while (!(await accepts(p))) {
        if (child === null) throw new Error(`ngircd exited before listening on ${p}:\n${output}`);
        if (Date.now() > deadline) throw new Error(`ngircd not listening on ${p} after 10 s:\n${output}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  async function stopProcess(): Promise<void> {
    const proc = child;
    if (!proc) return;
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
  }

  // Another process may take a probed port before ngircd binds it: then ngircd exits, and we try new ports.
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    tlsPort = opts.tls ? await freePort() : null;
    await writeFile(configFile, config({ ...opts, dir, port, tlsPort }), { mode: 0o644 });
    spawnServer();
    try {
      await untilAccepting();
      break;
    } catch (err) {
      await stopProcess();
      if (attempt >= 3) {
        dirs.delete(dir);
        await rm(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }

  let stopped = false;
  return {
    host: '127.0.0.1',
    port,
    tlsPort,
    caCert,
    serverName: SERVER_NAME,
    log: () => output,
    async stop() {
      stopped = true;
      await stopProcess();
      dirs.delete(dir);
      await rm(dir, { recursive: true, force: true });
    },
    async restart() {
      if (stopped) throw new Error('ngircd: restart() after stop()');
      await stopProcess();
      output += '[restarting]\n';
      spawnServer();
      await untilAccepting();
    },
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function config(o: NgircdOptions & { dir: string; port: number; tlsPort: number | null }): string {
  const lines = [
    '[Global]',
    `Name = ${SERVER_NAME}`,
    'Info = Parley test server',
    // Only to silence "No administrative information configured but required by RFC!".
    'AdminInfo1 = Parley tests',
    'AdminInfo2 = 127.0.0.1',
    'AdminEMail = tests@parley.test',
    'Listen = 127.0.0.1',
    `Ports = ${o.port}`,
    'MotdPhrase = Parley test server',
    '[Limits]',
    `MaxNickLength = ${o.maxNickLength ?? 30}`,
    'MaxConnectionsIP = 0',
    'MaxJoins = 0',
    'PingTimeout = 120',
    'PongTimeout = 20',
    '[Options]',
    'PAM = no',
    'Ident = no',
    'DNS = no',
    'OperCanUseMode = yes',
    'AllowRemoteOper = no',
    'MorePrivacy = no',
    `IncludeDir = ${join(o.dir, 'conf.d')}`,
  ];
  if (o.tlsPort !== null) {
    lines.push('[SSL]', `CertFile = ${join(o.dir, 'cert.pem')}`, `KeyFile = ${join(o.dir, 'key.pem')}`, `Ports = ${o.tlsPort}`);
  }
  for (const op of o.operators ?? []) lines.push('[Operator]', `Name = ${op.name}`, `Password = ${op.password}`);
  return `${lines.join('\n')}\n`;
}

/** The variables that point a Parley at this server over plain TCP, as `nick`. */
export function ircEnv(server: Pick<Ngircd, 'host' | 'port'>, nick: string): Record<string, string> {
  return { PARLEY_IRC_SERVER: server.host, PARLEY_IRC_PORT: String(server.port), PARLEY_IRC_TLS: 'false', PARLEY_IRC_NICK: nick };
}
