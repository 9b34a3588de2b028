// 上年同期 per region from the office's sheet (地区 / 年份 / 截至月份 / 上年同期完成投资(万元)), for
// year-on-year growth. The whole sheet is checked first and stored in one transaction, or not at
// all: a half-imported baseline would rank some regions on growth and silently not others.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { AppError } from '../errors.js';
import { cellText, parseMoney, type Cell, type MoneyUnit } from '../registry/cell-parsers.js';
import { normalizeHeader } from '../registry/header-map.js';
import { formatIssue, type SheetIssue } from '../registry/sheet-issue.js';
import { readSheet, readSourceFile, type SheetData } from '../registry/sheet-reader.js';

type Column = 'region' | 'year' | 'month' | 'amount';

const LABELS: Record<Column, string> = { region: '地区', year: '年份', month: '截至月份', amount: '上年同期完成投资（万元）' };

const SYNONYMS: Record<Column, string[]> = {
  region: ['地区', '所属地区', '县区', '县市区', '县(市、区)', '县(市,区)', '区域', '所属县市区'],
  year: ['年份', '年度', '年'],
  month: ['截至月份', '截止月份', '截至月', '截止月', '月份', '月'],
  amount: ['上年同期完成投资', '上年同期累计完成投资', '上年同期投资', '上年同期', '同期完成投资', '完成投资'],
};

export type BaselineRow = { rowNumber: number; regionId: number; regionName: string; year: number; throughMonth: number; amount: string };

type Header = { index: Record<Column, number>; names: Record<Column, string>; unit: MoneyUnit; rowNumber: number };

function findHeader(sheet: SheetData): Header | SheetIssue {
  // Title rows may sit above the header: the first row naming the region and the amount is it.
  for (const row of sheet.rows.slice(0, 10)) {
    const index: Partial<Record<Column, number>> = {};
    const names: Partial<Record<Column, string>> = {};
    let unit: MoneyUnit = '万元';
    row.cells.forEach((cell, i) => {
      const raw = cellText(cell);
      const { base, unit: u } = normalizeHeader(raw);
      for (const col of Object.keys(SYNONYMS) as Column[]) {
        if (index[col] === undefined && SYNONYMS[col].includes(base)) {
          index[col] = i;
          names[col] = raw.trim();
          if (col === 'amount' && u) unit = u;
          break;
        }
      }
    });
    if (index.region === undefined || index.amount === undefined) continue;
    const missing = (Object.keys(LABELS) as Column[]).filter((c) => index[c] === undefined);
    if (missing.length > 0) {
      return { row: row.rowNumber, column: missing.map((c) => LABELS[c]).join('、'), message: `缺少列：${missing.map((c) => LABELS[c]).join('、')}` };
    }
    return { index: index as Record<Column, number>, names: names as Record<Column, string>, unit, rowNumber: row.rowNumber };
  }
  return { row: 1, column: LABELS.region, message: `没有找到表头：需要“${Object.values(LABELS).join('”“')}”四列` };
}

const digits = (cell: Cell): string => cellText(cell).normalize('NFKC').trim();

/** 2025 / "2025" / "2025年". */
function parseYear(cell: Cell): number | string {
  const m = /^(\d{4})年?$/.exec(digits(cell));
  const y = m ? Number(m[1]) : NaN;
  return Number.isInteger(y) && y >= 2000 && y <= 2100 ? y : `“${digits(cell)}”不是年份，应如 2025`;
}

/** 11 / "11月" / "1-11月" / "1—11月": the last month the figure runs through. */
function parseMonth(cell: Cell): number | string {
  const m = /^(?:1\s*[-—–~至]\s*)?(\d{1,2})月?$/.exec(digits(cell).replace(/—/g, '-'));
  const n = m ? Number(m[1]) : NaN;
  return Number.isInteger(n) && n >= 1 && n <= 12 ? n : `“${digits(cell)}”不是月份，应为 1—12，如 11 或 1-11月`;
}

/** Pure: the sheet's rows, or every problem with its row and column. */
export function parseBaselineSheet(sheet: SheetData, regions: ReadonlyMap<string, number>): { rows: BaselineRow[]; issues: SheetIssue[] } {
  const header = findHeader(sheet);
  if (!('index' in header)) return { rows: [], issues: [header] };
  const rows: BaselineRow[] = [];
  const issues: SheetIssue[] = [];
  const seen = new Map<string, number>();
  for (const row of sheet.rows.filter((r) => r.rowNumber > header.rowNumber)) {
    const at = (c: Column): Cell => row.cells[header.index[c]] ?? null;
    const issue = (c: Column, message: string) => issues.push({ row: row.rowNumber, column: header.names[c], message });
    const before = issues.length;
    const regionName = cellText(at('region')).trim();
    const regionId = regions.get(regionName);
    if (regionName === '') issue('region', '地区不能为空');
    else if (regionId === undefined) issue('region', `没有名为“${regionName}”的地区`);
    const year = parseYear(at('year'));
    if (typeof year === 'string') issue('year', year);
    const month = parseMonth(at('month'));
    if (typeof month === 'string') issue('month', month);
    const amount = parseMoney(at('amount'), header.unit);
    if (!amount.ok) issue('amount', amount.reason);
    else if (amount.value === null) issue('amount', '金额不能为空');
    else if (amount.value.startsWith('-')) issue('amount', '金额不能为负数');
    if (issues.length > before) continue;
    const key = `${regionId}:${year}:${month}`;
    const first = seen.get(key);
    if (first !== undefined) {
      issue('region', `与第 ${first} 行重复（${regionName} ${year}年1-${month}月）`);
      continue;
    }
    seen.set(key, row.rowNumber);
    rows.push({ rowNumber: row.rowNumber, regionId: regionId as number, regionName, year: year as number, throughMonth: month as number, amount: (amount as { value: string }).value });
  }
  if (rows.length === 0 && issues.length === 0) issues.push({ row: header.rowNumber, column: header.names.region, message: '表头下没有数据行' });
  return { rows, issues };
}

/** Reads the file and stores every row (insert or update), or throws listing every problem and stores nothing. */
export async function importBaselines(db: Kysely<Database>, path: string, by: string): Promise<BaselineRow[]> {
  const sheet = readSheet(await readSourceFile(path));
  const regions = new Map((await db.selectFrom('regions').select(['id', 'name']).execute()).map((r) => [r.name, r.id]));
  const { rows, issues } = parseBaselineSheet(sheet, regions);
  if (issues.length > 0) {
    throw new AppError('VALIDATION', `baseline sheet has ${issues.length} problem(s)`, {
      userMessage: `上年同期表有 ${issues.length} 处问题，未导入任何数据：\n${issues.map(formatIssue).join('\n')}`,
    });
  }
  await db.transaction().execute(async (trx) => {
    for (const r of rows) {
      await trx.insertInto('region_baselines')
        .values({ region_id: r.regionId, year: r.year, through_month: r.throughMonth, amount: r.amount, updated_by: by })
        .onConflict((oc) => oc.columns(['region_id', 'year', 'through_month']).doUpdateSet({ amount: r.amount, updated_by: by, updated_at: new Date() }))
        .execute();
    }
  });
  return rows;
}
