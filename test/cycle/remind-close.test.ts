// Reminders reach only owners with something unreported; the close marks what is left as
// missed; a late report after the close counts as late; `cycle status` shows it per region.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/platform/app-context.js';
import { openCycle, remindCycle } from '../../src/cycle/cycle.service.js';
import { runTick } from '../../src/cycle/cycle-tick.js';
import { markReported } from '../../src/cycle/cycle.repository.js';
import { cycleCommands } from '../../src/cli/cycle.commands.js';
import { makePerson, makeProject } from '../helpers/factories.js';
import { drained, shanghai, startCycleEnv, type CycleEnv, type SentCard } from './cycle-env.js';

describe('reminders and the close', () => {
  let env: CycleEnv;
  let ctx: AppContext;
  let cycleId: number;
  const people: Record<'a' | 'b' | 'c', { id: number; openId: string }> = {} as never;
  const projects: Record<'a1' | 'a2' | 'b1' | 'b2' | 'c1', number> = {} as never;

  const cardsTo = (who: 'a' | 'b' | 'c') => env.fake.messages({ receive_id: people[who].openId, msg_type: 'interactive' });
  const titles = (who: 'a' | 'b' | 'c') => cardsTo(who).map((m) => (m.content as SentCard).header.title.content);
  const cli = async (name: string, args: string[]) => {
    const out: string[] = [];
    const code = await cycleCommands.find((c) => c.name === name)!.run(args, ctx, { out: (l) => out.push(l), err: (l) => out.push(l) });
    return { code, out };
  };

  beforeAll(async () => {
    env = await startCycleEnv({ start: '2026-11-16T09:00:30' });
    ctx = env.context({ workers: false });
    env.context();
    for (const [key, name, mobile] of [['a', '甲负责人', '13500000001'], ['b', '乙负责人', '13500000002'], ['c', '丙负责人', '13500000003']] as const) {
      const openId = env.fake.addUser({ name, mobile });
      people[key] = { id: (await makePerson(env.db, { name, mobile, openId })).id, openId };
    }
    const make = async (code: string, owner: 'a' | 'b' | 'c', region: string) =>
      (await makeProject(env.db, { code, name: `${code}项目`, region, frequency: 'weekly', ownerId: people[owner].id })).id;
    projects.a1 = await make('XMA1', 'a', '天城县');
    projects.a2 = await make('XMA2', 'a', '天城县');
    projects.b1 = await make('XMB1', 'b', '天城县');
    projects.b2 = await make('XMB2', 'b', '西山区');
    projects.c1 = await make('XMC1', 'c', '西山区');
    cycleId = (await openCycle(ctx, 'weekly', '2026-W47')).cycle.id;
    await drained(ctx);
  });
  afterAll(async () => {
    await env.close();
  });

  it('reminds only owners who have not reported, naming what is missing', async () => {
    expect(env.fake.messages({ msg_type: 'interactive' })).toHaveLength(5);
    // The submission side records reports with markReported (here without the report rows).
    await markReported(env.db, cycleId, projects.a1, shanghai('2026-11-17T10:00'), false);
    await markReported(env.db, cycleId, projects.a2, shanghai('2026-11-17T10:05'), false);
    await markReported(env.db, cycleId, projects.b1, shanghai('2026-11-18T11:00'), false);

    env.clock.set('2026-11-18T15:00:05');
    expect(await runTick(ctx, 'weekly', 'remind')).toEqual([`remind-${cycleId}`]);
    await drained(ctx);

    expect(cardsTo('a')).toHaveLength(2);
    expect(titles('b')).toEqual(['XMB1项目', 'XMB2项目', '【催报】XMB2项目']);
    expect(titles('c')).toEqual(['XMC1项目', '【催报】XMC1项目']);
    const reminder = JSON.stringify(cardsTo('b').at(-1)!.content);
    expect(reminder).toContain('尚未收到“XMB2项目”的本期填报，截止时间为11月20日（周五）18:00');
    expect(reminder).toContain('"a":"report.submit","projectId":' + projects.b2);

    // Asked again (by hand, or a second tick): nothing new.
    await remindCycle(ctx, cycleId, false);
    await runTick(ctx, 'weekly', 'remind');
    await drained(ctx);
    expect(env.fake.messages({ msg_type: 'interactive' })).toHaveLength(7);
    const kinds = await env.db.selectFrom('outbound_messages').select('kind').where('cycle_id', '=', cycleId).execute();
    expect(kinds.filter((k) => k.kind === 'reminder')).toHaveLength(2);
  });

  it('closes at the due time: unreported projects become missed, the last call buzzes', async () => {
    env.clock.set('2026-11-20T18:00:02');
    await runTick(ctx, 'weekly', 'close');
    await runTick(ctx, 'weekly', 'final-remind');
    await drained(ctx);

    const cycle = await env.db.selectFrom('cycles').selectAll().where('id', '=', cycleId).executeTakeFirstOrThrow();
    expect(cycle.state).toBe('closed');
    expect(cycle.closed_at).toEqual(shanghai('2026-11-20T18:00:02'));
    const statuses = await env.db.selectFrom('cycle_projects').select(['project_id', 'status']).where('cycle_id', '=', cycleId).orderBy('project_id').execute();
    expect(Object.fromEntries(statuses.map((s) => [s.project_id, s.status]))).toEqual({
      [projects.a1]: 'reported',
      [projects.a2]: 'reported',
      [projects.b1]: 'reported',
      [projects.b2]: 'missed',
      [projects.c1]: 'missed',
    });

    expect(cardsTo('a')).toHaveLength(2);
    expect(titles('b').at(-1)).toBe('【截止提醒】XMB2项目');
    expect(titles('c').at(-1)).toBe('【截止提醒】XMC1项目');
    const last = cardsTo('c').at(-1)!;
    expect(JSON.stringify(last.content)).toContain('已到截止时间（11月20日（周五）18:00），仍未收到“XMC1项目”的本期填报');
    expect(last.urgent).toEqual([expect.objectContaining({ kind: 'app', user_ids: [people.c.openId] })]);

    const again = await cli('cycle close', ['--kind', 'weekly', '--period', '2026-W47']);
    expect(again.out).toEqual([`周调度 2026-W47 2026年第47周（11月16日—11月22日）（编号 ${cycleId}） 此前已截止。`]);
  });

  it('records a report after the close as late, and shows the cycle per region', async () => {
    expect(await markReported(env.db, cycleId, projects.c1, shanghai('2026-11-21T09:00'), true)).toBe(true);
    // A revision does not change the first report's status or time.
    expect(await markReported(env.db, cycleId, projects.c1, shanghai('2026-11-21T10:00'), true)).toBe(false);

    const { out } = await cli('cycle status', ['--kind', 'weekly']);
    expect(out[0]).toBe(`周调度 2026-W47 2026年第47周（11月16日—11月22日）（编号 ${cycleId}）：已截止（11月20日（周五）18:00）`);
    expect(out[1]).toBe('开启 11月16日（周一）09:00 · 催报 11月18日（周三）15:00（已发） · 截止 11月20日（周五）18:00（截止提醒已发）');
    const table = out.slice(3, 7).map((l) => l.trim().split(/\s+/));
    expect(table).toEqual([
      ['地区', '覆盖', '按时报送', '迟报', '待报', '缺报', '未匹配负责人', '无负责人'],
      ['天城县', '3', '3', '0', '0', '0', '0', '0'],
      ['西山区', '2', '0', '1', '0', '1', '0', '0'],
      ['合计', '5', '3', '1', '0', '1', '0', '0'],
    ]);
    expect(out.at(-1)).toBe('消息：截止提醒 已发2；填报通知 已发5；催报 已发2');

    const json = JSON.parse((await cli('cycle status', ['--kind', 'weekly', '--period', '2026-W47', '--json'])).out.join('\n'));
    expect(json.totals).toEqual({ covered: 5, reported: 3, late: 1, pending: 0, missed: 1, unmatchedOwners: 0, ownerless: 0 });
    expect(json.cycle).toMatchObject({ id: cycleId, state: 'closed', periodKey: '2026-W47' });
  });
});
