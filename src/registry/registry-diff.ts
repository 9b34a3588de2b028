// Pure: the registry as it is (existing projects) against a sheet (incoming rows, people and
// places already resolved to ids) → what to create, update (which fields, from → to), leave,
// and retire. Money compares as Decimal ('265561.0000' from the database equals '265561').
import { canonical, compareAmounts } from '../domain/amount.js';
import type { CycleKind, Stage } from '../db/schema.js';
import { defaultFrequency } from './cell-parsers.js';

export type RegistryValues = {
  name: string;
  legal_entity: string | null;
  location: string | null;
  region_id: number;
  industry: string | null;
  stage: Stage;
  lists: string[];
  dispatch_frequency: CycleKind;
  total_investment: string;
  annual_plan: string;
  /** 年度累计完成投资 and the year it counts toward (the base of that year's first report). */
  ytd_investment: string;
  ytd_year: number | null;
  investor_type: string | null;
  planned_start: string | null;
  planned_finish: string | null;
  owner_id: number | null;
  leader_id: number | null;
  vice_mayor_id: number | null;
  department_id: number | null;
};
export type RegistryField = keyof RegistryValues;

/** In the order changes are shown. */
export const REGISTRY_FIELDS: readonly RegistryField[] = [
  'name', 'legal_entity', 'location', 'region_id', 'industry', 'stage', 'lists', 'dispatch_frequency',
  'total_investment', 'annual_plan', 'ytd_investment', 'ytd_year', 'investor_type', 'planned_start', 'planned_finish',
  'owner_id', 'leader_id', 'vice_mayor_id', 'department_id',
];
const NUMERIC_FIELDS = new Set<RegistryField>(['total_investment', 'annual_plan', 'ytd_investment']);

export type ExistingProject = RegistryValues & { id: number; code: string; active: boolean };

export type IncomingProject = {
  code: string;
  rowNumber: number;
  /**
   * Fields the sheet has a column for; the others keep their current value (or the default for a
   * new project). The year-to-date is here only where the sheet's figure is to be taken.
   */
  values: Partial<Omit<RegistryValues, 'dispatch_frequency'>> & Pick<RegistryValues, 'name' | 'region_id' | 'stage' | 'total_investment'>;
  /** A frequency typed in the sheet; 'by-list' when the cell was empty; undefined when there is no such column. */
  frequency: CycleKind | 'by-list' | undefined;
};

export type FieldChange = { field: RegistryField | 'active'; from: unknown; to: unknown };

export type CreatePlan = { code: string; rowNumber: number; values: RegistryValues };
export type UpdatePlan = { id: number; code: string; rowNumber: number; values: RegistryValues; reactivate: boolean; changes: FieldChange[] };
export type RetirePlan = { id: number; code: string; name: string };
export type MergeIssue = { rowNumber: number; field: RegistryField; message: string };

export type RegistryDiff = {
  created: CreatePlan[];
  updated: UpdatePlan[];
  unchanged: { id: number; code: string }[];
  retired: RetirePlan[];
  /** Rules that only fail once the sheet's columns are combined with stored values. */
  issues: MergeIssue[];
};

const NEW_PROJECT_DEFAULTS: Omit<RegistryValues, 'name' | 'region_id' | 'stage' | 'total_investment' | 'dispatch_frequency'> = {
  legal_entity: null, location: null, industry: null, lists: [], annual_plan: '0', ytd_investment: '0', ytd_year: null, investor_type: null,
  planned_start: null, planned_finish: null, owner_id: null, leader_id: null, vice_mayor_id: null, department_id: null,
};

/** Text of a scalar for comparison and display; structured values as JSON. */
export function scalarText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** A value in its canonical form, as stored in change records and compared. */
export function canonicalValue(field: RegistryField, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (NUMERIC_FIELDS.has(field)) return canonical(scalarText(value));
  if (field === 'lists') return [...(value as string[])];
  return value;
}

export function sameValue(field: RegistryField, a: unknown, b: unknown): boolean {
  if (a === null || a === undefined || b === null || b === undefined) return (a ?? null) === (b ?? null);
  if (NUMERIC_FIELDS.has(field)) return compareAmounts(scalarText(a), scalarText(b)) === 0;
  if (field === 'lists') {
    // Order within 所属清单 carries no meaning; "A、B" and "B、A" are the same lists.
    const x = new Set(a as string[]);
    const y = new Set(b as string[]);
    return x.size === y.size && [...x].every((v) => y.has(v));
  }
  return a === b;
}

/** What a new project has where the sheet gives nothing (its frequency follows its lists, below). */
const NEW_PROJECT_BASE: Omit<RegistryValues, 'name' | 'region_id' | 'stage' | 'total_investment'> = { ...NEW_PROJECT_DEFAULTS, dispatch_frequency: 'monthly' };

/** The sheet's value where it gives one (a given null is a value: an emptied cell), else the base's. */
function pick<K extends RegistryField>(given: Partial<RegistryValues>, base: Partial<RegistryValues>, key: K): RegistryValues[K] {
  return (given[key] !== undefined ? given[key] : base[key]) as RegistryValues[K];
}

function mergedValues(incoming: IncomingProject, existing: ExistingProject | undefined): RegistryValues {
  const base: Partial<RegistryValues> = existing ?? NEW_PROJECT_BASE;
  const given = incoming.values as Partial<RegistryValues>;
  // One literal of every field, not spreads or a loop that grows the object: this runs for every row.
  const values: RegistryValues = {
    name: pick(given, base, 'name'), legal_entity: pick(given, base, 'legal_entity'),
    location: pick(given, base, 'location'), region_id: pick(given, base, 'region_id'),
    industry: pick(given, base, 'industry'), stage: pick(given, base, 'stage'), lists: pick(given, base, 'lists'),
    dispatch_frequency: base.dispatch_frequency as CycleKind, total_investment: pick(given, base, 'total_investment'),
    annual_plan: pick(given, base, 'annual_plan'), ytd_investment: pick(given, base, 'ytd_investment'),
    ytd_year: pick(given, base, 'ytd_year'), investor_type: pick(given, base, 'investor_type'),
    planned_start: pick(given, base, 'planned_start'), planned_finish: pick(given, base, 'planned_finish'),
    owner_id: pick(given, base, 'owner_id'), leader_id: pick(given, base, 'leader_id'),
    vice_mayor_id: pick(given, base, 'vice_mayor_id'), department_id: pick(given, base, 'department_id'),
  };
  if (incoming.frequency === 'by-list' || (incoming.frequency === undefined && !existing)) {
    values.dispatch_frequency = defaultFrequency(values.lists);
  } else if (incoming.frequency !== undefined) {
    values.dispatch_frequency = incoming.frequency;
  }
  return values;
}

function mergeIssues(rowNumber: number, v: RegistryValues): MergeIssue[] {
  const issues: MergeIssue[] = [];
  if (compareAmounts(v.annual_plan, v.total_investment) > 0) {
    issues.push({
      rowNumber, field: 'annual_plan',
      message: `年度计划投资 ${canonical(v.annual_plan)} 万元大于总投资 ${canonical(v.total_investment)} 万元（含库中已有数据）`,
    });
  }
  if (v.planned_start && v.planned_finish && v.planned_finish < v.planned_start) {
    issues.push({
      rowNumber, field: 'planned_finish',
      message: `计划竣工日期 ${v.planned_finish} 早于计划开工日期 ${v.planned_start}（含库中已有数据）`,
    });
  }
  return issues;
}

export function diffRegistry(
  existing: readonly ExistingProject[],
  incoming: readonly IncomingProject[],
  opts: { retireMissing: boolean },
): RegistryDiff {
  const byCode = new Map(existing.map((p) => [p.code, p]));
  const diff: RegistryDiff = { created: [], updated: [], unchanged: [], retired: [], issues: [] };
  const seen = new Set<string>();
  for (const row of incoming) {
    seen.add(row.code);
    const current = byCode.get(row.code);
    const values = mergedValues(row, current);
    diff.issues.push(...mergeIssues(row.rowNumber, values));
    if (!current) {
      diff.created.push({ code: row.code, rowNumber: row.rowNumber, values });
      continue;
    }
    const changes: FieldChange[] = [];
    for (const field of REGISTRY_FIELDS) {
      if (!sameValue(field, current[field], values[field])) {
        changes.push({ field, from: canonicalValue(field, current[field]), to: canonicalValue(field, values[field]) });
      }
    }
    // A retired project that is back on the list is active again.
    if (!current.active) changes.push({ field: 'active', from: false, to: true });
    if (changes.length === 0) diff.unchanged.push({ id: current.id, code: row.code });
    else diff.updated.push({ id: current.id, code: row.code, rowNumber: row.rowNumber, values, reactivate: !current.active, changes });
  }
  if (opts.retireMissing) {
    for (const p of existing) {
      if (p.active && !seen.has(p.code)) diff.retired.push({ id: p.id, code: p.code, name: p.name });
    }
  }
  return diff;
}
