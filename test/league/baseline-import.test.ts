// `league baseline --file`: 上年同期 per region from a sheet (.xlsx or .csv), every row stored or,
// on any bad cell, none, with each problem named by row and column.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as XLSX from '@e965/xlsx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/platform/app-context.js';
import { leagueCommands } from '../../src/cli/league.commands.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-db.js';
import { makeRegion } from '../helpers/factories.js';
import { runCommand, silentLogger } from '../registry/registry-helpers.js';

let t: TestDatabase;
let ctx: AppContext;
let dir: string;
const ids: Record<string, number> = {};

const baselines = async () =>
  (await t.db.selectFrom('region_baselines as b').innerJoin('regions as r', 'r.id', 'b.region_id')
    .select(['r.name', 'b.year', 'b.through_month', 'b.amount']).orderBy('r.name').orderBy('b.through_month').execute())
    .map((b) => [b.name, b.year, b.through_month, Number(b.amount)]);

beforeAll(async () => {
  t = await createTestDatabase();
  ctx = { db: t.db, logger: silentLogger, now: () => new Date('2026-11-20T02:00:00Z'), config: { DISPATCH_TZ: 'Asia/Shanghai' } } as unknown as AppContext;
  for (const name of ['天城县', '河西区', '东山县']) ids[name] = await makeRegion(t.db, name);
  dir = await mkdtemp(join(tmpdir(), 'baseline-'));
});

afterAll(async () => {
  await t.drop();
  await rm(dir, { recursive: true, force: true });
});

describe('league baseline --file', () => {
  it('imports an .xlsx with a title row; amounts in 亿元 when the header says so; months as "1-11月"', async () => {
    const ws = XLSX.utils.aoa_to_sheet([
      ['2025年各地区重点项目完成投资（上年同期）'],
      ['地区', '年份', '截至月份', '上年同期完成投资（亿元）'],
      ['天城县', 2025, 11, 2.8],
      ['河西区', '2025年', '1-11月', '1.5'],
      ['东山县', 2025, 10, 0.95],
    ]);
    const wb = XLSX.utils.book_new();
    XLSX.utils.book_append_sheet(wb, ws, '上年同期');
    const file = join(dir, '上年同期.xlsx');
    await writeFile(file, XLSX.write(wb, { type: 'buffer', bookType: 'xlsx' }) as Buffer);
    const res = await runCommand(leagueCommands, ctx, ['league', 'baseline', '--file', file]);
    expect(res.code).toBe(0);
    expect(res.out.join('\n')).toContain('已导入 3 条上年同期数据');
    expect(await baselines()).toEqual([['东山县', 2025, 10, 9500], ['天城县', 2025, 11, 28000], ['河西区', 2025, 11, 15000]]);
  });

  it('updates existing figures from a CSV in 万元', async () => {
    const file = join(dir, 'baseline.csv');
    await writeFile(file, '地区,年份,截至月份,上年同期完成投资(万元)\n天城县,2025,11,28123.45\n');
    const res = await runCommand(leagueCommands, ctx, ['league', 'baseline', '--file', file]);
    expect(res.code).toBe(0);
    expect((await baselines()).find((b) => b[0] === '天城县')).toEqual(['天城县', 2025, 11, 28123.45]);
  });

  it('names every bad cell by row and column and stores nothing', async () => {
    const before = await baselines();
    const file = join(dir, 'bad.csv');
    await writeFile(file, [
      '地区,年份,截至月份,上年同期完成投资（万元）',
      '河西区,2025,11,16000',
      '南山县,2025,11,100',
      '东山县,25,13,abc',
      '河西区,2025,11,17000',
      '天城县,2025,11,',
    ].join('\n'));
    const err = await runCommand(leagueCommands, ctx, ['league', 'baseline', '--file', file]).then(() => null, (e: { userMessage: string }) => e);
    expect(err?.userMessage.split('\n')).toEqual([
      '上年同期表有 6 处问题，未导入任何数据：',
      'row 3, column 地区: 没有名为“南山县”的地区',
      'row 4, column 年份: “25”不是年份，应如 2025',
      'row 4, column 截至月份: “13”不是月份，应为 1—12，如 11 或 1-11月',
      expect.stringMatching(/^row 4, column 上年同期完成投资（万元）: /),
      'row 5, column 地区: 与第 2 行重复（河西区 2025年1-11月）',
      'row 6, column 上年同期完成投资（万元）: 金额不能为空',
    ]);
    expect(await baselines()).toEqual(before);
  });

  it('refuses a sheet without the needed columns', async () => {
    const file = join(dir, 'cols.csv');
    await writeFile(file, '地区,上年同期完成投资\n天城县,100\n');
    await expect(runCommand(leagueCommands, ctx, ['league', 'baseline', '--file', file])).rejects.toMatchObject({
      userMessage: expect.stringContaining('row 1, column 年份、截至月份: 缺少列：年份、截至月份'),
    });
  });
});
