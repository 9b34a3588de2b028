// Test data factories with overrides: makeProject(db, { region: '天城县' }).
import { randomBytes } from 'node:crypto';
import type { Db } from '../../src/db/database.js';
import type { Stage, CycleKind } from '../../src/db/schema.js';

let seq = 0;
const next = () => `${Date.now().toString(36)}${(seq++).toString(36)}${randomBytes(2).toString('hex')}`;

export async function makeRegion(db: Db, name = '天城县'): Promise<number> {
  const existing = await db.selectFrom('regions').select('id').where('name', '=', name).executeTakeFirst();
  if (existing) return existing.id;
  const kind = name.endsWith('县') ? '县' : name.endsWith('区') ? '区' : name.endsWith('市') ? '市' : '其他';
  return (await db.insertInto('regions').values({ name, kind }).returning('id').executeTakeFirstOrThrow()).id;
}

export async function makePerson(
  db: Db,
  o: { name?: string; mobile?: string; openId?: string | null; email?: string | null } = {},
): Promise<{ id: number; openId: string | null; mobile: string }> {
  const mobile = o.mobile ?? `139${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
  const openId = o.openId === undefined ? `ou_${next()}` : o.openId;
  const row = await db
    .insertInto('people')
    .values({
      name: o.name ?? `测试人${seq}`,
      mobile,
      email: o.email ?? null,
      open_id: openId,
      user_id: null,
      match_status: openId ? 'matched' : 'unmatched',
      matched_at: openId ? new Date() : null,
      prompted_at: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, openId, mobile };
}

export async function makeDepartment(db: Db, name = '市发改委', contactPersonId: number | null = null): Promise<number> {
  const existing = await db.selectFrom('departments').select('id').where('name', '=', name).executeTakeFirst();
  if (existing) return existing.id;
  return (await db.insertInto('departments').values({ name, contact_person_id: contactPersonId }).returning('id').executeTakeFirstOrThrow()).id;
}

export type ProjectOverrides = {
  code?: string;
  name?: string;
  region?: string;
  stage?: Stage;
  frequency?: CycleKind;
  total?: string;
  annualPlan?: string;
  ownerId?: number | null;
  leaderId?: number | null;
  viceMayorId?: number | null;
  departmentId?: number | null;
  plannedStart?: string | null;
  started?: boolean;
  active?: boolean;
  lists?: string[];
};

export async function makeProject(db: Db, o: ProjectOverrides = {}): Promise<{ id: number; code: string }> {
  const regionId = await makeRegion(db, o.region ?? '天城县');
  const code = o.code ?? `XM${next()}`;
  const row = await db
    .insertInto('projects')
    .values({
      code,
      name: o.name ?? `测试项目${code}`,
      legal_entity: null,
      location: null,
      region_id: regionId,
      industry: null,
      stage: o.stage ?? '续建',
      lists: o.lists ?? ['在建项目'],
      dispatch_frequency: o.frequency ?? 'weekly',
      total_investment: o.total ?? '100000',
      annual_plan: o.annualPlan ?? '12000',
      investor_type: null,
      planned_start: o.plannedStart ?? '2024-03-01',
      planned_finish: null,
      owner_id: o.ownerId ?? null,
      leader_id: o.leaderId ?? null,
      vice_mayor_id: o.viceMayorId ?? null,
      department_id: o.departmentId ?? null,
      started: o.started ?? true,
      started_on: null,
      completed_on: null,
      registered_on: null,
      ytd_year: null,
      active: o.active ?? true,
      retired_at: null,
      updated_by: 'test',
    })
    .returning(['id', 'code'])
    .executeTakeFirstOrThrow();
  return row;
}
