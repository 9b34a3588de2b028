// People outside the sheet's columns: admins of the dispatch office and delegates (联络员)
// who file for a project's owner, kept in person_grants; and `people list`.
import type { Logger } from 'pino';
import type { Db } from '../db/database.js';
import { AppError } from '../errors.js';
import { parseMobile, personName } from './cell-parsers.js';
import { contactDepartmentsOf, projectRolesOf, type PersonProjectRole } from './people-matcher.js';
import { MATCH_LABELS } from './project-list.js';
import { ROLE_LABELS } from './sheet-consistency.js';
import { renderTable } from '../platform/text-table.js';

export type GrantRole = 'admin' | 'delegate';
export type GrantRequest = {
  mobile: string;
  role: GrantRole;
  /** Required for delegate, refused for admin. */
  projectCode?: string;
  actor: string;
  /** Creates the person when the mobile is not known yet (office staff are on no project sheet). */
  name?: string;
};

const validation = (message: string, userMessage: string) => new AppError('VALIDATION', message, { userMessage });
const notFound = (message: string, userMessage: string) => new AppError('NOT_FOUND', message, { userMessage });

export function normaliseMobileArg(mobile: string): string {
  const r = parseMobile(mobile);
  if (!r.ok || !r.value) throw validation(`bad mobile ${mobile}`, r.ok ? '请提供手机号' : r.reason);
  return r.value;
}

function checkRole(role: string, projectCode: string | undefined): GrantRole {
  if (role !== 'admin' && role !== 'delegate') throw validation(`unknown role ${role}`, `未知角色“${role}”，只能是 admin（管理员）或 delegate（联络员）`);
  if (role === 'delegate' && !projectCode) throw validation('delegate without project', '联络员（delegate）需要用 --project 指定项目编号');
  if (role === 'admin' && projectCode) throw validation('admin with project', '管理员（admin）不针对单个项目，请不要使用 --project');
  return role;
}

async function projectIdOf(db: Db, code: string | undefined): Promise<number | null> {
  if (!code) return null;
  const p = await db.selectFrom('projects').select('id').where('code', '=', code.trim()).executeTakeFirst();
  if (!p) throw notFound(`project ${code} not found`, `找不到项目编号为 ${code} 的项目`);
  return p.id;
}

export async function grantRole(deps: { db: Db; logger: Logger; now: () => Date }, req: GrantRequest): Promise<{ status: 'granted' | 'exists'; personId: number; mobile: string; created: boolean }> {
  const role = checkRole(req.role, req.projectCode);
  const mobile = normaliseMobileArg(req.mobile);
  const projectId = await projectIdOf(deps.db, req.projectCode);
  let person = await deps.db.selectFrom('people').select(['id', 'name']).where('mobile', '=', mobile).executeTakeFirst();
  let created = false;
  if (!person) {
    const name = req.name ? personName(req.name) : '';
    if (!name) throw notFound(`no person with mobile ${mobile}`, `找不到手机号为 ${mobile} 的人员；如需新增，请用 --name 提供姓名`);
    const now = deps.now();
    person = await deps.db.insertInto('people').values({ name, mobile, email: null, open_id: null, user_id: null, matched_at: null, prompted_at: null, created_at: now, updated_at: now })
      .returning(['id', 'name']).executeTakeFirstOrThrow();
    created = true;
  }
  const inserted = await deps.db
    .insertInto('person_grants')
    .values({ person_id: person.id, role, project_id: projectId, granted_by: req.actor, created_at: deps.now() })
    .onConflict((oc) => oc.doNothing())
    .returning('id')
    .executeTakeFirst();
  deps.logger.info({ personId: person.id, role, projectId, actor: req.actor, created: Boolean(inserted) }, 'person grant');
  return { status: inserted ? 'granted' : 'exists', personId: person.id, mobile, created };
}

export async function revokeRole(deps: { db: Db; logger: Logger }, req: Omit<GrantRequest, 'name'>): Promise<{ removed: number; mobile: string }> {
  const role = checkRole(req.role, req.projectCode);
  const mobile = normaliseMobileArg(req.mobile);
  const person = await deps.db.selectFrom('people').select('id').where('mobile', '=', mobile).executeTakeFirst();
  if (!person) throw notFound(`no person with mobile ${mobile}`, `找不到手机号为 ${mobile} 的人员`);
  const projectId = await projectIdOf(deps.db, req.projectCode);
  let q = deps.db.deleteFrom('person_grants').where('person_id', '=', person.id).where('role', '=', role);
  q = projectId === null ? q.where('project_id', 'is', null) : q.where('project_id', '=', projectId);
  const r = await q.executeTakeFirst();
  const removed = Number(r.numDeletedRows);
  deps.logger.info({ personId: person.id, role, projectId, actor: req.actor, removed }, 'person grant revoked');
  return { removed, mobile };
}

export type PersonListing = {
  id: number;
  name: string;
  mobile: string | null;
  email: string | null;
  matchStatus: 'unmatched' | 'matched' | 'not_found';
  openId: string | null;
  projects: PersonProjectRole[];
  grants: { role: GrantRole; projectCode: string | null }[];
  /** Departments this person is the contact (责任单位联系人) of. */
  contactFor: string[];
};

export async function listPeople(db: Db, opts: { unmatched?: boolean } = {}): Promise<PersonListing[]> {
  let q = db.selectFrom('people').select(['id', 'name', 'mobile', 'email', 'match_status', 'open_id']);
  if (opts.unmatched) q = q.where('match_status', '<>', 'matched');
  const people = await q.orderBy('id').execute();
  const ids = people.map((p) => p.id);
  const roles = await projectRolesOf(db, ids);
  const contactFor = await contactDepartmentsOf(db, ids);
  const grants = ids.length
    ? await db.selectFrom('person_grants as g').leftJoin('projects as p', 'p.id', 'g.project_id')
      .select(['g.person_id', 'g.role', 'p.code']).where('g.person_id', 'in', ids).orderBy('g.id').execute()
    : [];
  return people.map((p) => ({
    id: p.id,
    name: p.name,
    mobile: p.mobile,
    email: p.email,
    matchStatus: p.match_status,
    openId: p.open_id,
    projects: roles.get(p.id) ?? [],
    grants: grants.filter((g) => g.person_id === p.id).map((g) => ({ role: g.role, projectCode: g.code })),
    contactFor: contactFor.get(p.id) ?? [],
  }));
}

export function describePersonRoles(p: Pick<PersonListing, 'projects' | 'grants'> & { contactFor?: string[] }): string {
  const parts: string[] = [];
  if (p.contactFor?.length) parts.push(`责任单位联系人(${p.contactFor.join('、')})`);
  for (const role of ['owner', 'leader', 'viceMayor'] as const) {
    const n = p.projects.filter((x) => x.role === role).length;
    if (n > 0) parts.push(`${ROLE_LABELS[role]}×${n}`);
  }
  if (p.grants.some((g) => g.role === 'admin')) parts.push('管理员');
  const delegateOf = p.grants.filter((g) => g.role === 'delegate').map((g) => g.projectCode ?? '?');
  if (delegateOf.length > 0) parts.push(`联络员(${delegateOf.join('、')})`);
  return parts.join('、') || '—';
}

export function renderPeopleTable(people: PersonListing[]): string[] {
  const rows = people.map((p) => [p.name, p.mobile ?? '—', p.email ?? '', MATCH_LABELS[p.matchStatus], describePersonRoles(p)]);
  return [
    ...renderTable([{ header: '姓名' }, { header: '手机' }, { header: '邮箱' }, { header: '飞书匹配' }, { header: '角色' }], rows),
    `共 ${people.length} 人`,
  ];
}
