// The README's runnable blocks (fenced ```bash run```) run as written against the sandbox: the
// recipe "Trying the real service without Feishu" gives every variable, creates the database
// and seeds the sandbox, so the imported people are matched. Bounded: 4 minutes at most.
import { describe, expect, it } from 'vitest';
import { runReadme, runnableBlocks } from '../../scripts/run-readme.js';
import { adminDatabaseUrl } from '../helpers/services.js';

describe('README recipes', () => {
  it('picks only the blocks marked to run', () => {
    expect(runnableBlocks('```bash\nnot this\n```\n```bash run\nthis\n```\n')).toEqual(['this\n']);
  });

  it('runs every runnable block of README.md', async () => {
    const { code, output } = await runReadme('README.md', { timeoutMs: 220_000, adminUrl: adminDatabaseUrl() });
    // Seeded, the sandbox knows every person of the example workbook: all 20 are matched.
    expect(output).toMatch(/共 20 人/);
    expect(output.match(/ 已匹配 /g)).toHaveLength(20);
    expect(code, output.slice(-3000)).toBe(0);
  }, 240_000);
});
