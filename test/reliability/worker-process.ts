// The worker child (worker-child.ts) as the reliability tests start, kill and watch it.
// Every child started here is remembered, so afterAll can SIGKILL whatever is still running.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Config } from '../../src/config.js';
import { machineEnv } from '../helpers/child-env.js';

export type WorkerProcess = {
  proc: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: string[];
  kill: () => Promise<void>;
};

const children = new Set<ChildProcess>();

/** SIGKILLs every worker child still running (for afterAll, whatever happened). */
export function killAllWorkers(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  children.clear();
}

/** Starts the worker child against `config`'s database, Redis, queues and sandbox; resolves once it is ready. */
export async function startWorker(config: Config, env: Record<string, string> = {}): Promise<WorkerProcess> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'test/reliability/worker-child.ts'], {
    cwd: process.cwd(),
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...machineEnv(),
      NODE_ENV: 'test',
      LARK_APP_ID: config.LARK_APP_ID,
      LARK_APP_SECRET: config.LARK_APP_SECRET,
      LARK_VERIFICATION_TOKEN: config.LARK_VERIFICATION_TOKEN,
      LARK_DOMAIN: config.LARK_DOMAIN,
      DATABASE_URL: config.DATABASE_URL,
      REDIS_URL: config.REDIS_URL,
      QUEUE_PREFIX: config.QUEUE_PREFIX,
      SEND_RATE_PER_SECOND: String(config.SEND_RATE_PER_SECOND),
      SEND_RATE_PER_MINUTE: String(config.SEND_RATE_PER_MINUTE),
      LOG_LEVEL: 'error',
      LOG_FORMAT: 'json',
      ...env,
    },
  });
  children.add(proc);
  const stderr: string[] = [];
  proc.stderr.on('data', (b: Buffer) => stderr.push(b.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => {
      children.delete(proc);
      resolve({ code, signal });
    }),
  );
  // Waits on the line itself, not a fixed time: tsx's start-up is slow on a busy machine.
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('worker child did not start within 90 s')), 90_000);
    let out = '';
    proc.stdout.on('data', (b: Buffer) => {
      out += b.toString('utf8');
      if (out.includes('worker ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then((e) => {
      clearTimeout(timer);
      reject(new Error(`worker child exited before it was ready (${e.code ?? e.signal}): ${stderr.join('').slice(-2000)}`));
    });
  });
  return {
    proc,
    exited,
    stderr,
    kill: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    },
  };
}

export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}
