// The cycle commands run by hand with no worker running: they call the same service functions
// as the scheduled jobs, say that the queued messages wait for a worker, and with --inline send
// them from the CLI process — without sending twice when a worker later runs the queued jobs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/platform/app-context.js';
import { cycleCommands } from '../../src/cli/cycle.commands.js';
import { makePerson, makeProject } from '../helpers/factories.js';
import { drained, startCycleEnv, type CycleEnv } from './cycle-env.js';

describe('cycle commands', () => {
  let env: CycleEnv;
  let ctx: AppContext;

  const cli = async (name: string, args: string[]) => {
    const out: string[] = [];
    const code = await cycleCommands.find((c) => c.name === name)!.run(args, ctx, { out: (l) => out.push(l), err: (l) => out.push(l) });
    return { code, out };
  };
  const cards = () => env.fake.messages({ msg_type: 'interactive' });

  beforeAll(async () => {
    env = await startCycleEnv({ start: '2026-11-17T10:00' });
    ctx = env.context({ workers: false });
    for (let i = 0; i < 3; i++) {
      const mobile = `1330000000${i}`;
      const openId = env.fake.addUser({ name: `手工${i}`, mobile });
      const person = await makePerson(env.db, { name: `手工${i}`, mobile, openId });
      await makeProject(env.db, { code: `XMCLI${i}`, name: `命令行项目${i}`, region: '东城区', frequency: 'monthly', ownerId: person.id });
    }
  });
  afterAll(async () => {
    await env.close();
  });

  it('opens a cycle by hand and says the prompts wait for a worker', async () => {
    const { code, out } = await cli('cycle open', ['--kind', 'monthly', '--period', '2026-11']);
    expect(code).toBe(0);
    expect(out).toEqual([
      expect.stringMatching(/^已开启 月调度 2026-11 2026年11月（编号 \d+）$/),
      '开启 11月20日（周五）09:00 · 催报 11月23日（周一）15:00 · 截止 11月25日（周三）18:00',
      '覆盖 3 个项目、3 名负责人；未匹配飞书账号的负责人 0 名，无负责人的项目 0 个',
      '填报通知任务已入队 3 个（每名负责人一个）。',
      '注意：当前没有运行中的 worker，消息已入队，将在服务（worker）启动后发送；如需立即从本机发送，请加 --inline。',
    ]);
    expect(cards()).toHaveLength(0);
  });

  it('sends from the CLI with --inline, and a worker started later sends nothing twice', async () => {
    const { out } = await cli('cycle open', ['--kind', 'monthly', '--period', '2026-11', '--inline']);
    expect(out[0]).toMatch(/^此前已开启 月调度 2026-11/);
    expect(out).toContain('本机发送 3 条，此前已发 0 条，未匹配飞书账号跳过 0 人');
    expect(cards()).toHaveLength(3);

    const worker = env.context();
    await drained(worker);
    expect(cards()).toHaveLength(3);
    await worker.close();

    const remind = await cli('cycle remind', ['--kind', 'monthly', '--inline']);
    expect(remind.out[0]).toMatch(/催报任务已入队 3 个/);
    expect(remind.out).toContain('本机发送 3 条，此前已发 0 条，未匹配飞书账号跳过 0 人');
    const later = env.context();
    await drained(later);
    expect(cards()).toHaveLength(6);
    const sent = await env.db.selectFrom('outbound_messages').select(['kind', 'attempts']).execute();
    expect(sent.map((r) => `${r.kind}:${r.attempts}`).sort()).toEqual([...Array(3).fill('prompt:1'), ...Array(3).fill('reminder:1')]);
  });

  it('refuses a missing or wrong kind and an unknown period in Chinese', async () => {
    await expect(cli('cycle open', [])).rejects.toMatchObject({ userMessage: expect.stringContaining('--kind weekly') });
    await expect(cli('cycle close', ['--kind', 'daily'])).rejects.toMatchObject({ userMessage: expect.stringContaining('不是“daily”') });
    await expect(cli('cycle status', ['--kind', 'weekly', '--period', '2026-W47'])).rejects.toMatchObject({ userMessage: '周调度 2026-W47 尚未开启' });
    await expect(cli('cycle open', ['--kind', 'weekly', '--period', '2026-11'])).rejects.toMatchObject({ code: 'VALIDATION' });
  });
});
