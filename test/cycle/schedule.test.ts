// When cycles open, remind and close, with an injected clock: statutory holidays, make-up
// working days, a year without calendar data and local days off. The tick is run directly and
// what it enqueues is read back from the queue; no workers run in this file.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/platform/app-context.js';
import { runTick, cyclesToClose, cyclesToFinalRemind, cyclesToRemind } from '../../src/cycle/cycle-tick.js';
import { openCycle } from '../../src/cycle/cycle.service.js';
import { notifyAdmins } from '../../src/cycle/admin-notify.js';
import { cycleCommands } from '../../src/cli/cycle.commands.js';
import type { CycleRow } from '../../src/cycle/cycle.repository.js';
import { makePerson, makeProject } from '../helpers/factories.js';
import { shanghai, startCycleEnv, type CycleEnv } from './cycle-env.js';

describe('cycle schedule with an injected clock', () => {
  let env: CycleEnv;
  let ctx: AppContext;
  let ids: { w40: number; w41: number };

  beforeAll(async () => {
    // Monthly cycles here open on the 10th: 2026-10-10 is a Saturday, but a make-up working day.
    env = await startCycleEnv({ start: '2026-10-05T09:00', env: { MONTHLY_OPEN: '10 09:00', MONTHLY_REMIND: '12 15:00', MONTHLY_DUE: '16 18:00' } });
    ctx = env.context({ workers: false });
    await makeProject(env.db, { frequency: 'weekly' });
  });
  afterAll(async () => {
    await env.close();
  });

  const queued = async (name: string) => (await ctx.queues.queue('control').getJobs(['waiting', 'delayed'])).filter((j) => j.name === name);
  const outboundQueued = async (name: string) => (await ctx.queues.queue('outbound').getJobs(['waiting', 'delayed'])).filter((j) => j.name === name);
  const run = (name: string, args: string[]) => {
    const out: string[] = [];
    const command = cycleCommands.find((c) => c.name === name)!;
    return command.run(args, ctx, { out: (l) => out.push(l), err: (l) => out.push(l) }).then((code) => ({ code, out }));
  };

  it('opens the National Day week on the next working day, Thursday 2026-10-08', async () => {
    // On Monday 10-05 the tick opens nothing of W41. It does catch up W40, the week before,
    // which nobody opened in this fresh database: its due time (Friday 10-02, a holiday) has
    // moved to 10-08, so that cycle is still running.
    env.clock.set('2026-10-05T09:00');
    expect(await runTick(ctx, 'weekly', 'open')).toEqual(['open-weekly-2026-W40']);
    const w40 = await openCycle(ctx, 'weekly', '2026-W40');
    expect(w40.cycle.due_at).toEqual(shanghai('2026-10-08T18:00'));
    expect(await runTick(ctx, 'weekly', 'open')).toEqual([]);
    env.clock.set('2026-10-08T08:59');
    expect(await runTick(ctx, 'weekly', 'open')).toEqual([]);
    env.clock.set('2026-10-08T09:00');
    expect(await runTick(ctx, 'weekly', 'open')).toEqual(['open-weekly-2026-W41']);
    expect((await queued('cycle.open')).map((j) => j.data.periodKey).sort()).toEqual(['2026-W40', '2026-W41']);

    const { cycle } = await openCycle(ctx, 'weekly', '2026-W41');
    ids = { w40: w40.cycle.id, w41: cycle.id };
    expect(cycle.open_at).toEqual(shanghai('2026-10-08T09:00'));
    // Wednesday 10-07 is a holiday too: the reminder moves to Thursday afternoon.
    expect(cycle.remind_at).toEqual(shanghai('2026-10-08T15:00'));
    expect(cycle.due_at).toEqual(shanghai('2026-10-09T18:00'));
    // The next tick finds it open and enqueues nothing more.
    env.clock.set('2026-10-08T09:01');
    expect(await runTick(ctx, 'weekly', 'open')).toEqual([]);
  });

  it('counts the make-up working day 2026-10-10 (a Saturday) as a working day', async () => {
    env.clock.set('2026-10-10T08:59');
    expect(await runTick(ctx, 'monthly', 'open')).toEqual([]);
    env.clock.set('2026-10-10T09:00');
    expect(await runTick(ctx, 'monthly', 'open')).toEqual(['open-monthly-2026-10']);
    const { cycle } = await openCycle(ctx, 'monthly', '2026-10');
    expect(cycle.open_at).toEqual(shanghai('2026-10-10T09:00'));
    expect(cycle.remind_at).toEqual(shanghai('2026-10-12T15:00'));
    expect(cycle.due_at).toEqual(shanghai('2026-10-16T18:00'));
  });

  it('reminds, gives the last call and closes at the times stored on the cycle', async () => {
    env.clock.set('2026-10-08T14:59');
    expect(await runTick(ctx, 'weekly', 'remind')).toEqual([]);
    env.clock.set('2026-10-08T15:00');
    // W40 was opened after its reminder time: only W41 is reminded.
    expect(await runTick(ctx, 'weekly', 'remind')).toEqual([`remind-${ids.w41}`]);
    env.clock.set('2026-10-08T18:00');
    expect(await runTick(ctx, 'weekly', 'close')).toEqual([`close-${ids.w40}`]);
    env.clock.set('2026-10-09T17:59');
    // close-W40 is still queued (no workers here); the tick asks again, the job id absorbs it.
    expect(await runTick(ctx, 'weekly', 'close')).toEqual([`close-${ids.w40}`]);
    expect(await runTick(ctx, 'weekly', 'final-remind')).toEqual([`final-remind-${ids.w40}`]);
    env.clock.set('2026-10-09T18:00');
    expect(await runTick(ctx, 'weekly', 'close')).toEqual([`close-${ids.w40}`, `close-${ids.w41}`]);
    // W40's due time is a day past now: its last call is no longer asked for (the job queued
    // earlier is still there).
    expect(await runTick(ctx, 'weekly', 'final-remind')).toEqual([`final-remind-${ids.w41}`]);
    expect((await queued('cycle.close')).map((j) => j.id).sort()).toEqual([`close-${ids.w40}`, `close-${ids.w41}`]);
    const remind = (await queued('cycle.remind')).map((j) => `${j.data.cycleId}:${j.data.final}`).sort();
    expect(remind).toEqual([`${ids.w40}:true`, `${ids.w41}:false`, `${ids.w41}:true`]);
  });

  it('flags a year without calendar data — an error log and one admin notice — and still opens the cycle', async () => {
    const adminOpenId = env.fake.addUser({ name: '项目中心管理员', mobile: '13700000001' });
    const admin = await makePerson(env.db, { name: '项目中心管理员', mobile: '13700000001', openId: adminOpenId });
    await env.db.insertInto('person_grants').values({ person_id: admin.id, role: 'admin', project_id: null, granted_by: 'test' }).execute();

    // Monday 2027-01-11: chinese-days has no 2027 data (the State Council notice is not out).
    env.clock.set('2027-01-11T09:00');
    expect(await runTick(ctx, 'weekly', 'open')).toEqual(['open-weekly-2027-W02']);
    const result = await openCycle(ctx, 'weekly', '2027-W02');
    expect(result.created).toBe(true);
    expect(result.calendarMissingYears).toEqual([2027]);
    expect(result.cycle.open_at).toEqual(shanghai('2027-01-11T09:00'));
    expect(result.cycle.due_at).toEqual(shanghai('2027-01-15T18:00'));

    const errors = env.logs.filter((l) => l.level === 'error' && l.code === 'CALENDAR_MISSING');
    expect(errors).toEqual([expect.objectContaining({ year: 2027, kind: 'weekly', periodKey: '2027-W02' })]);
    const notices = await outboundQueued('admin.notify');
    expect(notices).toHaveLength(1);
    expect(notices[0].id).toBe('admin-calendar-missing-2027');
    expect(notices[0].data.text).toContain('没有2027年的法定节假日和调休安排数据');
    expect(notices[0].data.text).toContain('已照常开启');

    // Raised again by the next cycle of that year: still one job, and each admin gets one message.
    await openCycle(ctx, 'weekly', '2027-W03');
    expect(await outboundQueued('admin.notify')).toHaveLength(1);
    const first = await notifyAdmins(ctx, notices[0].data.key, notices[0].data.text);
    const again = await notifyAdmins(ctx, notices[0].data.key, notices[0].data.text);
    expect(first.sent).toBe(1);
    expect(again.sent).toBe(0);
    const texts = env.fake.messages({ receive_id: adminOpenId });
    expect(texts).toHaveLength(1);
    expect(texts[0]).toMatchObject({ msg_type: 'text', uuid: expect.stringMatching(/^admincalendarmiss/) });
  });

  it('moves a time off a local day off, and moves an open cycle when a day off is added later', async () => {
    const added = await run('calendar add-off', ['2026-11-30', '--note', '县庆']);
    expect(added.out).toEqual(['已将 2026-11-30 设为本地放假日（县庆）']);

    env.clock.set('2026-11-30T09:00');
    expect(await runTick(ctx, 'weekly', 'open')).toEqual([]);
    env.clock.set('2026-12-01T09:00');
    expect(await runTick(ctx, 'weekly', 'open')).toEqual(['open-weekly-2026-W49']);
    const { cycle } = await openCycle(ctx, 'weekly', '2026-W49');
    expect(cycle.open_at).toEqual(shanghai('2026-12-01T09:00'));
    expect(cycle.due_at).toEqual(shanghai('2026-12-04T18:00'));

    // Friday 12-04 becomes a day off while the cycle is open: its due time moves to Monday.
    const friday = await run('calendar add-off', ['2026-12-04']);
    expect(friday.out).toEqual(['已将 2026-12-04 设为本地放假日', '进行中的 周调度 2026-W49：截止改为 12月7日（周一）18:00']);
    const moved = await env.db.selectFrom('cycles').select('due_at').where('id', '=', cycle.id).executeTakeFirstOrThrow();
    expect(moved.due_at).toEqual(shanghai('2026-12-07T18:00'));

    const list = await run('calendar list', ['--year', '2026']);
    expect(list.out).toHaveLength(2);
    expect(list.out[0]).toMatch(/^2026-11-30 {2}放假 {2}县庆/);

    const removed = await run('calendar remove', ['2026-12-04']);
    expect(removed.out).toEqual(['已删除本地放假日 2026-12-04', '进行中的 周调度 2026-W49：截止改为 12月4日（周五）18:00']);
    expect((await run('calendar remove', ['2026-12-04'])).code).toBe(1);
    await expect(run('calendar add-off', ['2026-13-01'])).rejects.toMatchObject({ code: 'VALIDATION' });
  });
});

describe('tick decisions', () => {
  const at = (local: string) => shanghai(local);
  const cycle = (o: Partial<CycleRow>): CycleRow => ({
    id: 1,
    kind: 'weekly',
    period_key: '2026-W47',
    open_at: at('2026-11-16T09:00'),
    remind_at: at('2026-11-18T15:00'),
    due_at: at('2026-11-20T18:00'),
    state: 'open',
    opened_at: at('2026-11-16T09:00'),
    reminded_at: null,
    final_reminded_at: null,
    closed_at: null,
    created_at: at('2026-11-16T09:00'),
    ...o,
  });

  it('does not remind a cycle opened after its reminder time', () => {
    expect(cyclesToRemind(at('2026-11-18T15:00'), [cycle({})])).toHaveLength(1);
    expect(cyclesToRemind(at('2026-11-18T15:00'), [cycle({ opened_at: at('2026-11-18T16:00') })])).toHaveLength(0);
    expect(cyclesToRemind(at('2026-11-18T15:00'), [cycle({ reminded_at: at('2026-11-18T15:00') })])).toHaveLength(0);
    // A reminder clamped onto the due time is pointless.
    expect(cyclesToRemind(at('2026-11-20T18:00'), [cycle({ remind_at: at('2026-11-20T18:00') })])).toHaveLength(0);
  });

  it('gives the last call at the due time, closed or not, but not a day late', () => {
    expect(cyclesToFinalRemind(at('2026-11-20T18:00'), [cycle({ state: 'closed' })])).toHaveLength(1);
    expect(cyclesToFinalRemind(at('2026-11-21T18:00'), [cycle({})])).toHaveLength(0);
    expect(cyclesToClose(at('2026-11-20T17:59'), [cycle({})])).toHaveLength(0);
    expect(cyclesToClose(at('2026-11-20T18:00'), [cycle({})])).toHaveLength(1);
  });
});
