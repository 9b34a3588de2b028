// The shape of every card-callback answer, and the one mechanism by which a callback writes:
// once per event, in one transaction, with its answer kept for repeated deliveries.
import type { Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { Db } from '../../db/database.js';
import type { Database, Person } from '../../db/schema.js';
import type { Card } from './lark-client.js';
import type { CardCallbackResponse } from './lark-intake.js';
import { cardEventKey, claimInbound, DuplicateDelivery, recordAnswer, storedAnswer } from './inbound-events.js';
import { AfterCommit, type JobSink } from '../jobs/after-commit.js';

/** Who clicked, on which card, in which delivery: what every callback handler starts from. */
export type CallbackOrigin = { eventId: string; messageId: string | null; operator: Person };

type ToastType = NonNullable<CardCallbackResponse['toast']>['type'];

/** Feishu shows a toast of a line or two; longer text is cut rather than refused (200672). */
const MAX_TOAST_CHARS = 120;

export function reply(type: ToastType, content: string, card?: Card): CardCallbackResponse {
  const chars = [...content];
  const text = chars.length > MAX_TOAST_CHARS ? `${chars.slice(0, MAX_TOAST_CHARS - 1).join('')}…` : content;
  return { toast: { type, content: text }, ...(card ? { card: { type: 'raw', data: card } } : {}) };
}

/**
 * A refusal decided inside a write: the transaction rolls back (nothing stored, the event not
 * claimed, so the same answer comes again on a repeat) and `response` is what the user sees.
 */
export class Refusal extends Error {
  constructor(
    readonly response: CardCallbackResponse,
    readonly logReason: string,
  ) {
    super(logReason);
    this.name = 'Refusal';
  }
}

/** What a callback by someone not in the registry is answered. */
export const UNKNOWN_PERSON = '没有找到您的人员信息，请联系项目中心';

/** Thrown inside a write that found this event answered before: its recorded answer is returned. */
export class AnsweredBefore extends Error {
  constructor(readonly answer: CardCallbackResponse) {
    super('event answered before');
    this.name = 'AnsweredBefore';
  }
}

/**
 * Runs `write` once per callback event. The event is claimed first inside the transaction, so a
 * concurrent repeat waits on the claim and then returns the first answer; a later repeat finds
 * the recorded answer without touching anything else. Jobs the write hands to `afterCommit` are
 * enqueued once the transaction has committed, so each finds the rows it is about on its first
 * attempt; a refused or failed write enqueues nothing, and a repeat does not enqueue them again.
 */
export async function writeOncePerEvent(
  deps: { db: Db; logger: Logger; queues: JobSink },
  eventId: string,
  kind: string,
  write: (trx: Transaction<Database>, afterCommit: JobSink) => Promise<CardCallbackResponse>,
): Promise<CardCallbackResponse> {
  const key = cardEventKey(eventId);
  return writeInCallback(deps, eventId, kind, async (trx, afterCommit) => {
    if (!(await claimInbound(trx, key, kind))) throw new DuplicateDelivery(key);
    const written = await write(trx, afterCommit);
    await recordAnswer(trx, key, written);
    return written;
  });
}

/**
 * The transaction around a callback's write, for a write that claims its event itself (with its
 * answer, inbound-events.ts) and throws DuplicateDelivery when the claim was taken.
 */
export async function writeInCallback(
  deps: { db: Db; logger: Logger; queues: JobSink },
  eventId: string,
  kind: string,
  write: (trx: Transaction<Database>, afterCommit: JobSink) => Promise<CardCallbackResponse>,
): Promise<CardCallbackResponse> {
  return answerCallback(deps, eventId, kind, (afterCommit) => deps.db.transaction().execute((trx) => write(trx, afterCommit)));
}

/**
 * Answers a callback from `work`, which writes (in a transaction or in single statements) and
 * claims the event with its write. A Refusal is answered (whatever it wrote is rolled back, or it
 * wrote nothing); a duplicate is answered from the record; jobs collected in `afterCommit` are
 * enqueued once the work has returned, that is after its writes committed.
 */
export async function answerCallback(
  deps: { db: Db; logger: Logger; queues: JobSink },
  eventId: string,
  kind: string,
  work: (afterCommit: JobSink) => Promise<CardCallbackResponse>,
): Promise<CardCallbackResponse> {
  const afterCommit = new AfterCommit();
  let answer: CardCallbackResponse;
  try {
    answer = await work(afterCommit);
  } catch (e) {
    if (e instanceof Refusal) {
      deps.logger.info({ eventId, kind, reason: e.logReason }, 'card action refused');
      return e.response;
    }
    if (e instanceof AnsweredBefore) {
      deps.logger.info({ eventId, kind }, 'repeated card action answered from record');
      return e.answer;
    }
    if (e instanceof DuplicateDelivery) {
      deps.logger.info({ eventId, kind }, 'repeated card action delivery answered from record');
      return (await storedAnswer(deps.db, eventId)) ?? reply('info', '已收到，正在处理');
    }
    throw e;
  }
  if (afterCommit.size > 0) {
    // The write is stored and Feishu never re-sends a callback: the user gets the answer, and
    // the log says which follow-up work (a notice, a recheck) the queue did not take.
    const flushed = afterCommit.flush(deps.queues).catch((e: unknown) => {
      deps.logger.error({ eventId, kind, err: (e as Error).message }, 'write committed but its follow-up jobs could not be enqueued');
    });
    // While Redis is down the enqueue waits in the client's queue until it is back; the stored
    // answer goes back now rather than becoming a stand-in and a card update seconds later.
    if (deps.queues.online?.() === false) deps.logger.warn({ eventId, kind }, 'queue offline: answered now, follow-up jobs wait for its return');
    else await flushed;
  }
  return answer;
}
