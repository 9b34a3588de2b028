// Building blocks for the submission, problem and chat integration tests: the whole bot through
// the harness (fake tenant, signed deliveries, real workers), a clock the test moves, people who
// exist both in the tenant and in the registry, projects with a year-to-date, cycles with their
// prompt cards sent, and a snapshot of every table a card action may write.
import { startHarness, type Harness } from '../helpers/harness.js';
import { makeDepartment, makePerson, makeProject, type ProjectOverrides } from '../helpers/factories.js';
import { createCycleWithCoverage, closeCycleRow } from '../../src/cycle/cycle.repository.js';
import { sendOwnerPrompts } from '../../src/cycle/prompt.service.js';
import { NO, REPORT_FIELDS as F, YES } from '../../src/cards/card-actions.js';
import type { CycleKind } from '../../src/db/schema.js';
import type { Db } from '../../src/db/database.js';

export const shanghai = (local: string): Date => new Date(`${local}:00+08:00`);

export class TestClock {
  constructor(private t: Date) {}
  now = (): Date => new Date(this.t);
  set(local: string): void {
    this.t = shanghai(local);
  }
}

export type Scenario = Harness & { clock: TestClock };

export async function startScenario(start = '2026-10-24T10:00', env: Record<string, string> = {}): Promise<Scenario> {
  const clock = new TestClock(shanghai(start));
  const h = await startHarness({ now: clock.now, env });
  return Object.assign(h, { clock });
}

let mobileSeq = 0;
const nextMobile = () => `137${String(Date.now() % 1e5).padStart(5, '0')}${String(mobileSeq++).padStart(3, '0')}`;

export type TestPerson = { id: number; openId: string; name: string };

/** Someone known to the tenant and to the registry (matched open_id). */
export async function addPerson(h: Harness, name: string, o: { registered?: boolean } = {}): Promise<TestPerson> {
  const mobile = nextMobile();
  const openId = h.fake.addUser({ name, mobile });
  if (o.registered === false) return { id: 0, openId, name };
  const p = await makePerson(h.ctx.db, { name, mobile, openId });
  return { id: p.id, openId, name };
}

export async function grant(db: Db, personId: number, role: 'admin' | 'delegate', projectId: number | null = null): Promise<void> {
  await db.insertInto('person_grants').values({ person_id: personId, role, project_id: projectId, granted_by: 'test' }).execute();
}

export async function addDepartment(db: Db, name: string, contactId: number | null): Promise<number> {
  return makeDepartment(db, name, contactId);
}

/** A project with the summary example's figures: 总投资 10,000, plan 6,000, 3,700 imported for 2026. */
export async function addProject(db: Db, o: ProjectOverrides & { ytd?: string | null } = {}): Promise<{ id: number; code: string; name: string }> {
  const p = await makeProject(db, { total: '10000', annualPlan: '6000', frequency: 'monthly', ...o });
  const ytd = o.ytd === undefined ? '3700' : o.ytd;
  if (ytd !== null) await db.updateTable('projects').set({ ytd_year: 2026, ytd_investment: ytd }).where('id', '=', p.id).execute();
  const row = await db.selectFrom('projects').select('name').where('id', '=', p.id).executeTakeFirstOrThrow();
  return { ...p, name: row.name };
}

/** Open, remind and due time of each cycle the tests use, by period key. */
const CYCLE_TIMES: Record<string, [string, string, string]> = {
  '2026-09': ['2026-09-21T09:00', '2026-09-23T15:00', '2026-09-25T18:00'],
  '2026-10': ['2026-10-20T09:00', '2026-10-23T15:00', '2026-10-26T18:00'],
  '2026-11': ['2026-11-20T09:00', '2026-11-23T15:00', '2026-11-25T18:00'],
  '2026-W42': ['2026-10-12T09:00', '2026-10-14T15:00', '2026-10-16T18:00'],
  '2026-W43': ['2026-10-19T09:00', '2026-10-21T15:00', '2026-10-23T18:00'],
};

/** A cycle with its coverage (monthly: every active project; weekly: the weekly ones), at the times above. */
export async function openCycle(db: Db, periodKey: string, kind: CycleKind = 'monthly'): Promise<number> {
  const times = CYCLE_TIMES[periodKey];
  if (!times) throw new Error(`no test times for ${periodKey}`);
  const [open, remind, due] = times.map(shanghai) as [Date, Date, Date];
  const { cycle } = await createCycleWithCoverage(db, { kind, periodKey, openAt: open, remindAt: remind, dueAt: due, openedAt: open });
  return cycle.id;
}

export async function closeCycle(db: Db, cycleId: number, at: Date): Promise<void> {
  await closeCycleRow(db, cycleId, at);
}

/** Sends an owner's prompt cards (the cycle side's own sender) and returns card message id per project. */
export async function promptCards(h: Harness, cycleId: number, owner: TestPerson): Promise<Map<string, string>> {
  await sendOwnerPrompts(h.ctx, cycleId, owner.id);
  const byTitle = new Map<string, string>();
  for (const m of h.fake.messages({ receive_id: owner.openId, msg_type: 'interactive' })) {
    const title = (m.content as { header?: { title?: { content?: string } } }).header?.title?.content;
    if (title) byTitle.set(title, m.message_id);
  }
  return byTitle;
}

/** A form_value as the report card sends it, the summary example unless overridden. */
export function reportForm(o: Record<string, string> = {}): Record<string, string> {
  return {
    [F.periodInvestment]: '500',
    [F.stage]: '续建',
    [F.started]: YES,
    [F.completed]: NO,
    [F.registered]: NO,
    [F.progress]: '主体结构封顶',
    ...o,
  };
}

const WRITABLE = [
  'reports', 'report_revisions', 'report_photos', 'problems', 'problem_events', 'cycle_projects', 'projects', 'project_changes', 'inbound_events',
] as const;

/** Every row of every table a card action may write, to prove a refusal wrote nothing. */
export async function snapshot(db: Db): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const t of WRITABLE) {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- generic over the listed tables
    out[t] = await (db as any).selectFrom(t).selectAll().execute();
    out[t].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  }
  return out;
}

export function cardText(card: unknown): string {
  return JSON.stringify(card);
}

/** Waits for a condition the workers bring about (a job's effect), failing after `ms`. */
export async function until<T>(probe: () => Promise<T | undefined | false> | T | undefined | false, ms = 8000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() - started > ms) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
