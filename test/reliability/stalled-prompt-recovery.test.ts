// (b) A prompt whose worker died in the middle of its send leaves an outbound row 'pending' (the
// send's outcome never recorded). If BullMQ then gives the job up (stalled more than its bound)
// nothing runs it again and the owner is never prompted: the recovery tick looked only at owners
// without a row or with a 'failed' one. It must treat an unfinished row like a passing failure.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnrecoverableError, Worker } from 'bullmq';
import { promptUnpromptedOwners } from '../../src/cycle/cycle.service.js';
import { createCycleWithCoverage } from '../../src/cycle/cycle.repository.js';
import { jobIds, messageKeys } from '../../src/cycle/job-ids.js';
import { messageUuid } from '../../src/platform/feishu/outbound.js';
import { makePerson, makeProject } from '../helpers/factories.js';
import { drained, shanghai, startCycleEnv, waitFor, type CycleEnv } from '../cycle/cycle-env.js';

let env: CycleEnv;
beforeAll(async () => {
  env = await startCycleEnv({ start: '2026-11-23T09:00' });
}, 60_000);
afterAll(async () => {
  await env?.close();
});

describe('a prompt job given up after its worker died mid-send', () => {
  it('is sent by the recovery tick', async () => {
    const openId = env.fake.addUser({ name: '负责人戊', mobile: '13700000301' });
    const owner = await makePerson(env.db, { name: '负责人戊', mobile: '13700000301', openId });
    const project = await makeProject(env.db, { code: 'XMSTALL1', name: '戊项目', frequency: 'weekly', ownerId: owner.id });
    const at = shanghai('2026-11-23T09:00');
    const { cycle } = await createCycleWithCoverage(env.db, { kind: 'weekly', periodKey: '2026-W48', openAt: at, remindAt: at, dueAt: shanghai('2026-11-27T18:00'), openedAt: at });

    // What a worker killed mid-send leaves, and BullMQ's giving up on the job afterwards.
    const key = messageKeys.prompt(cycle.id, project.id);
    await env.db
      .insertInto('outbound_messages')
      .values({ uuid: messageUuid(key), kind: 'prompt', receive_id: openId, receive_id_type: 'open_id', person_id: owner.id, project_id: project.id, cycle_id: cycle.id, message_id: null, last_error: null, sent_at: null, attempts: 1 })
      .execute();
    const quiet = env.context({ workers: false });
    const jobId = jobIds.prompt(cycle.id, owner.id);
    await quiet.queues.enqueue('prompt.send', { cycleId: cycle.id, ownerId: owner.id }, { jobId });
    const giveUp = new Worker('outbound', async () => {
      throw new UnrecoverableError('job stalled more than allowable limit');
    }, { connection: quiet.redis.duplicate({ maxRetriesPerRequest: null }), prefix: env.prefix });
    await waitFor('the job to fail', async () => (await quiet.queues.queue('outbound').getJob(jobId))?.failedReason !== undefined, 20_000);
    await giveUp.close();
    await giveUp.disconnect();

    const ctx = env.context();
    env.clock.set('2026-11-23T09:10');
    expect(await promptUnpromptedOwners(ctx, 'weekly')).toEqual([jobId]);
    await drained(ctx);
    expect(env.fake.messages({ receive_id: openId, msg_type: 'interactive' })).toHaveLength(1);
    expect(await promptUnpromptedOwners(ctx, 'weekly')).toEqual([]);
  });
});
