// How the Feishu client judges a bot's answer to a card callback, and when it
// lets a card be clicked at all (feishu-facts §2 and "Card errors and limits"):
// an answer must arrive within 3 s (else 200341: the user sees an error and the
// answer is dropped), with HTTP 200 (else 200671), a JSON object body (else
// 200672) and, when it carries a card, a valid one (else 200673); a 2.0 card
// cannot be replaced by a 1.0 one (200830). Callbacks are never re-sent.
import { CARD_LIFETIME_MS, isCardReference } from './card-checks.js';
import { validateCard } from './card-validator.js';
import { isRecord } from './http-util.js';
import type { SandboxMessage } from './message-store.js';

export const CALLBACK_DEADLINE_MS = 3000;

export interface CallbackClientError {
  code: 200341 | 200671 | 200672 | 200673 | 200830;
  message: string;
}

/** Thrown by the driver when Feishu would not deliver a card action or would drop its answer. */
export class CallbackRefusedError extends Error {
  constructor(
    readonly clientError: CallbackClientError | { code: undefined; message: string },
    /** What the bot answered, when it was asked at all. */
    readonly result?: unknown,
  ) {
    super(clientError.code ? `Feishu client shows ${clientError.code}: ${clientError.message}` : clientError.message);
    this.name = 'CallbackRefusedError';
  }
}

/** Refuses a click on a card older than 14 days: the client no longer sends the callback. */
export function refuseExpiredCard(message: SandboxMessage | undefined, now: number): void {
  if (!message) return;
  const age = now - message.created_at;
  if (age > CARD_LIFETIME_MS) {
    const days = Math.floor(age / (24 * 60 * 60 * 1000));
    throw new CallbackRefusedError({
      code: undefined,
      message: `card ${message.message_id} was sent ${days} days ago; a 2.0 card can be interacted with for 14 days only`,
    });
  }
}

function isV2(card: unknown): boolean {
  return isRecord(card) && card.schema === '2.0';
}

/** The error the client would show for this answer, or undefined when the answer is good. */
export function judgeCallbackAnswer(
  answer: { status: number; body: unknown; rawBody: string; elapsedMs: number },
  currentCard: unknown,
  deadlineMs: number,
): CallbackClientError | undefined {
  if (answer.elapsedMs > deadlineMs) {
    return { code: 200341, message: `callback answered after ${answer.elapsedMs} ms (Feishu waits ${deadlineMs} ms); the answer is dropped` };
  }
  if (answer.status !== 200) return { code: 200671, message: `callback answered HTTP ${answer.status}` };
  // An empty answer changes nothing, like {} (the SDK sends it when it refuses a signature).
  if (answer.rawBody === '') return undefined;
  if (!isRecord(answer.body)) return { code: 200672, message: 'callback answer is not a JSON object' };
  const card = answer.body.card;
  if (card === undefined) return undefined;
  if (!isRecord(card) || (card.type !== 'raw' && card.type !== 'template') || !isRecord(card.data)) {
    return { code: 200673, message: 'card in the answer must be {type:"raw"|"template", data:{…}}' };
  }
  if (card.type === 'template') return isCardReference(card) ? undefined : { code: 200673, message: 'template card needs data' };
  if (isV2(currentCard) && !isV2(card.data)) return { code: 200830, message: 'a JSON 2.0 card cannot be updated to 1.0' };
  const [first] = validateCard(card.data);
  if (first) return { code: 200673, message: `card in the answer is refused: ErrCode ${first.code}; ${first.message} at ${first.path}` };
  return undefined;
}
