// How the import names what it changed: the Chinese field labels, and the values of a change
// as kept in project_changes (ids carry their names) and as shown to the person importing.
import type { Kysely } from 'kysely';
import { together } from '../db/together.js';
import type { Database } from '../db/schema.js';
import { formatWan } from '../domain/amount.js';
import { canonicalValue, REGISTRY_FIELDS, scalarText, type FieldChange, type RegistryDiff, type RegistryField, type RegistryValues } from './registry-diff.js';
import * as store from './registry-store.js';

export type DisplayChange = { field: string; from: string; to: string };

export const FIELD_LABELS: Record<RegistryField | 'active', string> = {
  name: '项目名称', legal_entity: '项目法人', location: '建设地点', region_id: '所属地区', industry: '行业类别',
  stage: '项目阶段', lists: '所属清单', dispatch_frequency: '调度频次', total_investment: '总投资',
  annual_plan: '年度计划投资', ytd_investment: '年度累计完成投资', ytd_year: '累计完成投资所属年度', investor_type: '投资主体', planned_start: '计划开工日期', planned_finish: '计划竣工日期',
  owner_id: '项目负责人', leader_id: '包保领导', vice_mayor_id: '分管副市长', department_id: '责任单位', active: '状态',
};

export type Labeller = {
  /** The value as kept in project_changes: ids of people, regions and departments carry their names. */
  stored(field: FieldChange['field'], value: unknown): unknown;
  display(change: FieldChange): DisplayChange;
  /**
   * A new project's change row: every field with a value, from null, money in canonical form,
   * ids with their names. A year-to-date of 0 for no year is the default, not something the
   * sheet said, and is left out.
   */
  created(values: RegistryValues): Record<string, { from: null; to: unknown }>;
};

/** For the new projects' change rows and the updated projects' changes. */
export async function labeller(trx: Kysely<Database>, diff: Pick<RegistryDiff, 'created' | 'updated'>): Promise<Labeller> {
  const personIds = new Set<number>();
  const personFields = new Set<FieldChange['field']>(['owner_id', 'leader_id', 'vice_mayor_id']);
  for (const u of diff.updated) for (const ch of u.changes) {
    if (!personFields.has(ch.field)) continue;
    for (const v of [ch.from, ch.to]) if (typeof v === 'number') personIds.add(v);
  }
  for (const c of diff.created) for (const id of [c.values.owner_id, c.values.leader_id, c.values.vice_mayor_id]) if (id !== null) personIds.add(id);
  const [regions, departments, people] = await together([
    store.allRegions(trx),
    store.allDepartments(trx),
    store.peopleByIds(trx, [...personIds]),
  ]);
  const regionName = new Map(regions.map((r) => [r.id, r.name]));
  const departmentName = new Map(departments.map((d) => [d.id, d.name]));
  const person = new Map(people.map((p) => [p.id, p]));

  const stored = (field: FieldChange['field'], value: unknown): unknown => {
    if (value === null || value === undefined || typeof value !== 'number') return value ?? null;
    if (field === 'region_id') return { id: value, name: regionName.get(value) ?? null };
    if (field === 'department_id') return { id: value, name: departmentName.get(value) ?? null };
    if (personFields.has(field)) return { id: value, name: person.get(value)?.name ?? null, mobile: person.get(value)?.mobile ?? null };
    return value;
  };
  const text = (field: FieldChange['field'], value: unknown): string => {
    if (value === null || value === undefined || (Array.isArray(value) && value.length === 0)) return '（空）';
    if (field === 'active') return value ? '在用' : '已停用';
    if (field === 'region_id') return regionName.get(value as number) ?? scalarText(value);
    if (field === 'department_id') return departmentName.get(value as number) ?? scalarText(value);
    if (personFields.has(field)) {
      const p = person.get(value as number);
      return p ? `${p.name}（${p.mobile ?? p.email ?? '无手机号'}）` : scalarText(value);
    }
    if (field === 'lists') return (value as string[]).join('、');
    if (field === 'dispatch_frequency') return value === 'weekly' ? '每周' : '每月';
    if (field === 'total_investment' || field === 'annual_plan' || field === 'ytd_investment') return `${formatWan(scalarText(value))}万元`;
    if (field === 'ytd_year') return `${scalarText(value)}年`;
    return scalarText(value);
  };
  const created = (values: RegistryValues): Record<string, { from: null; to: unknown }> => {
    const out: Record<string, { from: null; to: unknown }> = {};
    for (const f of REGISTRY_FIELDS) {
      const v = values[f];
      if (v === null || v === undefined || (Array.isArray(v) && v.length === 0)) continue;
      if (f === 'ytd_investment' && values.ytd_year === null) continue;
      // As an updated project's changes are kept: canonical value, then ids with their names.
      out[f] = { from: null, to: stored(f, canonicalValue(f, v)) };
    }
    return out;
  };
  return {
    stored,
    created,
    display: (c) => ({ field: FIELD_LABELS[c.field], from: text(c.field, c.from), to: text(c.field, c.to) }),
  };
}
