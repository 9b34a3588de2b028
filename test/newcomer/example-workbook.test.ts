// examples/项目清单模板.xlsx is what the README's `import 清单.xlsx` examples run on: its first sheet
// is an introduction (说明), so importing it also proves the importer finds the sheet holding the
// list. A workbook with no such sheet, and a file that is no spreadsheet, get messages of their own.
import { readFileSync } from 'node:fs';
import * as XLSX from '@e965/xlsx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.js';
import { readSheet, sourceFromBytes } from '../../src/registry/sheet-reader.js';
import { buildExampleWorkbook, EXAMPLE_WORKBOOK } from '../../scripts/make-example-workbook.js';
import { createTestDatabase, deleteRedisKeys, uniqueQueuePrefix, type TestDatabase } from '../helpers/test-db.js';
import { testRedisUrl } from '../helpers/services.js';

const sheetsOf = (bytes: Buffer) => {
  const wb = XLSX.read(bytes, { type: 'buffer' });
  return wb.SheetNames.map((n) => [n, XLSX.utils.sheet_to_json<unknown[]>(wb.Sheets[n], { header: 1 })[0]]);
};

describe('the example workbook', () => {
  let t: TestDatabase;
  const prefix = uniqueQueuePrefix();
  const saved = { ...process.env };
  const run = async (...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out, err };
  };
  beforeAll(async () => {
    t = await createTestDatabase();
    for (const k of Object.keys(process.env)) if (k.startsWith('LARK_')) delete process.env[k];
    Object.assign(process.env, { DATABASE_URL: t.url, REDIS_URL: testRedisUrl(), QUEUE_PREFIX: prefix, LOG_LEVEL: 'error' });
  });
  afterAll(async () => {
    process.env = saved;
    await t.drop();
    await deleteRedisKeys(prefix);
  });

  it('is the one the committed script writes: 说明 first, then the list', () => {
    const committed = sheetsOf(readFileSync(EXAMPLE_WORKBOOK));
    expect(committed).toEqual(sheetsOf(buildExampleWorkbook()));
    expect(committed.map(([n]) => n)).toEqual(['说明', '项目清单']);
  });

  it('imports with --dry-run as the README says, finding the list behind the 说明 sheet', async () => {
    const r = await run('import', 'examples/项目清单模板.xlsx', '--dry-run');
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.out.join('\n')).toMatch(/项目清单/);
    expect(r.out.join('\n')).toMatch(/6/);
  });

  it('lists the sheets and suggests --sheet when none holds a header row', () => {
    const wb = XLSX.utils.book_new();
    XLSX.utils.book_append_sheet(wb, XLSX.utils.aoa_to_sheet([['填表说明'], ['请如实填写']]), '说明');
    XLSX.utils.book_append_sheet(wb, XLSX.utils.aoa_to_sheet([['名称', '金额'], ['甲', 1]]), '汇总');
    const file = sourceFromBytes('清单.xlsx', XLSX.write(wb, { type: 'buffer', bookType: 'xlsx' }) as Buffer);
    expect(() => readSheet(file)).toThrow(expect.objectContaining({
      userMessage: '文件“清单.xlsx”的工作表（说明、汇总）中都找不到表头（“项目编号”“项目名称”等列名）；请用 --sheet 指定项目清单所在的工作表，如 --sheet "汇总"',
    }));
    // Named explicitly, the sheet is read as asked.
    expect(readSheet(file, { sheet: '汇总' }).sheetName).toBe('汇总');
  });

  it('says a file that is neither xlsx nor csv is not a spreadsheet', () => {
    const pdf = sourceFromBytes('清单', Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\n'));
    expect(() => readSheet(pdf)).toThrow(expect.objectContaining({ userMessage: expect.stringContaining('不是 .xlsx 或 .csv 表格（看起来是 PDF 文件）') }));
    const bin = sourceFromBytes('清单.txt', Buffer.from([0x41, 0x00, 0x42, 0x0a]));
    expect(() => readSheet(bin)).toThrow(expect.objectContaining({ userMessage: expect.stringContaining('看起来是二进制文件') }));
  });
});
