// A late report racing the close that decides its project's cases. The close reads who missed,
// decides, then stores the cases; a report committed in between, or written across the store,
// could not see the case it clears. Test-only triggers hold the close's insert (or the report's
// write) on an advisory lock this file takes, so each interleaving happens for certain; with
// either half of the fix undone the case stays open until the next close.
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { closeCycle as closeCycleService } from '../../src/cycle/cycle.service.js';
import type { SandboxMessage } from '../../src/sandbox/index.js';
import { drained, waitFor } from '../cycle/cycle-env.js';
import { addDepartment, addPerson, addProject, openCycle, promptCards, reportForm, startScenario, until, type Scenario, type TestPerson } from '../submission/scenario.js';

type Body = { toast?: { type: string; content: string } };

const HOLD_ESCALATIONS = 7001;
const HOLD_REPORTS = 7002;

let h: Scenario | undefined;
let holder: pg.Client | undefined;

afterEach(async () => {
  await holder?.end();
  holder = undefined;
  await h?.stop();
  h = undefined;
});

/** One project whose owner has not answered the October cycle, its leader, and a lock holder. */
async function setUp() {
  h = await startScenario('2026-10-20T09:00');
  const s = h;
  const owner = await addPerson(s, '赵辉敏');
  const leader = await addPerson(s, '吴海涛');
  const viceMayor = await addPerson(s, '王建国');
  const dept = await addDepartment(s.ctx.db, '市发改委', null);
  const project = await addProject(s.ctx.db, { name: '项目丙', region: '天城县', departmentId: dept, ownerId: owner.id, leaderId: leader.id, viceMayorId: viceMayor.id });
  const cycle = await openCycle(s.ctx.db, '2026-10');
  const prompt = (await promptCards(s, cycle, owner)).get('项目丙')!;
  holder = new pg.Client({ connectionString: s.ctx.config.DATABASE_URL });
  await holder.connect();
  const lockHolder = holder;
  await lockHolder.query(`
    create function test_hold(key bigint) returns void language sql as $$ select pg_advisory_xact_lock(key) $$;
    create function test_hold_escalations() returns trigger language plpgsql as $$ begin perform test_hold(${HOLD_ESCALATIONS}); return null; end $$;
    create function test_hold_reports() returns trigger language plpgsql as $$ begin perform test_hold(${HOLD_REPORTS}); return null; end $$;
    create trigger test_hold_escalations before insert on escalations for each statement execute function test_hold_escalations();
    create trigger test_hold_reports before insert on reports for each statement execute function test_hold_reports();`);
  const file = () =>
    s.driver.cardAction({
      operatorOpenId: owner.openId,
      messageId: prompt,
      value: { a: 'report.submit', projectId: project.id, cycleId: cycle },
      formValue: reportForm(),
    });
  const escalation = () => s.ctx.db.selectFrom('escalations').select(['state', 'resolution']).where('project_id', '=', project.id).where('cycle_id', '=', cycle).executeTakeFirst();
  const waitingOnHold = () =>
    waitFor('a statement waiting on the test hold', async () => {
      const r = await lockHolder.query<{ n: number }>(`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and wait_event = 'advisory'`);
      return r.rows[0].n > 0;
    }, 60_000);
  return { s, holder: lockHolder, owner, leader, project, cycle, file, escalation, waitingOnHold };
}

const escalationCards = (s: Scenario, p: TestPerson) =>
  s.fake.messages({ receive_id: p.openId, msg_type: 'interactive' }).filter((m: SandboxMessage) => m.raw_content.includes('escalation.acknowledge'));
const resolvedTexts = (s: Scenario, p: TestPerson) => s.fake.messages({ receive_id: p.openId, msg_type: 'text' }).filter((m) => m.raw_content.includes('督办事项已解除'));

describe('a late report racing the close', () => {
  it('filed while the close decides (after it read who missed, before its cases are in): the case is settled at once and never put to the leader', async () => {
    const t = await setUp();
    await t.holder.query('select pg_advisory_lock($1)', [HOLD_ESCALATIONS]);
    t.s.clock.set('2026-10-26T18:00');
    await closeCycleService(t.s.ctx, t.cycle);
    await t.waitingOnHold();

    t.s.clock.set('2026-10-27T10:00');
    const r = await t.file();
    expect((r.body as Body).toast?.type).toBe('success');
    // The report's own recheck runs now and finds no case yet: only the held close is left.
    await waitFor('the report\'s recheck to finish', async () => {
      const c = await t.s.ctx.queues.queue('control').getJobCounts('waiting', 'delayed', 'prioritized', 'active');
      return c.waiting + c.delayed + c.prioritized === 0 && c.active === 1;
    }, 60_000);
    expect(await t.escalation()).toBeUndefined();

    await t.holder.query('select pg_advisory_unlock($1)', [HOLD_ESCALATIONS]);
    await drained(t.s.ctx, 60_000);
    expect(await t.escalation()).toEqual({ state: 'resolved', resolution: '已补报' });
    expect(escalationCards(t.s, t.leader)).toHaveLength(0);
    expect(resolvedTexts(t.s, t.leader)).toHaveLength(0);
  }, 120_000);

  it('written across the close (its statement began before the case was stored): the report rechecks and the leader is told the case closed', async () => {
    const t = await setUp();
    await t.holder.query('select pg_advisory_lock($1)', [HOLD_REPORTS]);
    t.s.clock.set('2026-10-26T18:30');
    const answered = t.file();
    await t.waitingOnHold();

    await closeCycleService(t.s.ctx, t.cycle);
    await drained(t.s.ctx, 60_000);
    // The close could not see the report: the case is open and on the leader's card.
    expect(await t.escalation()).toEqual({ state: 'open', resolution: null });
    expect(escalationCards(t.s, t.leader)).toHaveLength(1);

    await t.holder.query('select pg_advisory_unlock($1)', [HOLD_REPORTS]);
    await answered;
    await until(async () => (await t.escalation())?.state === 'resolved', 60_000);
    await drained(t.s.ctx, 60_000);
    expect(await t.escalation()).toEqual({ state: 'resolved', resolution: '已补报' });
    const told = await until(() => resolvedTexts(t.s, t.leader)[0], 60_000);
    expect(told.raw_content).toContain('项目丙');
    const status = await t.s.ctx.db.selectFrom('cycle_projects').select('status').where('cycle_id', '=', t.cycle).where('project_id', '=', t.project.id).executeTakeFirstOrThrow();
    expect(status.status).toBe('late');
  }, 120_000);
});
