// Deterministic BullMQ job ids for the cycle's jobs: enqueueing the same step twice (two
// instances, a tick every minute, the CLI next to the scheduler) adds one job while BullMQ still
// holds the first — a completed job is kept 24 h (queue-registry defaultJobOpts) — and after
// that the database state and the outbound log make the repeat a no-op.
// BullMQ refuses integer-looking ids, and ids with ':' unless there are exactly three parts — a
// compatibility rule its source marks for removal in favour of refusing every ':' (job.js,
// "Custom Id cannot contain :") — so every id here uses '-'.
import type { CycleKind } from '../db/schema.js';

export type TickStep = 'open' | 'remind' | 'final-remind' | 'close';

export const jobIds = {
  /** One tick per (kind, step) and minute of the clock. */
  tick: (kind: CycleKind, step: TickStep, now: Date) => `tick-${kind}-${step}-${now.toISOString().slice(0, 16).replace(/[-:T]/g, '')}`,
  open: (kind: CycleKind, periodKey: string) => `open-${kind}-${periodKey}`,
  remind: (cycleId: number, final: boolean) => `${final ? 'final-remind' : 'remind'}-${cycleId}`,
  close: (cycleId: number) => `close-${cycleId}`,
  prompt: (cycleId: number, ownerId: number) => `prompt-${cycleId}-${ownerId}`,
  /** The open's prompts for the owners of one id bucket (promptBucket), whatever else the open did. */
  promptBatch: (cycleId: number, size: number, bucket: number) => `prompt-batch-${cycleId}-${size}-${bucket}`,
  /** A second chance for an owner skipped as unmatched who has an open_id now. */
  promptMatched: (cycleId: number, ownerId: number) => `prompt-matched-${cycleId}-${ownerId}`,
  reminder: (cycleId: number, ownerId: number, final: boolean) => `${final ? 'final-reminder' : 'reminder'}-${cycleId}-${ownerId}`,
  adminNotify: (key: string) => `admin-${key.replace(/:/g, '-')}`,
};

/**
 * Owners whose ids fall in the same run of `size` share one prompt job at the open. The bucket
 * follows from the id and the size alone, so anything that must know whether an owner's prompt is
 * still queued (the recovery tick) finds its job without a record of how the open grouped them.
 * The size follows the send rate (promptBatchOwners): a job's cards are reserved together, and at
 * Feishu's 50/s two owners a job keep the cards reserved ahead, and a stopping worker's wait, short.
 */
export function promptBatchOwners(sendPerSecond: number): number {
  return Math.max(1, Math.min(32, Math.floor(sendPerSecond / 25)));
}
export function promptBucket(ownerId: number, size: number): number {
  return Math.floor(ownerId / size);
}

/** Keys of outbound messages (hashed into Feishu's uuid by sendOnce): what the message is about. */
export const messageKeys = {
  prompt: (cycleId: number, projectId: number) => `prompt:c${cycleId}:p${projectId}`,
  consolidatedPrompt: (cycleId: number, ownerId: number, page: number) => `prompt:c${cycleId}:o${ownerId}${page > 1 ? `:n${page}` : ''}`,
  reminder: (cycleId: number, projectId: number, final: boolean) => `${final ? 'final-reminder' : 'reminder'}:c${cycleId}:p${projectId}`,
  consolidatedReminder: (cycleId: number, ownerId: number, page: number, final: boolean) =>
    `${final ? 'final-reminder' : 'reminder'}:c${cycleId}:o${ownerId}${page > 1 ? `:n${page}` : ''}`,
  adminNotice: (key: string, personId: number) => `admin:${key}:p${personId}`,
};
