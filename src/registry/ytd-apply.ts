// Which of the sheet's year-to-date figures (年度累计完成投资, ytd-column.ts) the import writes,
// decided inside the import's transaction against what the registry and the reports hold.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { Dec, formatWan } from '../domain/amount.js';
import type { ExistingProject, IncomingProject } from './registry-diff.js';
import * as store from './registry-store.js';
import type { ProjectRow } from './row-schema.js';
import { formatIssue } from './sheet-issue.js';
import type { CheckedSheet } from './sheet-validation.js';
import { dispatchYearMonth } from './ytd-column.js';

export type YtdPlan = {
  /** By project code: the year-to-date to write, for the projects where the sheet's figure is taken. */
  values: Map<string, Pick<IncomingProject['values'], 'ytd_investment' | 'ytd_year'>>;
  warnings: string[];
};

/**
 * Where the sheet's year-to-date is taken. The sheet is only the starting point of a year; once
 * owners report in that year, the reports are the record (each report's cumulative is built on
 * the one before, submission/ytd.ts) and the registry's figure is theirs. Overwriting it from a
 * sheet — typically an older one, re-imported to fix a phone number — would lower it or
 * double-count, so those projects keep their figure and are listed. Neither does a sheet step a
 * project back into an earlier year than the one it already holds.
 */
export async function ytdToApply(
  trx: Kysely<Database>, checked: Pick<CheckedSheet, 'ytd' | 'projects'>, existing: ExistingProject[], deps: { now: () => Date; tz?: string },
): Promise<YtdPlan> {
  const plan: YtdPlan = { values: new Map(), warnings: [] };
  const sheet = checked.ytd;
  if (!sheet) return plan;
  const { year } = sheet;
  const byCode = new Map(existing.map((p) => [p.code, p]));
  const candidates: { row: ProjectRow; ytd: string; current: ExistingProject | undefined }[] = [];
  for (const row of checked.projects) {
    // Blank: nothing known, the stored figure stays.
    if (row.ytdInvestment === undefined || row.ytdInvestment === null) continue;
    candidates.push({ row, ytd: row.ytdInvestment, current: byCode.get(row.code) });
  }
  const differs = (c: (typeof candidates)[number]): boolean =>
    !c.current || c.current.ytd_year !== year || !new Dec(c.current.ytd_investment).eq(c.ytd);
  const reported = await store.projectsReportedInYear(trx, candidates.flatMap((c) => (c.current && differs(c) ? [c.current.id] : [])), year);
  const thisYear = dispatchYearMonth(deps.now(), deps.tz).year;
  const which = year === thisYear ? '本年度' : `${year}年度`;
  const warn = (row: ProjectRow, message: string) =>
    plan.warnings.push(formatIssue({ row: row.rowNumber, column: sheet.column, message: `${row.code} ${row.name}：${message}` }));
  for (const c of candidates) {
    const stored = c.current;
    if (stored && stored.ytd_year !== null && stored.ytd_year > year) {
      warn(c.row, `库中已是 ${stored.ytd_year} 年的累计完成投资，未用清单中 ${year} 年的数据覆盖`);
      continue;
    }
    if (stored && reported.has(stored.id)) {
      warn(c.row, `已有${which}填报数据，未用清单中的累计完成投资覆盖（清单 ${formatWan(c.ytd)}万元，现为 ${formatWan(stored.ytd_investment)}万元）`);
      continue;
    }
    plan.values.set(c.row.code, { ytd_investment: c.ytd, ytd_year: year });
  }
  return plan;
}
