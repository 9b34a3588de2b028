// PostgreSQL and Redis for the demo (and `npm run try`): the ones DATABASE_URL / REDIS_URL name,
// else the local ones on their default ports; where those are not running, private throwaway
// instances started from the installed binaries and removed afterwards; where none are
// installed, a clear message how to get them.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, chownSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { delimiter, join } from 'node:path';
import pg from 'pg';
import { Redis } from 'ioredis';
import { envValue } from '../config.js';

export type LocalServices = {
  /** An admin connection (database `postgres`) on the server to use. */
  postgresAdminUrl: string;
  redisUrl: string;
  /** What was started privately, for the progress line. */
  started: string[];
  /** Stops and removes whatever was started privately; the shared services are left alone. */
  stop: () => Promise<void>;
};

export const HOW_TO_INSTALL = [
  'PostgreSQL and Redis are neither running nor installed. Either:',
  '  Debian/Ubuntu:  sudo apt-get install postgresql redis-server',
  '  macOS:          brew install postgresql@16 redis',
  '  Docker:         docker compose up -d postgres redis   (publishes 5432 and 6379 on 127.0.0.1)',
  'or point DATABASE_URL / REDIS_URL at running ones.',
].join('\n');

async function postgresAnswers(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

async function redisAnswers(url: string): Promise<boolean> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 3000, retryStrategy: () => null });
  r.on('error', () => undefined);
  try {
    await r.connect();
    return (await r.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

/** A binary on PATH, or in Debian's versioned PostgreSQL directories. */
export function findBinary(name: string, path = envValue('PATH') ?? ''): string | undefined {
  const dirs = path.split(delimiter).filter(Boolean);
  if (existsSync('/usr/lib/postgresql')) {
    for (const v of readdirSync('/usr/lib/postgresql').sort().reverse()) dirs.push(`/usr/lib/postgresql/${v}/bin`);
  }
  return dirs.map((d) => join(d, name)).find((p) => existsSync(p));
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} did not come up within ${timeoutMs / 1000} s`);
}

/** initdb refuses to run as root: there the server runs as the `postgres` system user. */
function asPostgresUser(cmd: string[]): string[] {
  return userInfo().uid === 0 ? ['runuser', '-u', 'postgres', '--', ...cmd] : cmd;
}

function run(cmd: string[]): void {
  const r = spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} failed: ${r.stderr || r.stdout || r.error?.message}`);
}

async function startPrivatePostgres(): Promise<{ url: string; dir: string; stop: () => Promise<void> }> {
  const initdb = findBinary('initdb');
  const pgCtl = findBinary('pg_ctl');
  if (!initdb || !pgCtl) throw new Error(HOW_TO_INSTALL);
  const dir = mkdtempSync(join(tmpdir(), 'dispatch-pg-'));
  if (userInfo().uid === 0) {
    const pw = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    if (pw.status !== 0) throw new Error(`running as root, PostgreSQL needs the 'postgres' system user to run as, and there is none.\n${HOW_TO_INSTALL}`);
    chownSync(dir, Number(pw.stdout.trim()), Number(gid.stdout.trim()));
  }
  const data = join(dir, 'data');
  const port = await freePort();
  const stop = async () => {
    const cmd = asPostgresUser([pgCtl, '-D', data, '-m', 'immediate', '-w', 'stop']);
    spawnSync(cmd[0], cmd.slice(1));
    rmSync(dir, { recursive: true, force: true });
  };
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  try {
    run(asPostgresUser([initdb, '-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']));
    run(asPostgresUser([pgCtl, '-D', data, '-l', join(dir, 'log'), '-w', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start']));
    await waitUntil('private PostgreSQL', () => postgresAnswers(url));
  } catch (e) {
    // Nobody else knows of this server yet: one that never came up must not outlive the error.
    await stop();
    throw e;
  }
  return { url, dir, stop };
}

async function startPrivateRedis(): Promise<{ url: string; dir: string; stop: () => Promise<void> }> {
  const bin = findBinary('redis-server');
  if (!bin) throw new Error(HOW_TO_INSTALL);
  const dir = mkdtempSync(join(tmpdir(), 'dispatch-redis-'));
  const port = await freePort();
  const child = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      // One that does not stop when asked must still not outlive the demo.
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitUntil('private Redis', () => redisAnswers(url));
  } catch (e) {
    await stop();
    throw e;
  }
  return { url, dir, stop };
}

/**
 * Finds or starts PostgreSQL and Redis. `env` is where DATABASE_URL / REDIS_URL come from; an
 * explicitly named service that does not answer is an error (it was asked for), not replaced.
 */
export async function ensureLocalServices(
  env: { DATABASE_URL?: string; REDIS_URL?: string },
  // The ports probed for already-running services; another port lets a test (or a person) make the
  // demo start its private instances while the usual servers keep running.
  local: { postgresPort?: number; redisPort?: number } = {},
): Promise<LocalServices> {
  const localPostgres = `postgres://postgres@127.0.0.1:${local.postgresPort ?? 5432}/postgres`;
  const localRedis = `redis://127.0.0.1:${local.redisPort ?? 6379}`;
  const stops: (() => Promise<void>)[] = [];
  const started: string[] = [];
  const stop = async () => {
    for (const s of stops.splice(0).reverse()) await s().catch(() => undefined);
  };
  try {
    let postgresAdminUrl: string;
    if (env.DATABASE_URL) {
      const u = new URL(env.DATABASE_URL);
      u.pathname = '/postgres';
      postgresAdminUrl = u.toString();
      if (!(await postgresAnswers(postgresAdminUrl))) throw new Error(`PostgreSQL at DATABASE_URL (${u.host}) does not answer; start it or unset DATABASE_URL.`);
    } else if (await postgresAnswers(localPostgres)) {
      postgresAdminUrl = localPostgres;
    } else {
      const p = await startPrivatePostgres();
      stops.push(p.stop);
      started.push(`a private PostgreSQL on ${new URL(p.url).port}`);
      postgresAdminUrl = p.url;
    }
    let redisUrl: string;
    if (env.REDIS_URL) {
      redisUrl = env.REDIS_URL;
      if (!(await redisAnswers(redisUrl))) throw new Error(`Redis at REDIS_URL (${new URL(redisUrl).host}) does not answer; start it or unset REDIS_URL.`);
    } else if (await redisAnswers(localRedis)) {
      redisUrl = localRedis;
    } else {
      const r = await startPrivateRedis();
      stops.push(r.stop);
      started.push(`a private Redis on ${new URL(r.url).port}`);
      redisUrl = r.url;
    }
    return { postgresAdminUrl, redisUrl, started, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Exported for tests: start the private instances directly. */
export const privateInstances = { startPrivatePostgres, startPrivateRedis };
