// Jobs a transaction decides on, enqueued only once it has committed: a job enqueued inside the
// transaction could run before the commit and not find the rows it is about (the old remedy, a
// delay and a retried NOT_FOUND, only made that unlikely). Collect them here while writing;
// `flush` them after the commit; a rolled-back write (a Refusal, an error) flushes nothing.
import type { JobsOptions } from 'bullmq';
import type { JobName, JobPayload } from './catalogue.js';

/** What can take a job: the queue registry itself, or a collector that holds it until commit. */
export type JobSink = {
  enqueue<N extends JobName>(name: N, payload: JobPayload<N>, opts?: JobsOptions): Promise<void>;
  /** False while the queue's connection is down: an enqueue then waits until it is back. */
  online?(): boolean;
};

type Pending = { name: JobName; payload: unknown; opts: JobsOptions | undefined };

export class AfterCommit implements JobSink {
  private readonly pending: Pending[] = [];

  enqueue<N extends JobName>(name: N, payload: JobPayload<N>, opts?: JobsOptions): Promise<void> {
    this.pending.push({ name, payload, opts });
    return Promise.resolve();
  }

  get size(): number {
    return this.pending.length;
  }

  /** Enqueues what was collected, in order; call after the commit. Each is validated by the sink. */
  async flush(queues: JobSink): Promise<void> {
    for (const job of this.pending.splice(0)) {
      await queues.enqueue(job.name, job.payload as JobPayload<typeof job.name>, job.opts);
    }
  }
}
