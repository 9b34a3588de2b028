// Checks on the `content` field of im/v1/messages, mirroring the documented
// rules: content is a JSON string; cards and rich text ≤ 30 KB, text ≤ 150 KB
// (230025); a card can only be patched if it is a shared card, i.e.
// config.update_multi is true before and after (docs/feishu.md §1, §3, §4).
import { CODES, type FeishuError } from './feishu-codes.js';
import { isRecord } from './http-util.js';
import { refuseCard } from './card-checks.js';

export const CARD_MAX_BYTES = 30 * 1024;
export const TEXT_MAX_BYTES = 150 * 1024;

const KNOWN_MSG_TYPES = new Set([
  'text',
  'post',
  'image',
  'file',
  'audio',
  'media',
  'sticker',
  'interactive',
  'share_chat',
  'share_user',
  'system',
]);

export type ContentCheck = { ok: true; content: unknown } | { ok: false; error: FeishuError; detail: string };

export function checkContent(msgType: unknown, raw: unknown): ContentCheck {
  if (typeof msgType !== 'string' || !KNOWN_MSG_TYPES.has(msgType)) {
    return { ok: false, error: CODES.invalidParam, detail: `unknown msg_type ${String(msgType)}` };
  }
  if (typeof raw !== 'string') {
    return { ok: false, error: CODES.invalidParam, detail: 'content must be a JSON string' };
  }
  const limit = msgType === 'text' ? TEXT_MAX_BYTES : CARD_MAX_BYTES;
  const size = Buffer.byteLength(raw, 'utf8');
  if (size > limit) {
    return { ok: false, error: CODES.contentTooLong, detail: `(${size} bytes > ${limit})` };
  }
  let content: unknown;
  try {
    content = JSON.parse(raw);
  } catch {
    return { ok: false, error: CODES.invalidParam, detail: 'content is not valid JSON' };
  }
  if (!isRecord(content)) {
    return { ok: false, error: CODES.invalidParam, detail: 'content must be a JSON object' };
  }
  if (msgType === 'text' && typeof content.text !== 'string') {
    return { ok: false, error: CODES.invalidParam, detail: 'text content needs a "text" string' };
  }
  if (msgType === 'interactive') {
    const refused = refuseCard(content, raw);
    if (refused) return { ok: false, error: refused, detail: '' };
  }
  return { ok: true, content };
}

/**
 * Whether a card is shared (patchable). Template and card-entity references
 * carry their config elsewhere, so they are given the benefit of the doubt.
 */
export function isSharedCard(card: unknown): boolean {
  if (!isRecord(card)) return false;
  if (card.type === 'template' || card.type === 'card') return true;
  const config = card.config;
  return isRecord(config) && config.update_multi === true;
}
