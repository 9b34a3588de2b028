// What the chat intake keeps of a message in inbound_events (under msg:<message_id>): the job's
// input, the record of what was said, and where a draft-pick button finds its draft again — the
// button carries only the message id (`draftOf`), never the note itself, so a long note cannot
// push the "which project?" card past Feishu's size limit.
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../../db/schema.js';
import { messageKey, storedPayload } from './inbound-events.js';
import { decodeMessage } from './message-content.js';
import { parseIntent } from '../../domain/chat-intent.js';

export const storedMessage = z.object({
  eventId: z.string(),
  senderOpenId: z.string(),
  chatId: z.string(),
  chatType: z.string(),
  messageType: z.string(),
  content: z.string(),
  mentionKeys: z.array(z.string()),
});
export type StoredMessage = z.infer<typeof storedMessage>;

export async function loadStoredMessage(db: Kysely<Database>, messageId: string): Promise<StoredMessage | null> {
  const row = await storedPayload(db, messageKey(messageId));
  const parsed = storedMessage.safeParse(row?.payload);
  return parsed.success ? parsed.data : null;
}

/** A draft report as read from a progress note; `amountError` when its figure was refused. */
export type ChatDraft = { amount: string; progress: string; amountError?: string };

/**
 * The draft in a stored chat message, read exactly as the chat job read it. Null when the message
 * is no longer kept (pruned), was sent by someone else, or holds no draft.
 */
export async function draftFromMessage(db: Kysely<Database>, messageId: string, senderOpenId: string): Promise<ChatDraft | null> {
  const m = await loadStoredMessage(db, messageId);
  if (!m || m.senderOpenId !== senderOpenId) return null;
  const decoded = decodeMessage(m.messageType, m.content, m.mentionKeys);
  if (decoded.kind !== 'text') return null;
  const intent = parseIntent(decoded.text);
  if (intent.kind !== 'draft') return null;
  return { amount: intent.amountText, progress: intent.progress, ...(intent.amount.ok ? {} : { amountError: intent.amount.reason }) };
}
