// Runs the README's code blocks that are meant to run — fenced as ```bash run``` — one after another
// in one bash (set -euo pipefail), against the sandbox, and fails on the first failing command.
// Bounded: each run has a time limit, and every process it started is killed at the end.
// The database named in the blocks is swapped for a throwaway one, and the sandbox port for a
// free one, so a run never touches a real `dispatch` database or a sandbox already running.
//   npx tsx scripts/run-readme.ts [README.md] [--timeout 180]
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export function runnableBlocks(markdown: string): string[] {
  const blocks: string[] = [];
  const re = /^```bash run[^\n]*\n([\s\S]*?)^```/gm;
  for (let m = re.exec(markdown); m; m = re.exec(markdown)) blocks.push(m[1]);
  return blocks;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export async function runReadme(file: string, opts: { timeoutMs: number; adminUrl: string }): Promise<{ code: number; output: string }> {
  const blocks = runnableBlocks(readFileSync(file, 'utf8'));
  if (blocks.length === 0) throw new Error(`${file} has no \`\`\`bash run blocks`);
  const db = `dispatch_test_${Date.now().toString(36)}_readme${randomBytes(2).toString('hex')}`;
  const port = await freePort();
  const script = ['set -euo pipefail', ...blocks]
    .join('\n')
    .replaceAll('127.0.0.1:5432/dispatch', `127.0.0.1:5432/${db}`)
    .replaceAll('8081', String(port));
  const child = spawn('bash', ['-c', script], { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, QUEUE_PREFIX: `readme-${process.pid}` } });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const timer = setTimeout(() => {
    output += `\n[run-readme] timed out after ${opts.timeoutMs / 1000} s`;
    try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ }
  }, opts.timeoutMs);
  const code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
  clearTimeout(timer);
  // Background processes of the blocks (the sandbox) belong to the same process group.
  try { process.kill(-child.pid!, 'SIGTERM'); } catch { /* all gone */ }
  const admin = new pg.Client({ connectionString: opts.adminUrl });
  await admin.connect();
  await admin.query(`drop database if exists "${db}" with (force)`);
  await admin.end();
  return { code, output };
}

const isMain = process.argv[1]?.endsWith('run-readme.ts');
if (isMain) {
  const args = process.argv.slice(2);
  const t = args.indexOf('--timeout');
  const timeoutMs = (t >= 0 ? Number(args[t + 1]) : 180) * 1000;
  const file = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--timeout') ?? 'README.md';
  runReadme(file, { timeoutMs, adminUrl: 'postgres://postgres@127.0.0.1:5432/postgres' }).then(({ code, output }) => {
    process.stdout.write(output);
    console.log(`\n[run-readme] ${file}: ${code === 0 ? 'every runnable block ran' : `failed (exit ${code})`}`);
    process.exit(code);
  }, (e: unknown) => {
    console.error((e as Error).message);
    process.exit(1);
  });
}
