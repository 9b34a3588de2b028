// Two service instances on one database and one set of queues, both running the scheduler and
// workers: one leads, each cycle opens once, each prompt is sent once; when the leader stops,
// the other takes over and the next step (the reminder) still happens once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/platform/app-context.js';
import { startScheduler, type SchedulerHandle } from '../../src/app/scheduler.js';
import { makePerson, makeProject } from '../helpers/factories.js';
import { drained, startCycleEnv, waitFor, type CycleEnv, type SentCard } from './cycle-env.js';

describe('two service instances', () => {
  let env: CycleEnv;
  const instances: { ctx: AppContext; scheduler: SchedulerHandle }[] = [];
  const owners: string[] = [];

  beforeAll(async () => {
    env = await startCycleEnv({ start: '2026-11-16T09:00:05' });
    for (let i = 0; i < 6; i++) {
      const mobile = `1340000000${i}`;
      const openId = env.fake.addUser({ name: `负责人${i}`, mobile });
      owners.push(openId);
      const person = await makePerson(env.db, { name: `负责人${i}`, mobile, openId });
      // Owners 0–3 have one weekly project, 4 and 5 have two.
      for (let k = 0; k < (i >= 4 ? 2 : 1); k++) {
        await makeProject(env.db, { code: `XM2I${i}${k}`, name: `双实例项目${i}-${k}`, frequency: 'weekly', ownerId: person.id });
      }
    }
  });
  afterAll(async () => {
    for (const i of instances) await i.scheduler.stop();
    await env.close();
  });

  const prompts = () => env.fake.messages({ msg_type: 'interactive' }).filter((m) => !(m.content as SentCard).header.title.content.startsWith('【'));
  const reminders = () => env.fake.messages({ msg_type: 'interactive' }).filter((m) => (m.content as SentCard).header.title.content.startsWith('【催报】'));

  it('opens the cycle once and sends each prompt once', async () => {
    const started = await Promise.all(
      [0, 1].map(async () => {
        const ctx = env.context();
        // Ticks every second here (every minute in service) so the test need not wait.
        const scheduler = await startScheduler(ctx, { cron: '* * * * * *', leaderCheckMs: 200 });
        return { ctx, scheduler };
      }),
    );
    instances.push(...started);
    await waitFor('eight prompts', () => prompts().length >= 8);
    await new Promise((r) => setTimeout(r, 1500));
    await drained(instances[0].ctx);

    expect(instances.filter((i) => i.scheduler.isLeader())).toHaveLength(1);
    expect(await env.db.selectFrom('cycles').selectAll().execute()).toEqual([expect.objectContaining({ kind: 'weekly', period_key: '2026-W47', state: 'open' })]);
    expect(prompts()).toHaveLength(8);
    expect(new Set(prompts().map((m) => m.uuid)).size).toBe(8);
    expect(prompts().filter((m) => m.receive_id === owners[4])).toHaveLength(2);
    const log = await env.db.selectFrom('outbound_messages').select(['kind', 'state']).execute();
    expect(log).toHaveLength(8);
    expect(log.every((r) => r.kind === 'prompt' && r.state === 'sent')).toBe(true);
  });

  it('hands the schedule to the other instance when the leader stops', async () => {
    const leader = instances.find((i) => i.scheduler.isLeader())!;
    const follower = instances.find((i) => i !== leader)!;
    await leader.scheduler.stop();
    expect(leader.scheduler.isLeader()).toBe(false);
    await waitFor('the follower to lead', () => follower.scheduler.isLeader(), 5000);

    env.clock.set('2026-11-18T15:00:05');
    await waitFor('eight reminders', () => reminders().length >= 8);
    await new Promise((r) => setTimeout(r, 1500));
    await drained(follower.ctx);
    expect(reminders()).toHaveLength(8);
    expect(new Set(reminders().map((m) => m.uuid)).size).toBe(8);
    const cycle = await env.db.selectFrom('cycles').selectAll().executeTakeFirstOrThrow();
    expect(cycle.reminded_at).not.toBeNull();
  });
});
