// The year-to-date column (年度累计完成投资): offices that start using the bot mid-year carry
// each project's investment completed so far this year, and the first report adds to it
// (submission/ytd.ts). Headers name it many ways — 本年累计完成投资, 年初至今完成投资,
// 截至上月累计完成投资, 1-10月完成投资, 2026年1—10月累计完成投资 — and some name the year
// and the months covered, which decide which year the figure belongs to. Pure.
import { DateTime } from 'luxon';
import { DEFAULT_TZ } from '../domain/period.js';
import type { SheetIssue } from './sheet-issue.js';

/** What a year-to-date header says beyond "this is the year-to-date". */
export type YtdHeader = {
  /** "2026年累计完成投资" → 2026; null when the header names no year. */
  year: number | null;
  /** "1-10月完成投资" → 10; null when the header names no month range. */
  throughMonth: number | null;
  /** "截至上月…": through the month before the import. */
  lastMonth: boolean;
};

const CHINESE_MONTHS: Record<string, number> = {
  一: 1, 二: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9, 十: 10, 十一: 11, 十二: 12,
};
const MONTH = '(\\d{1,2}|十[一二]?|[一二三四五六七八九])';
const RANGE_DASH = '[-—–~〜～至到]';

// The period words, each optional on its own but at least one of year or period is needed:
// a bare "累计完成投资" may equally be the cumulative since the project started.
const PERIOD = [
  '(?:本|今|当)年度?',
  '年度',
  '年内',
  '年初(?:至今|以来|至上月(?:底|末)?)',
  `(?<last>截[至止]上月(?:底|末)?)`,
  `(?:1|一)月?${RANGE_DASH}${MONTH.replace('(', '(?<range>')}月(?:份|底|末)?`,
  `截[至止]${MONTH.replace('(', '(?<through>')}月(?:份|底|末)?`,
].join('|');
const TAIL = '(?:累计)?(?:已)?完成(?:固定资产)?投资(?:额)?|累计完成(?:额)?|累计投资(?:额)?';
const YTD = new RegExp(`^(?:(?<year>\\d{4})年度?)?(?<period>${PERIOD})?(?:${TAIL})$`);

/** Headers that could be this year's or the project's whole cumulative: not guessed. */
const AMBIGUOUS = /^(?:累计完成投资(?:额)?|累计完成(?:额)?|累计投资(?:额)?|完成投资(?:额)?)$/;

function monthNumber(text: string): number {
  return /^\d+$/.test(text) ? Number(text) : CHINESE_MONTHS[text] ?? 0;
}

/**
 * Reads a normalised header (full-width folded, no spaces, unit removed) as a year-to-date
 * column, or null when it is not one.
 */
export function parseYtdHeader(base: string): YtdHeader | null {
  const m = YTD.exec(base);
  if (!m?.groups) return null;
  const { year, period, last, range, through } = m.groups;
  if (!year && !period) return null;
  const month = range ?? through;
  return { year: year ? Number(year) : null, throughMonth: month ? monthNumber(month) : null, lastMonth: Boolean(last) };
}

export function isAmbiguousYtdHeader(base: string): boolean {
  return AMBIGUOUS.test(base);
}

// Earlier years are typos (or another system's test data), as in domain/period.ts.
const MIN_YEAR = 2000;

/** The calendar year and month of an instant in the dispatch office's zone. */
export function dispatchYearMonth(now: Date, tz: string = DEFAULT_TZ): { year: number; month: number } {
  const dt = DateTime.fromJSDate(now, { zone: tz });
  return { year: dt.year, month: dt.month };
}

export type YtdYearInput = {
  header: YtdHeader;
  /** The column's header as typed, and the row it is on, for messages. */
  column: string;
  headerRow: number;
  /** `import --year`. */
  optionYear?: number;
  now: Date;
  tz?: string;
};

export type YtdYearSource = 'header' | 'option' | 'default';
export type YtdYear = { ok: true; year: number; source: YtdYearSource } | { ok: false; issues: SheetIssue[] };

/**
 * Which year the column's figures count toward: the year the header names, else --year, else
 * the current year in the dispatch zone. Refuses what cannot be a year-to-date of that year
 * (a conflict between header and --year, a future year, months not yet reached) rather than
 * store a wrong starting point that every later report would add to.
 */
export function resolveYtdYear(input: YtdYearInput): YtdYear {
  const { header, column, headerRow, optionYear } = input;
  const now = dispatchYearMonth(input.now, input.tz);
  const issues: string[] = [];
  if (header.throughMonth !== null && (header.throughMonth < 1 || header.throughMonth > 12)) {
    issues.push(`表头中的月份 ${header.throughMonth} 不存在，应为 1-12 月之间`);
  }
  if (header.year !== null && optionYear !== undefined && header.year !== optionYear) {
    issues.push(`表头注明为 ${header.year} 年，与 --year ${optionYear} 不一致；请去掉 --year 或改正表头`);
  }
  let year: number;
  let source: YtdYearSource;
  if (header.year !== null) {
    year = header.year;
    source = 'header';
  } else if (optionYear !== undefined) {
    year = optionYear;
    source = 'option';
  } else {
    // In January "截至上月" is through last December: last year's figure, not this year's start.
    year = header.lastMonth && now.month === 1 ? now.year - 1 : now.year;
    source = 'default';
  }
  if (year < MIN_YEAR) issues.push(`年份 ${year} 不合理`);
  else if (year > now.year) issues.push(`年份 ${year} 晚于当前年份 ${now.year}，不能导入尚未开始年度的累计完成投资`);
  else if (year === now.year) {
    if (header.throughMonth !== null && header.throughMonth > now.month) {
      issues.push(`表头为 1-${header.throughMonth} 月，但 ${year} 年 ${header.throughMonth} 月尚未到来；如为上一年度数据，请在表头注明年份或使用 --year`);
    }
    if (header.lastMonth && now.month === 1) {
      issues.push(`1 月导入时“截至上月”是 ${year - 1} 年的数据，不能作为 ${year} 年的累计完成投资`);
    }
  }
  if (issues.length > 0) return { ok: false, issues: issues.map((message) => ({ row: headerRow, column, message })) };
  return { ok: true, year, source };
}
