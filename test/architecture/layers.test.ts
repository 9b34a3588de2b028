// The layer rules of .dependency-cruiser.cjs (docs/architecture.md) bite: a tree that keeps them
// passes, and one deliberate upward import or import cycle makes `npm run lint:layers` fail.
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = path.resolve(import.meta.dirname, '../..');
const depcruise = path.join(repo, 'node_modules/.bin/depcruise');
const config = path.join(repo, '.dependency-cruiser.cjs');

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** Writes a miniature src/ tree (path → source) with the project's tsconfig settings and cruises it. */
async function cruise(files: Record<string, string>): Promise<{ ok: boolean; output: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'layers-'));
  dirs.push(dir);
  await writeFile(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true }, include: ['src'] }),
  );
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), text);
  }
  try {
    const { stdout } = await run(depcruise, ['src', '--config', config, '--output-type', 'err'], { cwd: dir });
    return { ok: true, output: stdout };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; code?: number };
    return { ok: false, output: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

const base = {
  'src/domain/light.ts': `export const red = 'red';\n`,
  'src/platform/feishu/client.ts': `import { red } from '../../domain/light.js';\nexport const send = (): string => red;\n`,
  'src/cards/card.ts': `import type { } from '../platform/feishu/client.js';\nexport const card = (s: string): object => ({ s });\n`,
  'src/cycle/open.ts': `import { send } from '../platform/feishu/client.js';\nimport { card } from '../cards/card.js';\nexport const open = (): object => card(send());\n`,
  'src/chat/answer.ts': `import { open } from '../cycle/open.js';\nexport const answer = (): object => open();\n`,
  'src/app/processors.ts': `import { answer } from '../chat/answer.js';\nexport const all = [answer];\n`,
};

describe('import boundaries', { timeout: 60_000 }, () => {
  it('passes a tree whose imports all run downward', async () => {
    const r = await cruise(base);
    expect(r.output).toContain('no dependency violations');
    expect(r.ok).toBe(true);
  });

  it('fails when the platform imports a feature', async () => {
    const r = await cruise({ ...base, 'src/platform/feishu/client.ts': `import { open } from '../../cycle/open.js';\nexport const send = (): string => String(open);\n` });
    expect(r.ok).toBe(false);
    expect(r.output).toContain('platform-imports-no-feature');
  });

  it('fails when a lower feature imports a higher one', async () => {
    const r = await cruise({ ...base, 'src/cycle/open.ts': `import { answer } from '../chat/answer.js';\nexport const open = (): object => answer;\n` });
    expect(r.ok).toBe(false);
    expect(r.output).toContain('feature-cycle-imports-upward');
  });

  it('fails when a card imports a feature or a feature imports the composition layer', async () => {
    const r = await cruise({
      ...base,
      'src/cards/card.ts': `import { open } from '../cycle/open.js';\nexport const card = (s: string): object => ({ s, open });\n`,
      'src/chat/answer.ts': `import { all } from '../app/processors.js';\nexport const answer = (): object => all;\n`,
    });
    expect(r.ok).toBe(false);
    expect(r.output).toContain('cards-are-presentation');
    expect(r.output).toContain('features-never-import-composition');
  });

  it('fails on an import cycle inside one layer', async () => {
    const r = await cruise({
      ...base,
      'src/cycle/a.ts': `import { b } from './b.js';\nexport const a = (): number => b() + 1;\n`,
      'src/cycle/b.ts': `import { a } from './a.js';\nexport const b = (): number => (a.length > 9 ? 0 : 1);\n`,
    });
    expect(r.ok).toBe(false);
    expect(r.output).toContain('no-circular');
  });
});
