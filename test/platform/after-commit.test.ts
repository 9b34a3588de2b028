// writeOncePerEvent enqueues the jobs a write collected only after its transaction committed:
// the queue, when it takes a job, already sees the written rows from another connection. A
// refused write enqueues nothing, and a repeated delivery does not enqueue again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { JobsOptions } from 'bullmq';
import { createTestDatabase, type TestDatabase } from '../helpers/test-db.js';
import { Refusal, reply, writeOncePerEvent } from '../../src/platform/feishu/callback-answer.js';
import type { JobSink } from '../../src/platform/jobs/after-commit.js';
import type { JobName } from '../../src/platform/jobs/catalogue.js';
import { cardEventKey } from '../../src/platform/feishu/inbound-events.js';

describe('jobs after commit', () => {
  let t: TestDatabase;
  const logger = pino({ level: 'silent' });
  /** A sink that, at the moment it takes a job, looks for the event's claim from outside the transaction. */
  const taken: { name: JobName; payload: unknown; opts: JobsOptions | undefined; claimVisible: boolean }[] = [];
  let sink: JobSink;

  beforeAll(async () => {
    t = await createTestDatabase();
    sink = {
      enqueue: async (name, payload, opts) => {
        const row = await t.db.selectFrom('inbound_events').select('dedupe_key').where('dedupe_key', '=', cardEventKey('ev-1')).executeTakeFirst();
        taken.push({ name, payload, opts, claimVisible: row !== undefined });
      },
    };
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('hands the collected jobs to the queue once the write is committed, in order', async () => {
    const answer = await writeOncePerEvent({ db: t.db, logger, queues: sink }, 'ev-1', 'test', async (_trx, afterCommit) => {
      await afterCommit.enqueue('problem.notify', { problemId: 1, event: '7' }, { jobId: 'problem-7' });
      await afterCommit.enqueue('escalation.recheck', { projectId: 3 });
      expect(taken).toEqual([]);
      return reply('success', '好');
    });
    expect(answer.toast?.content).toBe('好');
    expect(taken).toEqual([
      { name: 'problem.notify', payload: { problemId: 1, event: '7' }, opts: { jobId: 'problem-7' }, claimVisible: true },
      { name: 'escalation.recheck', payload: { projectId: 3 }, opts: undefined, claimVisible: true },
    ]);
  });

  it('does not enqueue again for a repeated delivery', async () => {
    const answer = await writeOncePerEvent({ db: t.db, logger, queues: sink }, 'ev-1', 'test', async (_trx, afterCommit) => {
      await afterCommit.enqueue('escalation.recheck', { projectId: 3 });
      return reply('success', '不应执行');
    });
    expect(answer.toast?.content).toBe('好');
    expect(taken).toHaveLength(2);
  });

  it('enqueues nothing for a refused write', async () => {
    const answer = await writeOncePerEvent({ db: t.db, logger, queues: sink }, 'ev-2', 'test', async (_trx, afterCommit) => {
      await afterCommit.enqueue('escalation.recheck', { projectId: 4 });
      throw new Refusal(reply('error', '不行'), 'refused in test');
    });
    expect(answer.toast).toEqual({ type: 'error', content: '不行' });
    expect(taken).toHaveLength(2);
  });

  it('still answers when the queue refuses the jobs after the commit', async () => {
    const failing: JobSink = { enqueue: () => Promise.reject(new Error('redis down')) };
    const answer = await writeOncePerEvent({ db: t.db, logger, queues: failing }, 'ev-3', 'test', async (_trx, afterCommit) => {
      await afterCommit.enqueue('escalation.recheck', { projectId: 5 });
      return reply('success', '已提交');
    });
    expect(answer.toast?.content).toBe('已提交');
    expect(await t.db.selectFrom('inbound_events').select('dedupe_key').where('dedupe_key', '=', cardEventKey('ev-3')).executeTakeFirst()).toBeDefined();
  });
});

describe('jobs after commit while the queue is offline', () => {
  let t: TestDatabase;
  const logger = pino({ level: 'silent' });
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('answers from the committed write at once, and hands the jobs over when the queue is back', async () => {
    let release!: () => void;
    const back = new Promise<void>((resolve) => (release = resolve));
    const taken: JobName[] = [];
    let online = false;
    // Like ioredis's offline queue: the enqueue is accepted and completes once the connection returns.
    const offline: JobSink = { enqueue: async (name) => { await back; taken.push(name); }, online: () => online };
    const answer = await writeOncePerEvent({ db: t.db, logger, queues: offline }, 'ev-offline', 'test', async (_trx, afterCommit) => {
      await afterCommit.enqueue('escalation.recheck', { projectId: 6 });
      return reply('success', '已提交');
    });
    expect(answer.toast?.content).toBe('已提交');
    expect(taken).toEqual([]);
    online = true;
    release();
    await back;
    await new Promise((r) => setImmediate(r));
    expect(taken).toEqual(['escalation.recheck']);
  });

  it('waits for the enqueue while the queue is online', async () => {
    let done = false;
    const slow: JobSink = { enqueue: async () => { await new Promise((r) => setTimeout(r, 50)); done = true; }, online: () => true };
    await writeOncePerEvent({ db: t.db, logger, queues: slow }, 'ev-online', 'test', async (_trx, afterCommit) => {
      await afterCommit.enqueue('escalation.recheck', { projectId: 7 });
      return reply('success', '已提交');
    });
    expect(done).toBe(true);
  });
});
