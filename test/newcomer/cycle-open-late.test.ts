// The README's own `cycle open --kind weekly --period 2026-W48` run on 29 November (a Sunday, after
// that week's Friday 18:00 due time) must not open a cycle the scheduler closes seconds later.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/platform/app-context.js';
import { cycleCommands } from '../../src/cli/cycle.commands.js';
import { findCycleByPeriod } from '../../src/cycle/cycle.repository.js';
import { lateOpenTimes } from '../../src/cli/late-open.js';
import { makePerson, makeProject } from '../helpers/factories.js';
import { shanghai, startCycleEnv, type CycleEnv } from '../cycle/cycle-env.js';

describe('cycle open for a period past its due time', () => {
  let env: CycleEnv;
  let ctx: AppContext;
  const cli = async (args: string[]) => {
    const out: string[] = [];
    const code = await cycleCommands.find((c) => c.name === 'cycle open')!.run(args, ctx, { out: (l) => out.push(l), err: (l) => out.push(l) });
    return { code, out };
  };

  beforeAll(async () => {
    env = await startCycleEnv({ start: '2026-11-29T10:00' });
    ctx = env.context({ workers: false });
    const openId = env.fake.addUser({ name: '周报人', mobile: '13300000077' });
    const person = await makePerson(env.db, { name: '周报人', mobile: '13300000077', openId });
    await makeProject(env.db, { code: 'XMLATE1', name: '迟开项目', region: '东城区', frequency: 'weekly', ownerId: person.id });
  });
  afterAll(async () => {
    await env.close();
  });

  it('refuses without --due or --force and opens nothing', async () => {
    await expect(cli(['--kind', 'weekly', '--period', '2026-W48'])).rejects.toMatchObject({
      code: 'VALIDATION',
      userMessage: expect.stringMatching(/^周调度 2026-W48 的截止时间 11月27日（周五）18:00 已过：.*未开启。请用 --due "YYYY-MM-DD HH:mm".*--due "2026-12-01 18:00".*--force/),
    });
    expect(await findCycleByPeriod(env.db, 'weekly', '2026-W48')).toBeUndefined();
  });

  it('rejects a --due in the past or malformed', async () => {
    await expect(cli(['--kind', 'weekly', '--period', '2026-W48', '--due', '2026-11-28 18:00'])).rejects.toMatchObject({ userMessage: expect.stringContaining('已经过去') });
    await expect(cli(['--kind', 'weekly', '--period', '2026-W48', '--due', 'tuesday'])).rejects.toMatchObject({ userMessage: expect.stringContaining('--due 应为') });
  });

  it('opens with the new due time given, reminding halfway there', async () => {
    const { code, out } = await cli(['--kind', 'weekly', '--period', '2026-W48', '--due', '2026-12-01 18:00']);
    expect(code).toBe(0);
    expect(out[0]).toMatch(/^已开启 周调度 2026-W48/);
    expect(out[1]).toMatch(/截止 12月1日（周二）18:00$/);
    const cycle = (await findCycleByPeriod(env.db, 'weekly', '2026-W48'))!;
    expect(cycle.state).toBe('open');
    expect(cycle.due_at).toEqual(shanghai('2026-12-01T18:00'));
    expect(cycle.remind_at).toEqual(shanghai('2026-11-30T14:00'));
    // Already open: --due cannot move it.
    await expect(cli(['--kind', 'weekly', '--period', '2026-W48', '--due', '2026-12-02 18:00'])).rejects.toMatchObject({ userMessage: expect.stringContaining('已经开启') });
  });

  it('opens on the old times with --force, saying what will happen', () => {
    const planned = { remindAt: shanghai('2026-11-25T15:00'), dueAt: shanghai('2026-11-27T18:00') };
    const r = lateOpenTimes({ kind: 'weekly', period: '2026-W48', planned, now: shanghai('2026-11-29T10:00'), tz: 'Asia/Shanghai', force: true });
    expect(r).toEqual({ warning: expect.stringMatching(/^警告：周调度 2026-W48 的截止时间 .* 已过，按 --force 仍按原时间开启/) });
    // Not yet due: nothing to say.
    expect(lateOpenTimes({ kind: 'weekly', period: '2026-W49', planned: { remindAt: shanghai('2026-12-02T15:00'), dueAt: shanghai('2026-12-04T18:00') }, now: shanghai('2026-11-29T10:00'), tz: 'Asia/Shanghai', force: false })).toEqual({});
  });
});
