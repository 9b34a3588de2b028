// Local days off (县庆, a city-wide closure …) that an admin adds on top of the national
// calendar, and the WorkCalendar built from both. Read on every use: the table is tiny and an
// admin's change must count from the next tick on, in every instance.
import type { Db } from '../db/database.js';
import { WorkCalendar, assertDay } from '../domain/work-calendar.js';
import { AppError } from '../errors.js';

export type CalendarOverride = { day: string; kind: 'off' | 'work'; note: string | null; createdBy: string; createdAt: Date };

export async function loadWorkCalendar(db: Db): Promise<WorkCalendar> {
  const rows = await db.selectFrom('calendar_overrides').select(['day', 'kind']).execute();
  return new WorkCalendar({
    localDaysOff: rows.filter((r) => r.kind === 'off').map((r) => r.day),
    localWorkdays: rows.filter((r) => r.kind === 'work').map((r) => r.day),
  });
}

export async function listOverrides(db: Db, opts: { year?: number } = {}): Promise<CalendarOverride[]> {
  let q = db.selectFrom('calendar_overrides').selectAll().orderBy('day');
  if (opts.year !== undefined) q = q.where('day', '>=', `${opts.year}-01-01`).where('day', '<=', `${opts.year}-12-31`);
  const rows = await q.execute();
  return rows.map((r) => ({ day: r.day, kind: r.kind, note: r.note, createdBy: r.created_by, createdAt: r.created_at }));
}

/** Adds (or re-labels) a local day off. Returns false when the day was already a day off with that note. */
export async function addDayOff(db: Db, day: string, note: string | null, actor: string): Promise<boolean> {
  try {
    assertDay(day);
  } catch {
    throw new AppError('VALIDATION', `not a date: ${day}`, { userMessage: `日期“${day}”格式不正确，应为 YYYY-MM-DD，如 2026-12-01` });
  }
  const before = await db.selectFrom('calendar_overrides').select(['kind', 'note']).where('day', '=', day).executeTakeFirst();
  if (before?.kind === 'off' && before.note === note) return false;
  await db
    .insertInto('calendar_overrides')
    .values({ day, kind: 'off', note, created_by: actor })
    .onConflict((oc) => oc.column('day').doUpdateSet({ kind: 'off', note, created_by: actor }))
    .execute();
  return true;
}

export async function removeOverride(db: Db, day: string): Promise<boolean> {
  const res = await db.deleteFrom('calendar_overrides').where('day', '=', day).executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}
