// Matches people to Feishu users: by mobile first, then by e-mail for whoever the mobile did
// not find, through LarkClient.lookupUsers (≤ 50 per request). Runs outside any import
// transaction: a Feishu outage leaves people 'unmatched' for `people sync`, never loses data.
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { LarkClient, UserMatch } from '../platform/feishu/lark-client.js';
import type { Db } from '../db/database.js';
import { parseMobile } from './cell-parsers.js';
import { ROLE_LABELS } from './sheet-consistency.js';
import { DEPARTMENT_CONTACT, type PersonRole } from './header-map.js';

export type MatchDeps = { db: Db; lark: LarkClient; logger: Logger; now: () => Date };

export type Candidate = { id: number; name: string; mobile: string | null; email: string | null };

export type MatchDecision =
  | { personId: number; status: 'matched'; openId: string; via: 'mobile' | 'email' }
  | { personId: number; status: 'not_found' }
  /** Feishu found a user, but another person row already holds that open_id. */
  | { personId: number; status: 'conflict'; openId: string; heldBy: number };

const mobileKey = (m: string): string => {
  const r = parseMobile(m);
  return r.ok && r.value ? r.value : m;
};

/** Lookup answers by mobile and e-mail; an entry without an open_id means "not found". */
export function indexLookups(matches: UserMatch[]): { byMobile: Map<string, string>; byEmail: Map<string, string> } {
  const byMobile = new Map<string, string>();
  const byEmail = new Map<string, string>();
  for (const m of matches) {
    if (!m.openId) continue;
    if (m.mobile) byMobile.set(mobileKey(m.mobile), m.openId);
    if (m.email) byEmail.set(m.email.toLowerCase(), m.openId);
  }
  return { byMobile, byEmail };
}

/** Pure: what each candidate's row becomes, given the lookups and the open_ids already held by others. */
export function decideMatches(
  candidates: Candidate[],
  found: { byMobile: Map<string, string>; byEmail: Map<string, string> },
  heldBy: Map<string, number>,
): MatchDecision[] {
  const taken = new Map(heldBy);
  return candidates.map((c): MatchDecision => {
    const viaMobile = c.mobile ? found.byMobile.get(c.mobile) : undefined;
    const viaEmail = c.email ? found.byEmail.get(c.email.toLowerCase()) : undefined;
    const openId = viaMobile ?? viaEmail;
    if (!openId) return { personId: c.id, status: 'not_found' };
    const holder = taken.get(openId);
    if (holder !== undefined && holder !== c.id) return { personId: c.id, status: 'conflict', openId, heldBy: holder };
    taken.set(openId, c.id);
    return { personId: c.id, status: 'matched', openId, via: viaMobile ? 'mobile' : 'email' };
  });
}

export type PersonProjectRole = { code: string; projectName: string; role: PersonRole };
export type UnmatchedPerson = {
  id: number;
  name: string;
  mobile: string | null;
  email: string | null;
  status: 'not_found' | 'conflict' | 'unmatched';
  projects: PersonProjectRole[];
  /** Departments this person is the contact of: their problems cannot reach an unmatched contact. */
  departments: string[];
};

export type MatchOutcome =
  | { status: 'skipped'; reason: string }
  | { status: 'failed'; error: string }
  | { status: 'done'; attempted: number; matched: number; unmatched: UnmatchedPerson[] };

/**
 * Looks up the given people (or everyone not yet matched) and stores the result:
 * matched → open_id + matched_at; otherwise 'not_found'. Throws when Feishu cannot be reached.
 */
export async function matchPeople(deps: MatchDeps, which: { personIds: number[] } | 'all-unmatched'): Promise<Extract<MatchOutcome, { status: 'done' }>> {
  let query = deps.db
    .selectFrom('people')
    .select(['id', 'name', 'mobile', 'email'])
    .where('match_status', '<>', 'matched')
    .where((eb) => eb.or([eb('mobile', 'is not', null), eb('email', 'is not', null)]));
  if (which !== 'all-unmatched') {
    if (which.personIds.length === 0) return { status: 'done', attempted: 0, matched: 0, unmatched: [] };
    query = query.where('id', 'in', [...new Set(which.personIds)]);
  }
  const candidates = await query.orderBy('id').execute();
  if (candidates.length === 0) return { status: 'done', attempted: 0, matched: 0, unmatched: [] };

  const mobiles = candidates.map((c) => c.mobile).filter((m): m is string => !!m);
  const byMobile = indexLookups(mobiles.length ? await deps.lark.lookupUsers({ mobiles }) : []).byMobile;
  // E-mail only for those the mobile did not find: half the requests in the usual case.
  const emails = candidates.filter((c) => c.email && !(c.mobile && byMobile.has(c.mobile))).map((c) => c.email as string);
  const byEmail = indexLookups(emails.length ? await deps.lark.lookupUsers({ emails }) : []).byEmail;

  const openIds = [...new Set([...byMobile.values(), ...byEmail.values()])];
  const holders = openIds.length
    ? await deps.db.selectFrom('people').select(['id', 'open_id']).where('open_id', 'in', openIds).execute()
    : [];
  const heldBy = new Map(holders.map((h) => [h.open_id as string, h.id]));
  const decisions = decideMatches(candidates, { byMobile, byEmail }, heldBy);

  const now = deps.now();
  const updates = decisions.map((d) => ({
    id: d.personId,
    open_id: d.status === 'matched' ? d.openId : null,
    match_status: d.status === 'matched' ? 'matched' : 'not_found',
    matched_at: d.status === 'matched' ? now.toISOString() : null,
  }));
  await sql`
    update people as p set open_id = v.open_id, match_status = v.match_status, matched_at = v.matched_at, updated_at = ${now}
    from jsonb_to_recordset(${JSON.stringify(updates)}::jsonb) as v(id int, open_id text, match_status text, matched_at timestamptz)
    where p.id = v.id
      -- A second "not found" for the same person is no news: leave the row (and updated_at) alone.
      and (p.match_status <> v.match_status or p.open_id is distinct from v.open_id)`.execute(deps.db);

  const failedIds = decisions.filter((d) => d.status !== 'matched').map((d) => d.personId);
  for (const d of decisions) {
    if (d.status === 'conflict') deps.logger.warn({ personId: d.personId, heldBy: d.heldBy }, 'feishu user already linked to another person');
  }
  const unmatched = await describeUnmatched(deps.db, failedIds, new Map(decisions.map((d) => [d.personId, d.status])));
  const matched = decisions.length - failedIds.length;
  deps.logger.info({ attempted: decisions.length, matched, unmatched: failedIds.length }, 'people matched to feishu users');
  return { status: 'done', attempted: decisions.length, matched, unmatched };
}

/** People with the active projects they hold and in which role, for "who could not be matched" lists. */
export async function describeUnmatched(
  db: Db,
  personIds: number[],
  statusOf: Map<number, MatchDecision['status'] | 'unmatched'> = new Map(),
): Promise<UnmatchedPerson[]> {
  if (personIds.length === 0) return [];
  const people = await db.selectFrom('people').select(['id', 'name', 'mobile', 'email', 'match_status']).where('id', 'in', personIds).orderBy('id').execute();
  const roles = await projectRolesOf(db, personIds);
  const departments = await contactDepartmentsOf(db, personIds);
  return people.map((p) => {
    const s = statusOf.get(p.id) ?? p.match_status;
    return {
      id: p.id, name: p.name, mobile: p.mobile, email: p.email,
      status: s === 'conflict' ? 'conflict' : s === 'unmatched' ? 'unmatched' : 'not_found',
      projects: roles.get(p.id) ?? [],
      departments: departments.get(p.id) ?? [],
    };
  });
}

/** The departments each person is the contact of, by person id. */
export async function contactDepartmentsOf(db: Db, personIds: number[]): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>();
  if (personIds.length === 0) return out;
  const rows = await db.selectFrom('departments').select(['name', 'contact_person_id']).where('contact_person_id', 'in', personIds).orderBy('id').execute();
  for (const r of rows) {
    if (r.contact_person_id === null) continue;
    out.set(r.contact_person_id, [...(out.get(r.contact_person_id) ?? []), r.name]);
  }
  return out;
}

export async function projectRolesOf(db: Db, personIds: number[]): Promise<Map<number, PersonProjectRole[]>> {
  const out = new Map<number, PersonProjectRole[]>();
  if (personIds.length === 0) return out;
  const rows = await db
    .selectFrom('projects')
    .select(['code', 'name', 'owner_id', 'leader_id', 'vice_mayor_id'])
    .where('active', '=', true)
    .where((eb) => eb.or([eb('owner_id', 'in', personIds), eb('leader_id', 'in', personIds), eb('vice_mayor_id', 'in', personIds)]))
    .orderBy('code')
    .execute();
  const wanted = new Set(personIds);
  for (const r of rows) {
    const add = (id: number | null, role: PersonRole) => {
      if (id === null || !wanted.has(id)) return;
      out.set(id, [...(out.get(id) ?? []), { code: r.code, projectName: r.name, role }]);
    };
    add(r.owner_id, 'owner');
    add(r.leader_id, 'leader');
    add(r.vice_mayor_id, 'viceMayor');
  }
  return out;
}

/** "市水务局（责任单位联系人）；XM2026002 雷打滩水电站（项目负责人）": departments first, they receive problems. */
export function describeRoles(person: { projects: PersonProjectRole[]; departments?: string[] }, limit = 5): string {
  const departments = (person.departments ?? []).map((d) => `${d}（${DEPARTMENT_CONTACT.label}）`);
  const { projects } = person;
  if (projects.length === 0 && departments.length === 0) return '（无在用项目）';
  const shown = projects.slice(0, limit).map((p) => `${p.code} ${p.projectName}（${ROLE_LABELS[p.role]}）`);
  return [...departments, ...shown].join('；') + (projects.length > limit ? ` 等 ${projects.length} 个` : '');
}

/** `people sync`: everyone not matched yet, again. */
export async function syncPeople(deps: { db: Db; lark?: LarkClient; logger: Logger; now: () => Date }): Promise<MatchOutcome> {
  if (!deps.lark) return { status: 'skipped', reason: '没有飞书客户端，无法匹配' };
  return matchPeople({ ...deps, lark: deps.lark }, 'all-unmatched');
}
