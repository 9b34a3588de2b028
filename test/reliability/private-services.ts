// Private PostgreSQL and Redis instances for the tests that restart them: started from the
// installed binaries on a free loopback port in a temp dir, never the shared ones. Postgres runs
// as the `postgres` user (initdb refuses root). Every instance is stopped by its `stop()`, which
// the test calls in afterAll whatever happened.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function pgBin(name: string): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) {
    const p = join(base, v, 'bin', name);
    if (existsSync(p)) return p;
  }
  return name;
}

const asPostgres = (args: string[]) => {
  const isRoot = process.getuid?.() === 0;
  return isRoot ? { cmd: 'runuser', args: ['-u', 'postgres', '--', ...args] } : { cmd: args[0], args: args.slice(1) };
};

function run(args: string[]): void {
  const { cmd, args: rest } = asPostgres(args);
  execFileSync(cmd, rest, { stdio: 'pipe', timeout: 60_000 });
}

/** Without blocking the event loop: the service under test runs in this process. */
async function runAsync(args: string[]): Promise<void> {
  const { cmd, args: rest } = asPostgres(args);
  await promisify(execFile)(cmd, rest, { timeout: 60_000 });
}

export type PrivatePostgres = {
  port: number;
  /** postgres://postgres@127.0.0.1:port/<db> */
  url: (db?: string) => string;
  createDatabase: (name: string) => Promise<string>;
  /** Stops (immediate: every backend is cut, as in a crash) and starts again; waits until it accepts. */
  restart: (opts?: { downMs?: number }) => Promise<void>;
  stopServer: () => void;
  startServer: () => void;
  stop: () => Promise<void>;
};

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'dispatch-pg-'));
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
  }
  chmodSync(dir, 0o700);
  const data = join(dir, 'data');
  const port = await freePort();
  run([pgBin('initdb'), '-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C']);
  // synchronous_commit stays on: an immediate stop is a crash, and a commit must survive one.
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=200`;
  const startArgs = [pgBin('pg_ctl'), '-D', data, '-o', opts, '-l', join(dir, 'log'), '-w', '-t', '60', 'start'];
  const stopArgs = [pgBin('pg_ctl'), '-D', data, '-m', 'immediate', '-w', 'stop'];
  const startServer = () => run(startArgs);
  const stopServer = () => run(stopArgs);
  startServer();
  const url = (db = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${db}`;
  let stopped = false;
  return {
    port,
    url,
    async createDatabase(name) {
      const c = new pg.Client({ connectionString: url() });
      await c.connect();
      await c.query(`create database "${name}"`);
      await c.end();
      return url(name);
    },
    async restart(o = {}) {
      await runAsync(stopArgs);
      if (o.downMs) await new Promise((r) => setTimeout(r, o.downMs));
      await runAsync(startArgs);
    },
    stopServer,
    startServer,
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        stopServer();
      } catch {
        // already down
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type PrivateRedis = {
  port: number;
  url: string;
  restart: (opts?: { downMs?: number }) => Promise<void>;
  stop: () => Promise<void>;
};

/** A redis-server with persistence off... except an append-only file, so a restart keeps the queues. */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'dispatch-redis-'));
  const port = await freePort();
  let proc: ChildProcess | undefined;
  const start = async () => {
    proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always'], { stdio: 'ignore' });
    const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined);
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        await probe.connect();
        await probe.ping();
        probe.disconnect();
        return;
      } catch {
        probe.disconnect();
        if (Date.now() > deadline) throw new Error(`private redis on ${port} did not start`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };
  const kill = async () => {
    const p = proc;
    proc = undefined;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill('SIGKILL');
    });
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async restart(o = {}) {
      await kill();
      if (o.downMs) await new Promise((r) => setTimeout(r, o.downMs));
      await start();
    },
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
