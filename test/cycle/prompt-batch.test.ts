// The open's prompts in jobs of several owners (prompt.batch) at a raised send rate: one job per
// bucket of owner ids, every card once, and one owner's failure kept to that owner — refused for
// good: recorded as given up; failed for a passing reason: handed to a job of its own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/platform/app-context.js';
import { openCycle, promptUnpromptedOwners } from '../../src/cycle/cycle.service.js';
import { jobIds, promptBatchOwners, promptBucket } from '../../src/cycle/job-ids.js';
import { makePerson, makeProject } from '../helpers/factories.js';
import { drained, startCycleEnv, type CycleEnv } from './cycle-env.js';

describe('prompts in batches of owners', () => {
  let env: CycleEnv;
  let ctx: AppContext;
  const owners: { id: number; openId: string; projects: number }[] = [];
  const cards = (receiveId: string) => env.fake.messages({ receive_id: receiveId, msg_type: 'interactive' });

  beforeAll(async () => {
    env = await startCycleEnv({ start: '2026-11-23T09:00:30', env: { SEND_RATE_PER_SECOND: '500', SEND_RATE_PER_MINUTE: '10000', LARK_RETRY_ATTEMPTS: '1' } });
    ctx = env.context({ workers: false });
    for (let i = 0; i < 12; i++) {
      const mobile = `1340000${String(i).padStart(4, '0')}`;
      const openId = env.fake.addUser({ name: `批量负责人${i}`, mobile });
      const person = await makePerson(env.db, { name: `批量负责人${i}`, mobile, openId });
      const n = 1 + (i % 3);
      for (let k = 1; k <= n; k++) await makeProject(env.db, { code: `XMBAT${i}-${k}`, name: `批量项目${i}-${k}`, frequency: 'weekly', ownerId: person.id });
      owners.push({ id: person.id, openId, projects: n });
    }
  });
  afterAll(async () => {
    await env.close();
  });

  it('sends every owner’s cards once from one job per bucket, an owner refused for good recorded, one failing for a while handed its own job', async () => {
    // One owner has left the company (refused for good); one send answers 503 once (a passing
    // failure; the client here tries each call once, so the job sees it).
    const refused = owners[4];
    env.fake.findUser({ open_id: refused.openId })!.resigned = true;
    env.fake.injectFault({ match: { method: 'POST', path: '/open-apis/im/v1/messages' }, kind: 'status', status: 503, times: 1 });

    const { cycle } = await openCycle(ctx, 'weekly', '2026-W48');
    const size = promptBatchOwners(500);
    expect(size).toBeGreaterThan(1);
    const queue = ctx.queues.queue('outbound');
    const buckets = [...new Set(owners.map((o) => promptBucket(o.id, size)))];
    const queued = await queue.getJobs(['waiting', 'delayed', 'active', 'prioritized']);
    // One job per bucket, not one per owner.
    expect(queued.map((j) => j.id).sort()).toEqual(buckets.map((b) => jobIds.promptBatch(cycle.id, size, b)).sort());
    expect(queued.length).toBeLessThan(owners.length);
    // Not yet run: the recovery tick leaves their owners to them.
    env.clock.advance(10 * 60_000);
    expect(await promptUnpromptedOwners(ctx, 'weekly')).toEqual([]);

    env.context();
    await drained(ctx);
    for (const o of owners) expect(cards(o.openId)).toHaveLength(o === refused ? 0 : o.projects);
    const given = await env.db.selectFrom('delivery_failures').select(['person_id', 'kind']).where('cycle_id', '=', cycle.id).execute();
    expect(given).toEqual([{ person_id: refused.id, kind: 'prompt' }]);
    // The 503's owner went on in a job of its own, and only that owner.
    const own = (await Promise.all(owners.map(async (o) => ((await queue.getJob(jobIds.prompt(cycle.id, o.id))) ? o : undefined)))).filter((o) => o !== undefined);
    expect(own).toHaveLength(1);
    // Each card reached Feishu accepted once.
    const accepted = env.fake.requests().filter((r) => r.path === '/open-apis/im/v1/messages' && r.status === 200 && r.code === 0);
    expect(accepted).toHaveLength(owners.filter((o) => o !== refused).reduce((n, o) => n + o.projects, 0));
  });
});
