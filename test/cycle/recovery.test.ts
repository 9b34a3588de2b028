// What the cycle does when something goes wrong: a week that lies entirely in holidays (told,
// not silently skipped), an open that failed after committing its cycle (its prompts are sent
// by a later tick), and one card Feishu refuses (the owner's other cards still go out).
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AppContext } from '../../src/platform/app-context.js';
import { runTick, periodsSkippedAsDaysOff, periodsToOpen, type OpenCandidate } from '../../src/cycle/cycle-tick.js';
import { openCycle, PROMPT_RECOVERY_GRACE_MS } from '../../src/cycle/cycle.service.js';
import { createCycleWithCoverage } from '../../src/cycle/cycle.repository.js';
import { sendOwnerPrompts } from '../../src/cycle/prompt.service.js';
import { isAppError } from '../../src/errors.js';
import { makePerson, makeProject } from '../helpers/factories.js';
import { drained, shanghai, startCycleEnv, waitFor, type CycleEnv } from './cycle-env.js';

describe('cycle recovery', () => {
  let env: CycleEnv;
  /** Service calls; a second instance runs the workers. */
  let ctx: AppContext;

  const cards = (receiveId: string) => env.fake.messages({ receive_id: receiveId, msg_type: 'interactive' });
  const sendPath = { method: 'POST', path: '/open-apis/im/v1/messages' };

  async function ownerWith(projects: number, label: string): Promise<{ id: number; openId: string; projects: number[] }> {
    const mobile = `1350000${String(label.charCodeAt(0)).padStart(4, '0')}`;
    const openId = env.fake.addUser({ name: `负责人${label}`, mobile });
    const person = await makePerson(env.db, { name: `负责人${label}`, mobile, openId });
    const ids: number[] = [];
    for (let i = 1; i <= projects; i++) {
      ids.push((await makeProject(env.db, { code: `XMREC${label}${i}`, name: `${label}项目${i}`, frequency: 'weekly', ownerId: person.id })).id);
    }
    return { id: person.id, openId, projects: ids };
  }

  beforeAll(async () => {
    env = await startCycleEnv({ start: '2026-02-24T09:00:30' });
    ctx = env.context({ workers: false });
    env.context();
  });
  afterAll(async () => {
    await env.close();
  });

  it('tells the log and the admins, once, that the Spring Festival week 2026-W08 is not opened', async () => {
    const adminOpenId = env.fake.addUser({ name: '项目中心管理员', mobile: '13700000009' });
    const admin = await makePerson(env.db, { name: '项目中心管理员', mobile: '13700000009', openId: adminOpenId });
    await env.db.insertInto('person_grants').values({ person_id: admin.id, role: 'admin', project_id: null, granted_by: 'test' }).execute();

    // Tuesday 02-24, the first working day after the holiday: W09 opens, W08 (all days off) does not.
    expect(await runTick(ctx, 'weekly', 'open')).toEqual(['open-weekly-2026-W09', 'admin-days-off-weekly-2026-W08']);
    const warnings = () => env.logs.filter((l) => l.level === 'warn' && l.periodKey === '2026-W08');
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0].msg).toContain('days off');

    await waitFor('the admin notice', () => env.fake.messages({ receive_id: adminOpenId }).length === 1);
    const [notice] = env.fake.messages({ receive_id: adminOpenId });
    expect(notice.msg_type).toBe('text');
    const text = JSON.stringify(notice.content);
    expect(text).toContain('周调度2026年第8周');
    expect(text).toContain('全部为法定节假日或休息日');
    expect(text).toContain('cycle open --kind weekly --period 2026-W08');

    await drained(ctx);
    // The next ticks of the day: no second warning, no second notice, and W08 still not opened.
    env.clock.advance(60_000);
    expect(await runTick(ctx, 'weekly', 'open')).toEqual([]);
    env.clock.advance(60_000);
    expect(await runTick(ctx, 'weekly', 'open')).toEqual([]);
    await drained(ctx);
    expect(warnings()).toHaveLength(1);
    expect(env.fake.messages({ receive_id: adminOpenId })).toHaveLength(1);
    expect(await env.db.selectFrom('cycles').select('id').where('period_key', '=', '2026-W08').execute()).toEqual([]);
  });

  it('skips a days-off period only inside its open window and only when it does not exist', () => {
    const at = { openAt: shanghai('2026-02-24T09:00'), remindAt: shanghai('2026-02-24T15:00'), dueAt: shanghai('2026-02-24T18:00') };
    const times: OpenCandidate['times'] = {
      kind: 'weekly',
      periodKey: '2026-W08',
      ...at,
      nominal: { openAt: shanghai('2026-02-16T09:00'), remindAt: shanghai('2026-02-18T15:00'), dueAt: shanghai('2026-02-20T18:00') },
      shifted: { open: true, remind: true, due: true },
      calendarMissingYears: [],
      allDaysOff: true,
    };
    const c = (exists: boolean): OpenCandidate => ({ periodKey: '2026-W08', times, exists });
    expect(periodsSkippedAsDaysOff(shanghai('2026-02-24T10:00'), [c(false)])).toEqual(['2026-W08']);
    expect(periodsSkippedAsDaysOff(shanghai('2026-02-24T08:59'), [c(false)])).toEqual([]);
    expect(periodsSkippedAsDaysOff(shanghai('2026-02-24T18:00'), [c(false)])).toEqual([]);
    expect(periodsSkippedAsDaysOff(shanghai('2026-02-24T10:00'), [c(true)])).toEqual([]);
    expect(periodsToOpen(shanghai('2026-02-24T10:00'), [c(false)])).toEqual([]);
  });

  it('sends the prompts of a cycle whose open failed after committing it, from a later tick', async () => {
    const owner = await ownerWith(2, 'A');
    env.clock.set('2026-03-02T09:00:30');
    // Redis goes away between the cycle's commit and the prompt jobs: every attempt of the open
    // finds the cycle created and fails the same way, so 'cycle.open' ends up failed.
    const opener = env.context({ workers: false });
    vi.spyOn(opener.queues, 'enqueueBulk').mockRejectedValue(new Error('Connection is closed.'));
    await expect(openCycle(opener, 'weekly', '2026-W10')).rejects.toThrow('Connection is closed.');
    await expect(openCycle(opener, 'weekly', '2026-W10')).rejects.toThrow('Connection is closed.');
    const cycle = await env.db.selectFrom('cycles').selectAll().where('period_key', '=', '2026-W10').executeTakeFirstOrThrow();
    expect(cycle.state).toBe('open');

    // Within the grace the open's own retries are left to run; nothing else to do.
    env.clock.advance(60_000);
    expect(await runTick(ctx, 'weekly', 'open')).toEqual([]);

    env.clock.advance(PROMPT_RECOVERY_GRACE_MS);
    expect(await runTick(ctx, 'weekly', 'open')).toEqual([`prompt-${cycle.id}-${owner.id}`]);
    await waitFor('the recovered prompts', () => cards(owner.openId).length === 2);
    await drained(ctx);
    expect(env.logs.some((l) => l.level === 'warn' && l.msg.includes('never prompted'))).toBe(true);

    // Prompted now: the next ticks find nothing to do and send nothing more.
    env.clock.advance(60_000);
    expect(await runTick(ctx, 'weekly', 'open')).toEqual([]);
    await drained(ctx);
    expect(cards(owner.openId)).toHaveLength(2);
  });

  it('sends an owner’s other cards when Feishu refuses one, and fails the job permanently', async () => {
    const owner = await ownerWith(3, 'B');
    env.clock.set('2026-03-09T09:00:30');
    const { cycle } = await createCycleWithCoverage(env.db, {
      kind: 'weekly',
      periodKey: '2026-W11',
      openAt: shanghai('2026-03-09T09:00'),
      remindAt: shanghai('2026-03-11T15:00'),
      dueAt: shanghai('2026-03-13T18:00'),
      openedAt: env.clock.now(),
    });
    // One card of the owner (the first to arrive) is refused for good (HTTP 400, a business code).
    env.fake.injectFault({ kind: 'code', code: 230001, match: sendPath, times: 1 });
    const error = await sendOwnerPrompts(ctx, cycle.id, owner.id).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isAppError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'LARK_PERMANENT', retryable: false });
    expect(cards(owner.openId)).toHaveLength(2);
    const rows = await env.db.selectFrom('outbound_messages').select(['project_id', 'state']).where('cycle_id', '=', cycle.id).where('person_id', '=', owner.id).orderBy('project_id').execute();
    expect(rows.map((r) => r.state).sort()).toEqual(['failed', 'sent', 'sent']);
  });

  it('fails the job for a retry when one of the failures is transient; the retry sends what is missing, once', async () => {
    const owner = await ownerWith(3, 'C');
    const cycle = await env.db.selectFrom('cycles').selectAll().where('period_key', '=', '2026-W11').executeTakeFirstOrThrow();
    // C is not covered by W11 (made after it); cover him by hand, as the open would have.
    for (const projectId of owner.projects) {
      const { region_id } = await env.db.selectFrom('projects').select('region_id').where('id', '=', projectId).executeTakeFirstOrThrow();
      await env.db.insertInto('cycle_projects').values({ cycle_id: cycle.id, project_id: projectId, owner_id: owner.id, region_id }).execute();
    }
    // An owner's cards leave together, each at its own slot: the first request is refused for
    // good, and the other two meet a Feishu outage longer than the client's retries (6 tries each).
    env.fake.injectFault({ kind: 'code', code: 230001, match: sendPath, times: 1 });
    env.fake.injectFault({ kind: 'status', status: 503, match: sendPath, times: 12 });
    const before = env.fake.requests().filter((r) => r.method === 'POST' && r.path === sendPath.path && r.status === 200).length;
    await expect(sendOwnerPrompts(ctx, cycle.id, owner.id)).rejects.toMatchObject({ retryable: true });
    expect(cards(owner.openId)).toHaveLength(0);

    // The retry tries every card not sent, the one refused for good included (sendFailure).
    const retry = await sendOwnerPrompts(ctx, cycle.id, owner.id);
    expect(retry).toEqual({ sent: 3, alreadySent: 0 });
    expect(cards(owner.openId)).toHaveLength(3);
    // Once more (a job run again): everything is in the log as sent, and nothing goes out.
    expect(await sendOwnerPrompts(ctx, cycle.id, owner.id)).toEqual({ sent: 0, alreadySent: 3 });
    const ok = env.fake.requests().filter((r) => r.method === 'POST' && r.path === sendPath.path && r.status === 200).length;
    expect(ok - before).toBe(3);
  });
});
