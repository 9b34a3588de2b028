// /healthz, /metrics, and start-up without configuration.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { HttpServer } from '../../src/platform/http-server.js';
import { createMetrics } from '../../src/platform/metrics.js';
import { createEventDispatcher } from '../../src/platform/feishu/lark-intake.js';
import { createLogger } from '../../src/logger.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-db.js';
import { machineEnv } from '../helpers/child-env.js';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Why redis-server cannot be used here, or undefined when it can. */
function redisServerProblem(): string | undefined {
  // Bounded: a redis-server that hangs before main (libfaketime preloaded into it deadlocks in
  // jemalloc, see scripts/faked-date-suite.sh) would otherwise block this file's event loop for ever.
  const r = spawnSync('redis-server', ['--version'], { stdio: 'ignore', timeout: 15_000 });
  if (r.error) return r.error.message;
  return r.status === 0 ? undefined : `redis-server --version exited ${r.status ?? r.signal}`;
}

describe('health and metrics', () => {
  let t: TestDatabase;
  let redisPort: number;
  let redisProc: ReturnType<typeof spawn>;
  let redis: Redis;
  let server: HttpServer;
  let url: string;

  beforeAll(async () => {
    const problem = redisServerProblem();
    if (problem) throw new Error(`redis-server is needed to test a stopped Redis: ${problem}`);
    t = await createTestDatabase();
    // A Redis of this test's own, so stopping it touches nobody else.
    redisPort = await freePort();
    redisProc = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    // Built as createAppContext builds the service's client (commands wait for a reconnect for
    // ever), so only /healthz's own time limit can report it down.
    redis = new Redis({ port: redisPort, host: '127.0.0.1', maxRetriesPerRequest: null, retryStrategy: () => 200 });
    redis.on('error', () => undefined);
    for (let i = 0; i < 50 && redis.status !== 'ready'; i++) await new Promise((r) => setTimeout(r, 100));
    const logger = createLogger('silent');
    const dispatcher = createEventDispatcher({ encryptKey: '', verificationToken: 'v', logger, handlers: { onMessage: async () => undefined, onCardAction: async () => ({}) } });
    server = new HttpServer({ db: t.db, redis, logger, metrics: createMetrics(), dispatcher, encryptKey: '', verificationToken: 'v' });
    url = `http://127.0.0.1:${await server.start(0, '127.0.0.1')}`;
  });
  afterAll(async () => {
    await server.stop();
    redis.disconnect();
    redisProc.kill('SIGKILL');
    await t.drop();
  });

  it('reports healthy when Postgres and Redis answer, and exposes metrics', async () => {
    const res = await fetch(`${url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, postgres: 'ok', redis: 'ok' });
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain('dispatch_http_requests_total{route="/healthz",status="200"} 1');
    expect(metrics).toContain('process_cpu_seconds_total');
  });

  it('reports a stopped Redis as unhealthy', async () => {
    redisProc.kill('SIGTERM');
    await new Promise((r) => redisProc.once('exit', r));
    const res = await fetch(`${url}/healthz`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as { ok: boolean; postgres: string; redis: string };
    expect(body.ok).toBe(false);
    expect(body.postgres).toBe('ok');
    expect(body.redis).toMatch(/^down/);
  });

  it('answers 404 for unknown paths, counted under one label', async () => {
    expect((await fetch(`${url}/nope`)).status).toBe(404);
    expect((await fetch(`${url}/wp-admin/x.php`)).status).toBe(404);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain('dispatch_http_requests_total{route="other",status="404"} 2');
    expect(metrics).not.toContain('wp-admin');
  });
});

describe('npm run cli -- sandbox', () => {
  it('keeps serving until it is told to stop', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'sandbox', '--port', '0'], { env: machineEnv(), cwd: process.cwd() });
    try {
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      // Waits on the line itself, not a fixed time: tsx's start-up takes long on a busy machine.
      const base = await new Promise<string>((resolve, reject) => {
        let stdout = '';
        const timer = setTimeout(() => reject(new Error(`sandbox did not start within 60 s; stdout: ${stdout}`)), 60_000);
        child.stdout.on('data', (d: Buffer) => {
          stdout += d.toString();
          const m = /listening on (http:\S+)/.exec(stdout);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]);
          }
        });
        child.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`sandbox exited early with ${code}`));
        });
      });
      const stats = await fetch(`${base}/_sandbox/stats`);
      expect(stats.status).toBe(200);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }, 90_000);
});

describe('npm start without configuration', () => {
  it('exits non-zero listing every missing variable, without a stack trace', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: machineEnv(),
      cwd: process.cwd(),
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(2);
    for (const name of ['LARK_APP_ID', 'LARK_APP_SECRET', 'LARK_VERIFICATION_TOKEN', 'DATABASE_URL', 'REDIS_URL']) {
      expect(stderr).toContain(`${name}: missing`);
    }
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
