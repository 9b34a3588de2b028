// Stopping workers is bounded: a job that never finishes (in production, one waiting on a Redis
// command queued while Redis is unreachable) holds a worker's graceful close for at most the
// shutdown grace period, twice over; its connections are cut, and another worker runs the job
// again once its lock lapses (every job is idempotent).
import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import pino from 'pino';
import { QueueRegistry, type Processors } from '../../src/platform/jobs/queue-registry.js';
import { jobCatalogue, type JobName } from '../../src/platform/jobs/catalogue.js';
import { deleteRedisKeys, uniqueQueuePrefix } from '../helpers/test-db.js';
import { testRedisUrl } from '../helpers/services.js';
import { waitFor } from '../cycle/cycle-env.js';

const prefix = uniqueQueuePrefix();
const connections: Redis[] = [];
const registries: QueueRegistry[] = [];

afterAll(async () => {
  for (const r of registries) await r.close().catch(() => undefined);
  for (const c of connections) c.disconnect();
  await deleteRedisKeys(prefix);
});

function registry(lines: { msg: string }[]): QueueRegistry {
  const redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
  connections.push(redis);
  const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as { msg: string }) });
  const r = new QueueRegistry(redis, prefix, logger, { attempts: 3, backoffMs: 100 }, 300);
  registries.push(r);
  return r;
}

function processorsFor(recheck: (projectId: number) => Promise<void>): Processors {
  const all = Object.fromEntries((Object.keys(jobCatalogue) as JobName[]).map((n) => [n, async () => undefined])) as unknown as Processors;
  all['escalation.recheck'] = async (p) => recheck(p.projectId);
  return all;
}

describe('stopping workers', () => {
  it('stops within its grace period while a job hangs, and the job runs again elsewhere', async () => {
    const firstLog: { msg: string }[] = [];
    const first = registry(firstLog);
    let started = false;
    first.startWorkers(processorsFor(() => {
      started = true;
      return new Promise<void>(() => undefined);
    }), { lockMs: 1000 });
    await first.enqueue('escalation.recheck', { projectId: 42 }, { jobId: 'hung-recheck' });
    await waitFor('the job to start', () => started, 60_000);

    await first.close();
    expect(firstLog.map((l) => l.msg)).toContain('workers still busy after the shutdown grace period; cutting their connections');

    const ran: number[] = [];
    const second = registry([]);
    second.startWorkers(processorsFor(async (id) => void ran.push(id)), { lockMs: 1000 });
    await waitFor('the job to run again on the second worker', () => ran.length > 0, 60_000);
    expect(ran).toEqual([42]);
  }, 120_000);
});
