// Prompts and reminders that cannot be delivered are made visible: a prompt job BullMQ fails
// after its worker stalled too often (no processor runs to tell anyone) is reported like a
// receiver Feishu refuses for good; the admins get ONE notice listing the owners of the cycle,
// not a message per failure; and `cycle status` lists each owner with the kind and the reason
// until the notice is delivered after all.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/platform/app-context.js';
import { createCycleWithCoverage, findCycle } from '../../src/cycle/cycle.repository.js';
import { cycleStatus, formatCycleStatus } from '../../src/cycle/cycle-status.js';
import { jobIds } from '../../src/cycle/job-ids.js';
import { runTick } from '../../src/cycle/cycle-tick.js';
import { STALLED_OUT_REASON } from '../../src/cycle/send-failure-report.js';
import { createStalledOutHandler } from '../../src/app/processors.js';
import { cycleCommands } from '../../src/cli/cycle.commands.js';
import { makePerson, makeProject } from '../helpers/factories.js';
import { cycleOnlyProcessors, shanghai, startCycleEnv, waitFor, type CycleEnv } from '../cycle/cycle-env.js';

let env: CycleEnv;
let ctx: AppContext;
let adminOpenId: string;
const owners: Record<string, { id: number; openId: string }> = {};

beforeAll(async () => {
  env = await startCycleEnv({ start: '2026-11-23T09:00' });
  adminOpenId = env.fake.addUser({ name: '调度管理员', mobile: '13700000401' });
  const admin = await makePerson(env.db, { name: '调度管理员', mobile: '13700000401', openId: adminOpenId });
  await env.db.insertInto('person_grants').values({ person_id: admin.id, role: 'admin', project_id: null, granted_by: 'test' }).execute();
  for (const [i, name] of ['甲', '乙', '丙', '丁'].entries()) {
    const mobile = `1370000041${i}`;
    // 甲 and 乙 have resigned: Feishu refuses every send to them (230013).
    const openId = env.fake.addUser({ name: `负责人${name}`, mobile, resigned: name === '甲' || name === '乙' });
    const p = await makePerson(env.db, { name: `负责人${name}`, mobile, openId });
    await makeProject(env.db, { code: `XMUD${i}`, name: `${name}项目`, frequency: 'weekly', ownerId: p.id });
    owners[name] = { id: p.id, openId };
  }
}, 60_000);

afterAll(async () => {
  await env?.close();
});

describe('prompts that cannot be delivered', () => {
  it('are listed to the admins in one notice, a job given up after stalling among them, and by cycle status with the reason', async () => {
    const at = shanghai('2026-11-23T09:00');
    const { cycle } = await createCycleWithCoverage(env.db, { kind: 'weekly', periodKey: '2026-W48', openAt: at, remindAt: at, dueAt: shanghai('2026-11-27T18:00'), openedAt: at });
    ctx = env.context({ workers: false });
    // 丙's job as BullMQ's stalled check leaves it after the last stall it allows: failed when next taken, unrun.
    const stalled = jobIds.prompt(cycle.id, owners['丙'].id);
    await ctx.queues.enqueue('prompt.send', { cycleId: cycle.id, ownerId: owners['丙'].id }, { jobId: stalled });
    await ctx.redis.hset(`${env.prefix}:outbound:${stalled}`, 'defa', STALLED_OUT_REASON);
    for (const n of ['甲', '乙', '丁']) await ctx.queues.enqueue('prompt.send', { cycleId: cycle.id, ownerId: owners[n].id }, { jobId: jobIds.prompt(cycle.id, owners[n].id) });
    ctx.queues.startWorkers(cycleOnlyProcessors(ctx), { onStalledOut: createStalledOutHandler(ctx) });

    await waitFor('丁’s card', () => env.fake.messages({ receive_id: owners['丁'].openId, msg_type: 'interactive' }).length === 1, 30_000);
    const noticeOf = () => env.fake.messages({ receive_id: adminOpenId }).map((m) => JSON.stringify(m.content));
    await waitFor('the admin notice', () => noticeOf().length > 0, 30_000);
    // Whatever is given up later would come as another notice; wait out the window once more.
    await waitFor('the failure jobs to finish', async () => (await ctx.queues.queue('outbound').getJobCounts('waiting', 'active', 'delayed')).delayed === 0, 30_000);
    const notices = noticeOf();
    expect(notices).toHaveLength(1);
    for (const n of ['甲', '乙', '丙']) expect(notices[0]).toContain(`负责人${n}（填报通知）`);
    expect(notices[0]).not.toContain('负责人丁');
    expect(notices[0]).toMatch(/230013/);
    expect(notices[0]).toContain('多次中断');
    expect(await (await ctx.queues.queue('outbound').getJob(stalled))?.isFailed()).toBe(true);

    const status = await cycleStatus(env.db, (await findCycle(env.db, cycle.id))!);
    expect(status.undelivered.map((u) => [u.name, u.kind])).toEqual([['负责人丙', 'prompt'], ['负责人乙', 'prompt'], ['负责人甲', 'prompt']].sort((a, b) => a[0].localeCompare(b[0])));
    expect(status.undelivered.find((u) => u.name === '负责人丙')?.reason).toContain('多次中断');
    expect(status.undelivered.find((u) => u.name === '负责人甲')?.reason).toMatch(/230013/);
    const shown = formatCycleStatus(status, 'Asia/Shanghai').join('\n');
    expect(shown).toMatch(/未能送达.*\n(.*\n)*\s+负责人丙：填报通知未送达（发送任务多次中断/);
  });

  it('a reminder refused for good is listed by cycle status, and an owner reached since is not', async () => {
    const cycle = (await env.db.selectFrom('cycles').selectAll().where('period_key', '=', '2026-W48').executeTakeFirstOrThrow());
    await ctx.queues.enqueue('reminder.send', { cycleId: cycle.id, ownerId: owners['乙'].id, final: false }, { jobId: jobIds.reminder(cycle.id, owners['乙'].id, false) });
    await waitFor('乙’s reminder to be listed', async () => (await cycleStatus(env.db, cycle)).undelivered.some((u) => u.name === '负责人乙' && u.kind === 'reminder'), 30_000);
    // 丙's prompt goes out after all (the recovery tick or `cycle resend`): no longer listed.
    await ctx.queues.queue('outbound').getJob(jobIds.prompt(cycle.id, owners['丙'].id)).then((j) => j?.remove());
    await ctx.queues.enqueue('prompt.send', { cycleId: cycle.id, ownerId: owners['丙'].id }, { jobId: jobIds.prompt(cycle.id, owners['丙'].id) });
    await waitFor('丙’s card', () => env.fake.messages({ receive_id: owners['丙'].openId, msg_type: 'interactive' }).length === 1, 30_000);
    // Recorded as sent once the job has finished.
    await waitFor('丙’s job', async () => (await ctx.queues.queue('outbound').getJob(jobIds.prompt(cycle.id, owners['丙'].id)))?.isCompleted() ?? false, 30_000);
    const status = await cycleStatus(env.db, cycle);
    expect(status.undelivered.map((u) => `${u.name}/${u.kind}`).sort()).toEqual(['负责人乙/prompt', '负责人乙/reminder', '负责人甲/prompt']);
    expect(formatCycleStatus(status, 'Asia/Shanghai').join('\n')).toMatch(/负责人乙：催报提醒未送达（.*230013/);
    await waitFor('the second notice', () => env.fake.messages({ receive_id: adminOpenId }).length === 2, 30_000);
    expect(JSON.stringify(env.fake.messages({ receive_id: adminOpenId })[1].content)).toContain('负责人乙（催报提醒）');
  });

  it('a give-up whose notice was missed (recorded as the last notice finished) is listed after the next tick', async () => {
    const cycle = (await env.db.selectFrom('cycles').selectAll().where('period_key', '=', '2026-W48').executeTakeFirstOrThrow());
    await waitFor('no notice job pending', async () => (await ctx.queues.queue('outbound').getJobCounts('waiting', 'active', 'delayed')).delayed === 0, 30_000);
    const before = env.fake.messages({ receive_id: adminOpenId }).length;
    // Recorded a minute ago with no notice scheduled: what the race between a give-up and a finishing notice leaves.
    await env.db.insertInto('delivery_failures').values({ cycle_id: cycle.id, person_id: owners['丁'].id, kind: 'final-reminder', reason: '230013 测试', failed_at: new Date(Date.now() - 60_000), notified_at: null }).execute();
    await runTick(ctx, 'weekly', 'open');
    await waitFor('the missed notice', () => env.fake.messages({ receive_id: adminOpenId }).length === before + 1, 30_000);
    expect(JSON.stringify(env.fake.messages({ receive_id: adminOpenId })[before].content)).toContain('负责人丁（截止提醒）');
    await runTick(ctx, 'weekly', 'open');
    await waitFor('no notice job pending', async () => (await ctx.queues.queue('outbound').getJobCounts('waiting', 'active', 'delayed')).delayed === 0, 30_000);
    expect(env.fake.messages({ receive_id: adminOpenId })).toHaveLength(before + 1);
  });

  it('a batch of the open’s prompts given up after stalling is reported owner by owner, and a reminder as one to resend', async () => {
    const at = shanghai('2026-11-30T09:00');
    const { cycle } = await createCycleWithCoverage(env.db, { kind: 'weekly', periodKey: '2026-W49', openAt: at, remindAt: at, dueAt: shanghai('2026-12-04T18:00'), openedAt: at });
    const batch = [owners['丙'].id, owners['丁'].id];
    const jobId = jobIds.promptBatch(cycle.id, 2, 0);
    // Delayed, so the running worker takes it only after it is marked as BullMQ marks a job stalled too often.
    await ctx.queues.enqueue('prompt.batch', { cycleId: cycle.id, ownerIds: batch }, { jobId, delay: 1000 });
    await ctx.redis.hset(`${env.prefix}:outbound:${jobId}`, 'defa', STALLED_OUT_REASON);
    const reminderId = jobIds.reminder(cycle.id, owners['甲'].id, false);
    await ctx.queues.enqueue('reminder.send', { cycleId: cycle.id, ownerId: owners['甲'].id, final: false }, { jobId: reminderId, delay: 1000 });
    await ctx.redis.hset(`${env.prefix}:outbound:${reminderId}`, 'defa', STALLED_OUT_REASON);
    const undelivered = async () => (await cycleStatus(env.db, (await findCycle(env.db, cycle.id))!)).undelivered;
    await waitFor('both owners of the batch and the reminder listed', async () => (await undelivered()).length === 3, 30_000);
    const listed = await undelivered();
    expect(listed.map((u) => [u.name, u.kind]).sort()).toEqual([['负责人丁', 'prompt'], ['负责人丙', 'prompt'], ['负责人甲', 'reminder']].sort());
    for (const u of listed) expect(u.reason).toContain('多次中断');
    // The recovery tick prompts again by itself; a reminder waits for `cycle resend`.
    for (const u of listed) expect(u.reason).toContain(u.kind === 'prompt' ? '自动重发填报通知' : 'cycle resend');
    expect(await (await ctx.queues.queue('outbound').getJob(jobId))?.isFailed()).toBe(true);
  }, 60_000);

  it('`cycle resend` sends a refused reminder again, with the prompt, once the owner can be reached', async () => {
    const cycle = (await env.db.selectFrom('cycles').selectAll().where('period_key', '=', '2026-W48').executeTakeFirstOrThrow());
    const cardsOf = (openId: string) => env.fake.messages({ receive_id: openId, msg_type: 'interactive' }).map((m) => JSON.stringify(m.content));
    // 乙 is back in the app's scope; 甲 is still refused.
    env.fake.findUser({ open_id: owners['乙'].openId })!.resigned = false;
    const out: string[] = [];
    const code = await cycleCommands.find((c) => c.name === 'cycle resend')!.run(['--kind', 'weekly', '--period', '2026-W48'], ctx, { out: (l) => out.push(l), err: (l) => out.push(l) });
    expect(code).toBe(0);
    expect(out[0]).toContain('负责人乙（填报通知）');
    expect(out[0]).toContain('负责人乙（催报提醒）');
    expect(out[0]).toContain('负责人甲（填报通知）');
    await waitFor('乙’s prompt and reminder', () => cardsOf(owners['乙'].openId).length === 2, 30_000);
    // Sent by two jobs, in either order: one prompt, one reminder (【催报】).
    expect(cardsOf(owners['乙'].openId).map((c) => c.includes('【催报】')).sort()).toEqual([false, true]);
    await waitFor('乙 no longer listed', async () => {
      const listed = (await cycleStatus(env.db, cycle)).undelivered.map((u) => `${u.name}/${u.kind}`);
      return !listed.some((l) => l.startsWith('负责人乙'));
    }, 30_000);
    expect((await cycleStatus(env.db, cycle)).undelivered.map((u) => `${u.name}/${u.kind}`)).toContain('负责人甲/prompt');
  }, 60_000);
});
