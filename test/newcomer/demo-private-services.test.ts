// With PostgreSQL and Redis not running where the demo looks, `npm run demo` starts private
// throwaway instances from the installed binaries, plays the month, prints the league table and an
// escalation to a 分管副市长, and removes what it started. The shared servers keep running: the
// demo is pointed (DEMO_PG_PORT / DEMO_REDIS_PORT) at ports where nothing listens.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findBinary } from '../../src/devservices/local-services.js';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host: '127.0.0.1', port });
    sock.once('connect', () => { sock.destroy(); resolve(true); });
    sock.once('error', () => resolve(false));
  });
}

// The demo's own temporary folder (TMPDIR), so other test files' private servers in the shared one
// cannot be mistaken for its leftovers; readable by the postgres user that runs initdb there.
const demoTmp = mkdtempSync(join(tmpdir(), 'demo-tmp-'));
chmodSync(demoTmp, 0o755);
const privateDirs = () => new Set(readdirSync(demoTmp).filter((n) => /^dispatch-(pg|redis)-/.test(n)));

let child: ChildProcess | undefined;
const outDir = mkdtempSync(join(tmpdir(), 'demo-out-'));

afterAll(() => {
  // On failure or timeout: the demo and anything it started in its process group go.
  if (child?.pid && child.exitCode === null) {
    try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
  }
  rmSync(outDir, { recursive: true, force: true });
  rmSync(demoTmp, { recursive: true, force: true });
});

describe.runIf(findBinary('redis-server') && findBinary('initdb'))('npm run demo without running services', () => {
  it('starts private PostgreSQL and Redis, plays the month, and leaves nothing behind', async () => {
    const [pgPort, redisPort] = [await freePort(), await freePort()];
    const dirsBefore = privateDirs();
    const env: NodeJS.ProcessEnv = { ...process.env, DEMO_PG_PORT: String(pgPort), DEMO_REDIS_PORT: String(redisPort), DEMO_DATABASE: 'dispatch_demo', TMPDIR: demoTmp };
    for (const k of ['DATABASE_URL', 'REDIS_URL', 'DEMO_ADMIN_DATABASE_URL', 'DEMO_REDIS_URL']) delete env[k];
    child = spawn('npm', ['run', 'demo', '--', '--out', outDir], { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((resolve) => child!.once('exit', (c) => resolve(c)));

    expect(code, output.slice(-3000)).toBe(0);
    const started = [...output.matchAll(/started a private (PostgreSQL|Redis) on (\d+)/g)].map((m) => ({ what: m[1], port: Number(m[2]) }));
    expect(started.map((s) => s.what).sort()).toEqual(['PostgreSQL', 'Redis']);
    // The league table (擂台) with its ranking rows, and an escalation that reached a 分管副市长.
    expect(output).toMatch(/11月擂台已发到市调度群/);
    expect(output).toMatch(/名次\s+地区/);
    expect(output).toMatch(/升级到分管副市长的事项 [1-9]\d* 件/);
    expect(output).toMatch(/↑↑ /);
    // Nothing left: the private servers no longer listen and their data directories are gone.
    for (const s of started) expect(await listening(s.port), `${s.what} on ${s.port}`).toBe(false);
    const left = [...privateDirs()].filter((n) => !dirsBefore.has(n));
    expect(left).toEqual([]);
  }, 240_000);
});
