// One queue registry: creates the BullMQ queues, validates payloads on the way in and out,
// and refuses to start workers unless every catalogued job has exactly one processor.
import { Queue, Worker, UnrecoverableError, type Job, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { jobCatalogue, QUEUE_NAMES, type JobName, type JobPayload, type QueueName } from './catalogue.js';
import { withLogContext } from '../../logger.js';
import { isAppError } from '../../errors.js';
import { throttledErrorLog } from './connection-errors.js';

export type Processor<N extends JobName> = (payload: JobPayload<N>, job: Job) => Promise<unknown>;
export type Processors = { [N in JobName]: Processor<N> };
/** Told of a job BullMQ failed without running it, its worker having stalled too often. */
export type StalledOutHandler = (name: JobName, data: unknown, reason: string) => Promise<void>;

/** How often a failing job runs in all, and the first wait before its next run (doubling after). */
export type JobRetry = { attempts: number; backoffMs: number };
const DEFAULT_JOB_RETRY: JobRetry = { attempts: 8, backoffMs: 1000 };

function defaultJobOpts(retry: JobRetry): JobsOptions {
  return {
    attempts: retry.attempts,
    backoff: { type: 'exponential', delay: retry.backoffMs },
    removeOnComplete: { age: 24 * 3600, count: 10_000 },
    removeOnFail: { age: 14 * 24 * 3600 },
  };
}

/** How many times a job may be taken back from a dead worker before it is failed. */
export const MAX_STALLED_COUNT = 10;

/**
 * BullMQ still accepts some ids with ':' for old repeatable jobs but means to refuse them all
 * (job.js, "Custom Id cannot contain :"); refusing them here keeps every id valid after that change.
 */
function checkJobId(id: string): void {
  if (id.includes(':')) throw new Error(`job id must not contain ':': ${id}`);
}

export class QueueRegistry {
  private readonly queues = new Map<QueueName, Queue>();
  private readonly workers: Worker[] = [];
  private readonly workerConnections: Redis[] = [];

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly logger: Logger,
    private readonly retry: JobRetry = DEFAULT_JOB_RETRY,
    private readonly shutdownGraceMs = 10_000,
  ) {}

  queue(name: QueueName): Queue {
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: this.redis, prefix: this.prefix, defaultJobOptions: defaultJobOpts(this.retry) });
      q.on('error', throttledErrorLog(this.logger, `queue ${name}`));
      this.queues.set(name, q);
    }
    return q;
  }

  /**
   * Enqueues a job. A `jobId` makes the enqueue idempotent: BullMQ keeps one job per id,
   * so a repeated open or a restarted worker cannot enqueue the same prompt twice.
   */
  async enqueue<N extends JobName>(name: N, payload: JobPayload<N>, opts: JobsOptions = {}): Promise<void> {
    const spec = jobCatalogue[name];
    const data = spec.payload.parse(payload);
    if (opts.jobId !== undefined) checkJobId(opts.jobId);
    await this.queue(spec.queue).add(name, data, opts);
  }

  online(): boolean {
    return this.redis.status === 'ready';
  }

  async enqueueBulk<N extends JobName>(name: N, items: { payload: JobPayload<N>; jobId: string }[]): Promise<void> {
    const spec = jobCatalogue[name];
    const q = this.queue(spec.queue);
    items.forEach((it) => checkJobId(it.jobId));
    for (let i = 0; i < items.length; i += 500) {
      await q.addBulk(items.slice(i, i + 500).map((it) => ({ name, data: spec.payload.parse(it.payload), opts: { jobId: it.jobId } })));
    }
  }

  /**
   * Starts one worker per queue. Throws if any catalogued job lacks a processor.
   * `lockMs`: how long a job stays claimed by a worker that stopped renewing it (a killed
   * process) before the stalled check hands it to another; BullMQ's 30 s unless told. Tests that
   * kill workers shorten it (the check runs every half of it) so they need not wait it out.
   */
  startWorkers(processors: Partial<Processors>, opts: { concurrency?: Partial<Record<QueueName, number>>; lockMs?: number; onStalledOut?: StalledOutHandler } = {}): void {
    const missing = (Object.keys(jobCatalogue) as JobName[]).filter((n) => typeof processors[n] !== 'function');
    if (missing.length) throw new Error(`no processor for jobs: ${missing.join(', ')}`);
    for (const queueName of QUEUE_NAMES) {
      const connection = this.redis.duplicate({ maxRetriesPerRequest: null });
      connection.on('error', throttledErrorLog(this.logger, `redis (worker ${queueName})`));
      this.workerConnections.push(connection);
      const worker = new Worker(
        queueName,
        async (job: Job) => {
          const name = job.name as JobName;
          const spec = jobCatalogue[name];
          if (!spec) throw new UnrecoverableError(`unknown job ${job.name}`);
          const parsed = spec.payload.safeParse(job.data);
          if (!parsed.success) throw new UnrecoverableError(`bad payload for ${name}: ${parsed.error.message}`);
          return withLogContext({ jobId: job.id, job: name }, async () => {
            try {
              return await (processors[name] as Processor<typeof name>)(parsed.data, job);
            } catch (e) {
              // Permanent failures (bad data, Feishu says no) must not be retried eight times.
              if (isAppError(e) && !e.retryable) throw new UnrecoverableError(`${e.code}: ${e.message}`);
              throw e;
            }
          });
        },
        {
          connection,
          prefix: this.prefix,
          concurrency: opts.concurrency?.[queueName] ?? (queueName === 'outbound' ? 20 : 4),
          // A job held by a worker that died (SIGKILL, OOM, a deploy) is run again: every job is
          // idempotent. BullMQ's default (1) fails a job on its second such stall without running
          // it — a crash loop or two deploys in a row lost the prompts in flight. The bound still
          // stops a job that itself kills every worker that takes it.
          maxStalledCount: MAX_STALLED_COUNT,
          ...(opts.lockMs ? { lockDuration: opts.lockMs, stalledInterval: Math.max(500, Math.floor(opts.lockMs / 2)) } : {}),
        },
      );
      worker.on('failed', (job, err) => {
        this.logger.warn({ jobId: job?.id, job: job?.name, attempts: job?.attemptsMade, err: err.message }, 'job failed');
        // Failed without its processor running (stalled too often): only this event knows.
        if (job?.deferredFailure && opts.onStalledOut && job.name in jobCatalogue) {
          opts.onStalledOut(job.name as JobName, job.data, job.deferredFailure).catch((e: unknown) =>
            this.logger.error({ jobId: job.id, job: job.name, err: (e as Error).message }, 'could not report a job given up after stalling'),
          );
        }
      });
      worker.on('error', throttledErrorLog(this.logger, `worker ${queueName}`));
      this.workers.push(worker);
    }
  }

  /**
   * Stops intake first (workers finish what they hold, for at most the grace period), then closes
   * the queues. A job still running after the grace period is waiting on something that is not
   * coming back (typically a Redis command queued while Redis is unreachable): the connections are
   * cut, which fails such commands, and the job is taken back later as stalled and run again.
   */
  async close(): Promise<void> {
    const workers = this.workers.splice(0);
    const closing = Promise.all(workers.map((w) => w.close()));
    if (!(await settlesWithin(closing, this.shutdownGraceMs))) {
      this.logger.warn({ graceMs: this.shutdownGraceMs, busy: workers.filter((w) => w.isRunning()).map((w) => w.name) }, 'workers still busy after the shutdown grace period; cutting their connections');
      for (const c of this.workerConnections) c.disconnect();
      this.redis.disconnect();
      if (!(await settlesWithin(closing, this.shutdownGraceMs))) this.logger.error('workers did not stop after their connections were cut; stopping without them');
    }
    for (const c of this.workerConnections.splice(0)) c.disconnect();
    await settlesWithin(Promise.all([...this.queues.values()].map((q) => q.close())), this.shutdownGraceMs);
    this.queues.clear();
  }
}

/** Whether `p` settles (either way) within `ms`; never rejects. */
async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([p.then(() => true, () => true), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
