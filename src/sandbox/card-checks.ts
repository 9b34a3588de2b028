// Where the card validator meets the Open API routes and the callback driver:
// which payloads are raw cards (templates and card entities are checked by
// Feishu elsewhere and pass), the lock a card is under while a callback on it
// is in flight, and the 14-day lifetime of a 2.0 card.
import type { FeishuError } from './feishu-codes.js';
import { isRecord } from './http-util.js';
import { cardRefusal, validateCard } from './card-validator.js';

/** "2.0 结构：卡片可交互和可更新时间统一为 14 天" (card-json-v2-breaking-changes-release-notes). */
export const CARD_LIFETIME_MS = 14 * 24 * 60 * 60 * 1000;

/**
 * A patch or delayed update while a user's action on the card is still being
 * answered: production answers 230099 with this text inside `msg` (feishu-facts,
 * "Locked card"); 11310 alone is ambiguous, so callers match the text.
 */
export const CARD_LOCKED: FeishuError = {
  status: 400,
  code: 230099,
  msg: 'Failed to create card content, ext=ErrCode: 11310; ErrMsg: card action is lock',
};

/** Template ({type:'template'}) and card-entity ({type:'card'}) references are not raw card JSON. */
export function isCardReference(card: unknown): boolean {
  return isRecord(card) && (card.type === 'template' || card.type === 'card') && isRecord(card.data);
}

/** Feishu's refusal of a raw card, or undefined when it would be accepted; `source`: the JSON text it was parsed from. */
export function refuseCard(card: unknown, source?: string): FeishuError | undefined {
  if (isCardReference(card)) return undefined;
  const [first] = validateCard(card, source);
  return first ? cardRefusal(first) : undefined;
}
