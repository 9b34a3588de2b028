// What a valid submission costs the database: every statement the request sends to Postgres,
// BEGIN and COMMIT included, counted at the pg driver (Client.query) while one signed callback
// goes through the real HTTP intake. Workers are off so nothing else talks to this database
// meanwhile; the follow-up jobs (escalation recheck) wait in the queue and are not part of the
// request. The bound is the (at most 5); the figures are printed.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPORT_FIELDS as F } from '../../src/cards/card-actions.js';
import { startHarness } from '../helpers/harness.js';
import { readSubmission } from '../../src/submission/filing.read.js';
import { planReport } from '../../src/submission/report.store.js';
import { bumpProject, writeReportOnce } from '../../src/submission/report.write.js';
import { validateReportForm, readTypedForm } from '../../src/submission/report-form.js';
import { filingBasis } from '../../src/submission/filing-basis.js';
import { addPerson, addProject, openCycle, promptCards, reportForm, TestClock, type Scenario, type TestPerson } from './scenario.js';

type Body = { toast?: { type: string; content: string }; card?: unknown };

let h: Scenario;
let owner: TestPerson;
let cycleId: number;
const projects: { id: number; name: string }[] = [];
let cards = new Map<string, string>();

// Counting: every Client.query on a connection to this test's database, with its text.
let counting = false;
const seen: string[] = [];
// eslint-disable-next-line @typescript-eslint/unbound-method -- re-bound with apply() below
const originalQuery = pg.Client.prototype.query;

beforeAll(async () => {
  const clock = new TestClock(new Date('2026-10-24T10:00:00+08:00'));
  h = Object.assign(await startHarness({ now: clock.now, workers: false }), { clock });
  const dbName = h.database.name;
  pg.Client.prototype.query = function countedQuery(this: pg.Client, ...args: unknown[]) {
    if (counting && this.database === dbName) {
      const q = args[0] as string | { text?: string };
      seen.push((typeof q === 'string' ? q : (q.text ?? '?')).replace(/\s+/g, ' ').slice(0, 90));
    }
    return (originalQuery as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof pg.Client.prototype.query;
  owner = await addPerson(h, '杜磊秀');
  for (const name of ['计数项目甲', '计数项目乙', '计数项目丙', '计数项目丁', '计数项目戊']) projects.push(await addProject(h.ctx.db, { name, ownerId: owner.id }));
  cycleId = await openCycle(h.ctx.db, '2026-10');
  cards = await promptCards(h, cycleId, owner);
}, 60_000);

afterAll(async () => {
  pg.Client.prototype.query = originalQuery;
  await h?.stop();
});

/** One submission through the HTTP intake; its answer and the statements it sent. */
async function counted(project: { id: number; name: string }, form: Record<string, string>, a = 'report.submit'): Promise<{ body: Body; statements: string[] }> {
  seen.length = 0;
  counting = true;
  try {
    const res = await h.driver.cardAction({
      operatorOpenId: owner.openId,
      messageId: cards.get(project.name)!,
      value: { a, projectId: project.id, cycleId },
      formValue: form,
      name: 'report_submit',
    });
    return { body: res.body as Body, statements: [...seen] };
  } finally {
    counting = false;
  }
}

describe('statements per valid submission', () => {
  it('a first submission costs at most 5 statements, BEGIN and COMMIT included', async () => {
    const { body, statements } = await counted(projects[0], reportForm());
    expect(body.toast).toEqual({ type: 'success', content: '已提交' });
    console.log(`first submission: ${statements.length} statements\n  ${statements.join('\n  ')}`);
    expect(statements.length, statements.join('\n')).toBeLessThanOrEqual(5);
    const rows = await h.ctx.db.selectFrom('report_revisions').select(['revision', 'period_investment']).where('project_id', '=', projects[0].id).execute();
    expect(rows).toEqual([{ revision: 1, period_investment: '500.0000' }]);
  });

  it('a correction costs at most 5 statements', async () => {
    const { body, statements } = await counted(projects[0], reportForm({ [F.periodInvestment]: '450' }));
    expect(body.toast).toEqual({ type: 'success', content: '已更正' });
    console.log(`correction: ${statements.length} statements\n  ${statements.join('\n  ')}`);
    expect(statements.length, statements.join('\n')).toBeLessThanOrEqual(5);
    const report = await h.ctx.db.selectFrom('reports').select(['revision', 'period_investment']).where('project_id', '=', projects[0].id).executeTakeFirstOrThrow();
    expect(report).toEqual({ revision: 2, period_investment: '450.0000' });
  });

  it('"本期无变化" costs at most 5 statements', async () => {
    const { body, statements } = await counted(projects[1], {}, 'report.no_change');
    expect(body.toast?.type).toBe('success');
    console.log(`本期无变化: ${statements.length} statements`);
    expect(statements.length, statements.join('\n')).toBeLessThanOrEqual(5);
  });
});

describe('the escalation recheck after a submission', () => {
  it('is enqueued for a project with an open escalation, and not for one without', async () => {
    const [calm, escalated] = [projects[3], projects[4]];
    await h.ctx.db
      .insertInto('escalations')
      .values({ project_id: escalated.id, cycle_id: cycleId, level: 1, reasons: ['连续未报'], reason_text: '连续未报', state: 'open' })
      .execute();
    for (const p of [calm, escalated]) expect((await counted(p, reportForm())).body.toast?.type).toBe('success');
    const rechecks = (await h.ctx.queues.queue('control').getJobs(['waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized']))
      .filter((j) => j.name === 'escalation.recheck')
      .map((j) => (j.data as { projectId: number }).projectId);
    expect(rechecks).toContain(escalated.id);
    expect(rechecks).not.toContain(calm.id);
  });
});

describe('submissions racing for one project', () => {
  it('are serialised on the project row: each is stored as its own revision, none refused or lost', async () => {
    const project = projects[1];
    const amounts = ['101', '102', '103', '104', '105', '106'];
    const answers = await Promise.all(
      amounts.map((amount) =>
        h.driver.cardAction({
          operatorOpenId: owner.openId,
          messageId: cards.get(project.name)!,
          value: { a: 'report.submit', projectId: project.id, cycleId },
          formValue: reportForm({ [F.periodInvestment]: amount }),
          name: 'report_submit',
        }),
      ),
    );
    for (const a of answers) expect((a.body as Body).toast?.type).toBe('success');
    const revisions = await h.ctx.db.selectFrom('report_revisions').select(['revision', 'period_investment']).where('project_id', '=', project.id).orderBy('revision').execute();
    // Revision 1 is the "本期无变化" above; each racing submission added one, in some order.
    expect(revisions.map((r) => r.revision)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(revisions.slice(1).map((r) => Number(r.period_investment)).sort()).toEqual(amounts.map(Number));
    const report = await h.ctx.db.selectFrom('reports').select(['revision', 'period_investment']).where('project_id', '=', project.id).executeTakeFirstOrThrow();
    expect(report.revision).toBe(7);
    expect(report.period_investment).toBe(revisions[6].period_investment);
  });
});

describe('the one-statement write', () => {
  it('stores nothing when the project row changed since the read, then once, then never again for the event', async () => {
    const db = h.ctx.db;
    const project = projects[2];
    const eventKey = 'card:stale-test';
    const read = await readSubmission(db, { eventKey, operator: { openId: owner.openId }, projectId: project.id, cycleId });
    const ctx = read.ctx!;
    const check = validateReportForm(readTypedForm(reportForm()), filingBasis(ctx));
    if (!check.ok) throw new Error('form refused');
    const at = h.clock.now();
    const plan = planReport({ ctx, report: check.report, noChange: false, personId: owner.id, at, tz: 'Asia/Shanghai', via: 'card', late: false, sourceMessageId: null, sourceEventId: 'stale-test' });
    const write = (version: string) => writeReportOnce(db, { eventKey, kind: 'report.submit', answer: { toast: { type: 'success', content: '已提交' } }, cycleId, projectId: project.id, late: false, version, plan });
    const stored = () => Promise.all([
      db.selectFrom('reports').select('id').where('project_id', '=', project.id).execute(),
      db.selectFrom('inbound_events').select('dedupe_key').where('dedupe_key', '=', eventKey).execute(),
    ]);

    await bumpProject(db, project.id);
    expect(await write(read.version!)).toEqual({ kind: 'stale' });
    expect(await stored()).toEqual([[], []]);

    const fresh = await readSubmission(db, { eventKey, operator: { openId: owner.openId }, projectId: project.id, cycleId });
    const first = await write(fresh.version!);
    expect(first.kind).toBe('stored');
    const [reports, events] = await stored();
    expect(reports).toHaveLength(1);
    expect(events).toHaveLength(1);

    const again = await readSubmission(db, { eventKey, operator: { openId: owner.openId }, projectId: project.id, cycleId });
    expect(again.answer).toEqual({ toast: { type: 'success', content: '已提交' } });
    expect(await write(again.version!)).toEqual({ kind: 'duplicate' });
    expect((await stored())[0]).toHaveLength(1);
  });
});
