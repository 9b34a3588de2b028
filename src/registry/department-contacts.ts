// Department contacts (责任单位联系人): the person in each 责任单位 who receives, accepts and
// resolves the problems raised against it (the problem ledger sends to
// departments.contact_person_id; without one, problems go to the admins). Set by the import's
// contact columns or by `departments contact`; listed by `departments list`. departments has
// no audit table, so every change is reported to whoever made it, with who and when, and logged.
import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { LarkClient } from '../platform/feishu/lark-client.js';
import type { Db } from '../db/database.js';
import type { Database, ProblemStatus } from '../db/schema.js';
import { AppError, isAppError } from '../errors.js';
import { normalizeDepartmentName } from '../domain/department-match.js';
import { personName } from './cell-parsers.js';
import { DEPARTMENT_CONTACT } from './header-map.js';
import { matchPeople, type MatchOutcome } from './people-matcher.js';
import { normaliseMobileArg } from './people-directory.js';
import { MATCH_LABELS, type ListedPerson } from './project-list.js';
import { departmentsByIds, lockRegistry, peopleByIds, setDepartmentContacts } from './registry-store.js';
import type { CheckedSheet } from './sheet-validation.js';
import { renderTable } from '../platform/text-table.js';

export type ContactPerson = { name: string; mobile: string | null };

export type DepartmentContactChange = {
  department: string;
  from: ContactPerson | null;
  to: ContactPerson;
  changedBy: string;
  changedAt: Date;
};

export function contactText(p: ContactPerson): string {
  return `${p.name} ${p.mobile ?? '（无手机号）'}`;
}

/** `责任单位联系人：市自然资源局 → 张三 13800003001`, with the previous contact when there was one. */
export function formatContactChange(c: DepartmentContactChange): string {
  return `责任单位联系人：${c.department} → ${contactText(c.to)}${c.from ? `（原为 ${contactText(c.from)}）` : ''}`;
}

/** Problems still on the department's desk: waiting to be accepted, being coordinated, or sent back to it. */
export const DESK_STATUSES: readonly ProblemStatus[] = ['open', 'in_coordination', 'reopened'];

export type DepartmentListing = {
  name: string;
  contact: (ListedPerson & { email: string | null }) | null;
  /** Active projects with this 责任单位. */
  activeProjects: number;
  /** Problems in DESK_STATUSES assigned to this 责任单位. */
  openProblems: number;
};

export async function listDepartments(db: Db): Promise<DepartmentListing[]> {
  const desk = sql.join(DESK_STATUSES.map((s) => sql`${s}`));
  const rows = await db
    .selectFrom('departments as d')
    .leftJoin('people as p', 'p.id', 'd.contact_person_id')
    .select([
      'd.name', 'p.name as contact_name', 'p.mobile as contact_mobile', 'p.email as contact_email', 'p.match_status',
      sql<string>`(select count(*) from projects pr where pr.department_id = d.id and pr.active)`.as('active_projects'),
      sql<string>`(select count(*) from problems pb where pb.department_id = d.id and pb.status in (${desk}))`.as('open_problems'),
    ])
    // Creation order is the order departments first appeared in the sheets: stable, unlike collation-dependent name order.
    .orderBy('d.id')
    .execute();
  return rows.map((r) => ({
    name: r.name,
    contact: r.contact_name === null
      ? null
      : { name: r.contact_name, mobile: r.contact_mobile, email: r.contact_email, matchStatus: r.match_status ?? 'unmatched' },
    activeProjects: Number(r.active_projects),
    openProblems: Number(r.open_problems),
  }));
}

export function renderDepartmentTable(departments: DepartmentListing[]): string[] {
  const rows = departments.map((d) => [
    d.name,
    d.contact?.name ?? '—',
    d.contact?.mobile ?? '—',
    d.contact ? MATCH_LABELS[d.contact.matchStatus] : '无联系人',
    String(d.activeProjects),
    String(d.openProblems),
  ]);
  const missing = departments.filter((d) => !d.contact).length;
  return [
    ...renderTable([
      { header: '责任单位' }, { header: '联系人' }, { header: '手机' }, { header: '飞书匹配' },
      { header: '在用项目', align: 'right' }, { header: '待办问题', align: 'right' },
    ], rows),
    `共 ${departments.length} 个责任单位${missing ? `，其中 ${missing} 个没有联系人（其问题转给管理员处理）` : ''}`,
  ];
}

export type SetContactRequest = {
  department: string;
  mobile: string;
  /** Creates the person when the mobile is not known yet; must agree with the stored name otherwise. */
  name?: string;
  actor: string;
};

/** Feishu state of the new contact after the change: looked up only when not matched before. */
export type ContactFeishu = { status: 'already-matched' } | MatchOutcome;

export type SetContactResult = {
  department: string;
  person: { id: number; name: string; mobile: string };
  personCreated: boolean;
  /** null: the person already was this department's contact. */
  change: DepartmentContactChange | null;
  feishu: ContactFeishu;
};

type ContactDeps = { db: Db; lark?: LarkClient; logger: Logger; now: () => Date };

const validation = (message: string, userMessage: string) => new AppError('VALIDATION', message, { userMessage });
const notFound = (message: string, userMessage: string) => new AppError('NOT_FOUND', message, { userMessage });

/**
 * The department the admin typed: by its exact name, or the one department whose name is the
 * same once width, spaces and punctuation are folded. Never a guess: a near name is only
 * suggested, because the contact decides who receives that department's problems.
 */
async function findDepartment(trx: Kysely<Database>, typed: string): Promise<{ id: number; name: string; contact_person_id: number | null }> {
  const all = await trx.selectFrom('departments').select(['id', 'name', 'contact_person_id']).orderBy('id').execute();
  const exact = all.find((d) => d.name === typed.trim());
  if (exact) return exact;
  const q = normalizeDepartmentName(typed);
  const same = all.filter((d) => normalizeDepartmentName(d.name) === q);
  if (same.length === 1 && same[0]) return same[0];
  if (same.length > 1) {
    throw validation(`department ${typed} is ambiguous`, `责任单位“${typed}”对应多个单位：${same.map((d) => d.name).join('、')}，请写出完整名称`);
  }
  const near = q.length >= 2
    ? all
      .map((d) => ({ name: d.name, n: normalizeDepartmentName(d.name) }))
      .filter((d) => d.n.includes(q) || (d.n.length >= 2 && q.includes(d.n)))
      .sort((a, b) => Math.abs(a.n.length - q.length) - Math.abs(b.n.length - q.length))
      .slice(0, 5)
    : [];
  const hint = near.length
    ? `，是否指：${near.map((d) => d.name).join('、')}？`
    : '；可运行 npm run cli -- departments list 查看全部责任单位';
  throw notFound(`department ${typed} not found`, `找不到责任单位“${typed}”${hint}`);
}

/**
 * `departments contact`: makes the person with this mobile the department's contact (creating
 * the person when a name is given), in one transaction under the registry lock so it cannot
 * interleave with an import; then looks the person up in Feishu if not matched yet.
 */
export async function setDepartmentContact(deps: ContactDeps, req: SetContactRequest): Promise<SetContactResult> {
  const mobile = normaliseMobileArg(req.mobile);
  const givenName = req.name === undefined ? undefined : personName(req.name);
  if (givenName === '') throw validation('empty --name', '--name 不能为空');
  const now = deps.now();

  const done = await deps.db.transaction().execute(async (trx) => {
    await lockRegistry(trx);
    const department = await findDepartment(trx, req.department);
    let person = await trx.selectFrom('people').select(['id', 'name', 'mobile', 'match_status']).where('mobile', '=', mobile).executeTakeFirst();
    let personCreated = false;
    if (!person) {
      if (!givenName) throw notFound(`no person with mobile ${mobile}`, `找不到手机号为 ${mobile} 的人员；如需新增，请用 --name 提供姓名`);
      person = await trx.insertInto('people')
        .values({ name: givenName, mobile, email: null, open_id: null, user_id: null, matched_at: null, prompted_at: null, created_at: now, updated_at: now })
        .returning(['id', 'name', 'mobile', 'match_status'])
        .executeTakeFirstOrThrow();
      personCreated = true;
    } else if (givenName && givenName !== person.name) {
      throw validation(
        `mobile ${mobile} belongs to ${person.id}, name differs`,
        `手机号 ${mobile} 已登记为“${person.name}”，与 --name 给出的“${givenName}”不一致；如确为此人，请去掉 --name 再试`,
      );
    }
    const to: ContactPerson = { name: person.name, mobile };
    const base = { department: department.name, person: { id: person.id, name: person.name, mobile }, personCreated, matchStatus: person.match_status };
    if (department.contact_person_id === person.id) return { ...base, change: null };
    const previous = department.contact_person_id === null
      ? undefined
      : await trx.selectFrom('people').select(['name', 'mobile']).where('id', '=', department.contact_person_id).executeTakeFirst();
    await trx.updateTable('departments').set({ contact_person_id: person.id }).where('id', '=', department.id).execute();
    const change: DepartmentContactChange = { department: department.name, from: previous ?? null, to, changedBy: req.actor, changedAt: now };
    return { ...base, change };
  });

  if (done.change) {
    deps.logger.info(
      { department: done.department, from: done.change.from?.mobile ?? null, to: mobile, actor: req.actor, personCreated: done.personCreated },
      'department contact changed',
    );
  }
  const feishu = await matchContact(deps, done.person.id, done.matchStatus);
  return { department: done.department, person: done.person, personCreated: done.personCreated, change: done.change, feishu };
}

async function matchContact(deps: ContactDeps, personId: number, status: ListedPerson['matchStatus']): Promise<ContactFeishu> {
  if (status === 'matched') return { status: 'already-matched' };
  if (!deps.lark) return { status: 'skipped', reason: '未配置飞书客户端' };
  try {
    return await matchPeople({ ...deps, lark: deps.lark }, { personIds: [personId] });
  } catch (e) {
    deps.logger.warn({ personId, err: (e as Error).message }, 'feishu matching of department contact failed');
    return { status: 'failed', error: isAppError(e) ? `${e.userMessage}（${e.message}）` : (e as Error).message };
  }
}

/** What `departments contact` prints. Pure. */
export function formatSetContact(r: SetContactResult): string[] {
  const lines: string[] = [];
  if (r.personCreated) lines.push(`已新增人员 ${r.person.name}（手机号 ${r.person.mobile}）`);
  if (r.change) lines.push(`已设置${formatContactChange(r.change)}`, `操作人：${r.change.changedBy}`);
  else lines.push(`${r.department} 的联系人已经是 ${contactText(r.person)}，未作修改`);
  const f = r.feishu;
  if (f.status === 'already-matched') lines.push('飞书账号：已匹配');
  else if (f.status === 'failed') lines.push(`飞书用户匹配失败：${f.error}`, '联系人已设置，未受影响；请稍后运行 npm run cli -- people sync 重新匹配');
  else if (f.status === 'done') {
    const [missed] = f.unmatched;
    if (!missed) lines.push('飞书账号：匹配成功');
    else if (missed.status === 'conflict') lines.push(`飞书账号：手机号 ${r.person.mobile} 对应的飞书账号已关联其他人员，未能关联；在此之前该单位的问题转给管理员处理`);
    else lines.push(`飞书账号：飞书通讯录中没有找到手机号 ${r.person.mobile}；在找到之前该单位的问题转给管理员处理，请确认手机号或为其开通飞书后运行 npm run cli -- people sync`);
  }
  // 'skipped' (no Feishu client) stays quiet: the contact is set, people sync matches later.
  return lines;
}

/**
 * Points each department the sheet gives a contact for at that person (already created or
 * updated with the other people). Departments whose rows leave the contact blank keep the one
 * they have: a blank cell must not silently stop a department's problems reaching anyone.
 */
export async function applyDepartmentContacts(
  trx: Kysely<Database>,
  checked: Pick<CheckedSheet, 'contacts' | 'columns' | 'projects'>,
  departmentIds: Map<string, number>,
  idByKey: Map<string, number>,
  meta: { now: Date; actor: string },
): Promise<{ changes: DepartmentContactChange[]; warnings: string[] }> {
  if (checked.contacts === null) return { changes: [], warnings: [] };
  const stored = new Map((await departmentsByIds(trx, [...departmentIds.values()])).map((d) => [d.name, d]));
  const updates: { id: number; contact_person_id: number; from: number | null }[] = [];
  const wanted = new Set<string>();
  for (const c of checked.contacts) {
    const department = stored.get(c.department);
    const personId = idByKey.get(c.contact.mobile);
    if (!department || personId === undefined) continue;
    wanted.add(c.department);
    if (department.contact_person_id !== personId) updates.push({ id: department.id, contact_person_id: personId, from: department.contact_person_id });
  }
  await setDepartmentContacts(trx, updates.map(({ id, contact_person_id }) => ({ id, contact_person_id })));

  const people = new Map((await peopleByIds(trx, updates.flatMap((u) => (u.from === null ? [u.contact_person_id] : [u.contact_person_id, u.from]))))
    .map((p) => [p.id, { name: p.name, mobile: p.mobile }]));
  const nameOf = new Map([...stored.values()].map((d) => [d.id, d.name]));
  const changes = updates.map((u): DepartmentContactChange => ({
    department: nameOf.get(u.id) ?? '',
    from: u.from === null ? null : people.get(u.from) ?? null,
    to: contactPerson(people, u.contact_person_id),
    changedBy: meta.actor,
    changedAt: meta.now,
  }));

  const column = checked.columns.fields[DEPARTMENT_CONTACT.name]?.header ?? DEPARTMENT_CONTACT.label;
  const seen = new Set<string>();
  const warnings: string[] = [];
  for (const p of checked.projects) {
    const name = p.department;
    if (!name || seen.has(name)) continue;
    seen.add(name);
    if (wanted.has(name) || typeof stored.get(name)?.contact_person_id === 'number') continue;
    warnings.push(`责任单位“${name}”没有联系人，其问题将转给管理员处理；可在“${column}”列填写，或运行 departments contact 设置`);
  }
  return { changes, warnings };
}

function contactPerson(people: Map<number, ContactPerson>, id: number): ContactPerson {
  const p = people.get(id);
  // The person was written a moment ago in this same locked transaction.
  if (!p) throw new Error(`department contact ${id} not found in its own transaction`);
  return p;
}
