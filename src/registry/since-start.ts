// The sheet's 开工以来累计完成投资 column, written inside the import's transaction. The sheet is
// the starting point; once a monthly report has carried the figure (reports.since_start_investment)
// the reports are the record and a re-imported sheet does not overwrite it (it is listed instead),
// the same rule as the year-to-date (registry/ytd-apply.ts).
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { Dec, formatWan } from '../domain/amount.js';
import type { ColumnMap } from '../registry/header-map.js';
import type { ProjectRow } from '../registry/row-schema.js';
import { formatIssue } from '../registry/sheet-issue.js';

export async function applySinceStart(
  trx: Kysely<Database>,
  rows: readonly ProjectRow[],
  columns: ColumnMap,
  meta: { actor: string; importId: number; now: Date },
): Promise<string[]> {
  const column = columns.fields.sinceStartInvestment?.header;
  const given = rows.filter((r): r is ProjectRow & { sinceStartInvestment: string } => typeof r.sinceStartInvestment === 'string');
  if (!column || given.length === 0) return [];
  const projects = await trx
    .selectFrom('projects')
    .select(['id', 'code', 'name', 'since_start_investment'])
    .where('code', 'in', given.map((r) => r.code))
    .execute();
  const byCode = new Map(projects.map((p) => [p.code, p]));
  const carried = new Set(
    (await trx
      .selectFrom('reports')
      .select('project_id')
      .where('project_id', 'in', projects.map((p) => p.id))
      .where('since_start_investment', 'is not', null)
      .distinct()
      .execute()).map((r) => r.project_id),
  );
  const warnings: string[] = [];
  for (const row of given) {
    const p = byCode.get(row.code);
    if (!p) continue;
    const stored = p.since_start_investment;
    if (stored !== null && new Dec(stored).eq(row.sinceStartInvestment)) continue;
    if (carried.has(p.id)) {
      warnings.push(formatIssue({
        row: row.rowNumber, column,
        message: `${row.code} ${row.name}：已有月度填报接续开工以来累计完成投资，未用清单覆盖（清单 ${formatWan(row.sinceStartInvestment)}万元，现为 ${formatWan(stored ?? '0')}万元）`,
      }));
      continue;
    }
    await trx.updateTable('projects').set({ since_start_investment: row.sinceStartInvestment, updated_at: meta.now, updated_by: meta.actor }).where('id', '=', p.id).execute();
    await trx.insertInto('project_changes').values({
      project_id: p.id, import_id: meta.importId, changed_by: meta.actor,
      changes: JSON.stringify({ since_start_investment: { from: stored, to: row.sinceStartInvestment } }),
    }).execute();
  }
  return warnings;
}
