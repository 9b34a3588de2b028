import { describe, expect, it } from 'vitest';
import iconv from 'iconv-lite';
import { isAppError } from '../../src/errors.js';
import { csvRecords, decodeCsvBytes, readSheet, sourceFromBytes } from '../../src/registry/sheet-reader.js';
import { FIXTURE_CSV, fixtureXlsx, gridToXlsx } from './registry-helpers.js';

describe('CSV', () => {
  it('reads quoted fields with commas, quotes and line breaks, numbering rows as Excel does', () => {
    const rows = csvRecords('a,b\r\n"x, y","say ""hi"""\r\n\r\n"two\nlines",z\n');
    expect(rows).toEqual([
      { rowNumber: 1, cells: ['a', 'b'] },
      { rowNumber: 2, cells: ['x, y', 'say "hi"'] },
      { rowNumber: 3, cells: [null] },
      { rowNumber: 4, cells: ['two\nlines', 'z'] },
    ]);
  });

  it('detects UTF-8 with and without BOM, and GBK', () => {
    const text = '项目编号,项目名称\nXM1,雷打滩水电站\n';
    expect(decodeCsvBytes(Buffer.from(text, 'utf8'))).toEqual({ text, encoding: 'utf8' });
    expect(decodeCsvBytes(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]))).toEqual({ text, encoding: 'utf8' });
    expect(decodeCsvBytes(iconv.encode(text, 'gbk'))).toEqual({ text, encoding: 'gbk' });
  });

  it('skips blank lines but keeps the numbering', () => {
    const sheet = readSheet(sourceFromBytes('a.csv', Buffer.from('项目编号,项目名称\n\nXM1,甲\n,\nXM2,乙\n')));
    expect(sheet.rows.map((r) => r.rowNumber)).toEqual([1, 3, 5]);
    expect(sheet.format).toBe('csv');
  });

  it('reads a tab-separated export', () => {
    const sheet = readSheet(sourceFromBytes('a.txt', Buffer.from('项目编号\t项目名称\nXM1\t甲\n')));
    expect(sheet.rows[1]?.cells).toEqual(['XM1', '甲']);
  });
});

describe('xlsx', () => {
  it('reads the first sheet with typed cells and row numbers', () => {
    const sheet = readSheet(sourceFromBytes('projects.xlsx', fixtureXlsx()));
    expect(sheet.sheetName).toBe('在建项目清单');
    expect(sheet.rows).toHaveLength(FIXTURE_CSV.trim().split('\n').length);
    const first = sheet.rows[1];
    expect(first?.rowNumber).toBe(2);
    expect(first?.cells[0]).toBe('XM2026001');
    expect(first?.cells[9]).toBe(265561);
    // The date cell comes back as its serial number (2024-02-15).
    expect(first?.cells[12]).toBe(45337);
  });

  it('picks a sheet by name and lists the sheets when the name is wrong', () => {
    const bytes = gridToXlsx([['项目编号'], ['XM1']], { sheetName: '清单', extraSheets: ['说明'] });
    // No sheet holds a header row here: the sheets are listed and --sheet suggested (issue 14).
    expect(() => readSheet(sourceFromBytes('a.xlsx', bytes))).toThrow(expect.objectContaining({ userMessage: expect.stringContaining('（说明、清单）中都找不到表头') }));
    expect(readSheet(sourceFromBytes('a.xlsx', bytes), { sheet: '清单' }).rows[1]?.cells).toEqual(['XM1']);
    try {
      readSheet(sourceFromBytes('a.xlsx', bytes), { sheet: '没有' });
      expect.fail('should throw');
    } catch (e) {
      expect(isAppError(e, 'VALIDATION') && e.userMessage).toBe('找不到工作表“没有”，文件中的工作表有：说明、清单');
    }
  });

  it('fills merged cells from their top-left cell and numbers rows from the sheet', () => {
    const bytes = gridToXlsx(
      [['标题', null], ['地区', '项目'], ['天城县', 'A'], [null, 'B']],
      { merges: [{ s: { r: 0, c: 0 }, e: { r: 0, c: 1 } }, { s: { r: 2, c: 0 }, e: { r: 3, c: 0 } }] },
    );
    const rows = readSheet(sourceFromBytes('a.xlsx', bytes)).rows;
    expect(rows.map((r) => [r.rowNumber, ...r.cells])).toEqual([[1, '标题', '标题'], [2, '地区', '项目'], [3, '天城县', 'A'], [4, '天城县', 'B']]);
  });

  it('refuses files it cannot read with a Chinese message', () => {
    expect(() => readSheet(sourceFromBytes('a.pdf', Buffer.from('%PDF-1.4')))).toThrow(/pdf/);
    expect(() => readSheet(sourceFromBytes('a.csv', Buffer.alloc(0)))).toThrow(/empty/);
    try {
      readSheet(sourceFromBytes('a.pdf', Buffer.from('%PDF')));
    } catch (e) {
      expect(isAppError(e) && e.userMessage).toContain('不支持的文件类型');
    }
  });
});
