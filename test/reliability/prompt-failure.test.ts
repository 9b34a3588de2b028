// Finding 2: a prompt Feishu refuses for good is reported to the admins, shown in `cycle status`
// and can be re-sent (`cycle resend`); an unknown-code 429 is retried; and the recovery tick
// retries owners whose prompt failed for a passing reason, but not those refused for good.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/platform/app-context.js';
import { cycleCommands } from '../../src/cli/cycle.commands.js';
import { openCycle, promptUnpromptedOwners, PROMPT_RECOVERY_GRACE_MS } from '../../src/cycle/cycle.service.js';
import { createCycleWithCoverage, findCycle } from '../../src/cycle/cycle.repository.js';
import { cycleStatus } from '../../src/cycle/cycle-status.js';
import { sendOwnerPrompts } from '../../src/cycle/prompt.service.js';
import { jobIds } from '../../src/cycle/job-ids.js';
import { makePerson, makeProject } from '../helpers/factories.js';
import { drained, shanghai, startCycleEnv, waitFor, type CycleEnv } from '../cycle/cycle-env.js';

describe('prompts that fail', () => {
  let env: CycleEnv;
  let ctx: AppContext;
  let adminOpenId: string;
  const owners: Record<string, { id: number; openId: string }> = {};
  const sendPath = { method: 'POST', path: '/open-apis/im/v1/messages' };
  const cards = (openId: string) => env.fake.messages({ receive_id: openId, msg_type: 'interactive' });
  const cli = async (name: string, args: string[]) => {
    const out: string[] = [];
    const code = await cycleCommands.find((c) => c.name === name)!.run(args, ctx, { out: (l) => out.push(l), err: (l) => out.push(l) });
    return { code, out };
  };

  beforeAll(async () => {
    env = await startCycleEnv({ start: '2026-11-16T09:00:30' });
    ctx = env.context();
    adminOpenId = env.fake.addUser({ name: '调度管理员', mobile: '13700000101' });
    const admin = await makePerson(env.db, { name: '调度管理员', mobile: '13700000101', openId: adminOpenId });
    await env.db.insertInto('person_grants').values({ person_id: admin.id, role: 'admin', project_id: null, granted_by: 'test' }).execute();
    for (const [i, name] of ['甲', '乙', '丙', '丁'].entries()) {
      const mobile = `1370000020${i}`;
      const openId = env.fake.addUser({ name: `负责人${name}`, mobile, resigned: name === '丙' });
      const p = await makePerson(env.db, { name: `负责人${name}`, mobile, openId });
      await makeProject(env.db, { code: `XMPF${i}`, name: `${name}项目`, frequency: 'weekly', ownerId: p.id });
      owners[name] = { id: p.id, openId };
    }
  }, 60_000);
  afterAll(async () => {
    await env?.close();
  });

  it('retries a 429 with an unknown code, and reports a receiver refused for good to the admins and in the status', async () => {
    env.fake.injectFault({ match: sendPath, kind: 'code', status: 429, code: 123456, times: 6 });
    const { cycle } = await openCycle(ctx, 'weekly', '2026-W47');
    for (const n of ['甲', '乙', '丁']) await waitFor(`${n}'s card`, () => cards(owners[n].openId).length === 1, 30_000);
    await waitFor('the admin notice', () => env.fake.messages({ receive_id: adminOpenId }).length === 1, 30_000);
    const notice = JSON.stringify(env.fake.messages({ receive_id: adminOpenId })[0].content);
    expect(notice).toContain('负责人丙');
    expect(notice).toContain('cycle resend');
    await drained(ctx);

    const status = await cycleStatus(env.db, (await findCycle(env.db, cycle.id))!);
    expect(status.failedPrompts.map((f) => f.name)).toEqual(['负责人丙']);
    expect(status.failedPrompts[0].error).toMatch(/230013/);
    const shown = await cli('cycle status', ['--kind', 'weekly']);
    expect(shown.out.join('\n')).toMatch(/发送失败.*cycle resend.*\n.*负责人丙：飞书拒收/s);
  });

  it('`cycle resend` sends it once the receiver can be reached, and nothing twice', async () => {
    env.fake.findUser({ open_id: owners['丙'].openId })!.resigned = false;
    const r = await cli('cycle resend', ['--kind', 'weekly', '--inline']);
    expect(r.code).toBe(0);
    expect(r.out.join('\n')).toContain('负责人丙');
    expect(cards(owners['丙'].openId)).toHaveLength(1);
    await drained(ctx);
    for (const n of ['甲', '乙', '丙', '丁']) expect(cards(owners[n].openId)).toHaveLength(1);
    const cycle = (await cli('cycle status', ['--kind', 'weekly', '--json'])).out.join('\n');
    expect(JSON.parse(cycle).failedPrompts).toEqual([]);
  });

  it('the recovery tick retries a prompt that failed for a passing reason, not one refused for good', async () => {
    const at = shanghai('2026-11-23T09:00');
    const { cycle } = await createCycleWithCoverage(env.db, { kind: 'weekly', periodKey: '2026-W48', openAt: at, remindAt: at, dueAt: shanghai('2026-11-27T18:00'), openedAt: at });
    // 甲's send fails with 5xx until its attempts are spent; 丙 has resigned again: refused for good.
    const fault = env.fake.injectFault({ match: sendPath, kind: 'status', status: 503 });
    await expect(sendOwnerPrompts(ctx, cycle.id, owners['甲'].id)).rejects.toThrow();
    env.fake.removeFault(fault);
    env.fake.findUser({ open_id: owners['丙'].openId })!.resigned = true;
    await expect(sendOwnerPrompts(ctx, cycle.id, owners['丙'].id)).rejects.toThrow(/230013/);

    env.clock.set('2026-11-23T09:10');
    expect(Date.now() > 0 && env.clock.now().getTime() - at.getTime()).toBeGreaterThan(PROMPT_RECOVERY_GRACE_MS);
    const ids = await promptUnpromptedOwners(ctx, 'weekly');
    expect(ids).toContain(jobIds.prompt(cycle.id, owners['甲'].id));
    expect(ids).not.toContain(jobIds.prompt(cycle.id, owners['丙'].id));
    await drained(ctx);
    const inW48 = (openId: string) => cards(openId).filter((m) => JSON.stringify(m.content).includes('第48周')).length;
    expect(inW48(owners['甲'].openId)).toBe(1);
    expect(inW48(owners['丙'].openId)).toBe(0);
    // A second tick changes nothing: 丙 is not retried for ever.
    expect(await promptUnpromptedOwners(ctx, 'weekly')).toEqual([]);
  });
});
