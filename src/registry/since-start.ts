// The sheet's 开工以来累计完成投资 column, written inside the import's transaction. The sheet is
// the starting point; once a monthly report has carried the figure (reports.since_start_investment)
// the reports are the record and a re-imported sheet does not overwrite it (it is listed instead),
// the same rule as the year-to-date (registry/ytd-apply.ts).
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { Dec, formatWan } from '../domain/amount.js';
import type { ColumnMap } from '../registry/header-map.js';
import type { ProjectRow } from '../registry/row-schema.js';
import { formatIssue } from '../registry/sheet-issue.js';
import { jsonChunks } from './registry-store.js';

export async function applySinceStart(
  trx: Kysely<Database>,
  rows: readonly ProjectRow[],
  columns: ColumnMap,
  meta: { actor: string; importId: number; now: Date },
): Promise<string[]> {
  const column = columns.fields.sinceStartInvestment?.header;
  const given = rows.filter((r): r is ProjectRow & { sinceStartInvestment: string } => typeof r.sinceStartInvestment === 'string');
  if (!column || given.length === 0) return [];
  const projects = (await sql<{ id: number; code: string; since_start_investment: string | null }>`
    select id, code, since_start_investment from projects where code = any(${given.map((r) => r.code)}::text[])`.execute(trx)).rows;
  const byCode = new Map(projects.map((p) => [p.code, p]));
  const carried = new Set((await sql<{ project_id: number }>`
    select distinct project_id from reports
    where project_id = any(${projects.map((p) => p.id)}::int[]) and since_start_investment is not null`.execute(trx)).rows.map((r) => r.project_id));
  const warnings: string[] = [];
  const writes: SinceStartWrite[] = [];
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
    writes.push({ id: p.id, value: row.sinceStartInvestment, changes: { since_start_investment: { from: stored, to: row.sinceStartInvestment } } });
  }
  // A whole sheet's worth in a few statements: one per project cost a 10,000-row sheet 20,000 round trips.
  for (const part of jsonChunks(writes)) {
    await sql`
      with v as (select * from json_to_recordset(${part}::json) as v(id int, value numeric, changes json)),
      written as (
        update projects p set since_start_investment = v.value, updated_at = ${meta.now}, updated_by = ${meta.actor}
        from v where p.id = v.id
      )
      insert into project_changes (project_id, import_id, changed_by, changes, created_at)
      select v.id, ${meta.importId}::int, ${meta.actor}::text, v.changes, ${meta.now}::timestamptz from v`.execute(trx);
  }
  return warnings;
}

type SinceStartWrite = { id: number; value: string; changes: { since_start_investment: { from: string | null; to: string } } };
