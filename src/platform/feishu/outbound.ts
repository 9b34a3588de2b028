// Sends a message at most once per uuid, recorded in outbound_messages.
// The uuid is derived from what the message is about (e.g. prompt:cycle:project), so a repeated
// open, a retried job or a restarted worker reuses it: Feishu de-duplicates within an hour and
// our log de-duplicates for ever once the message id is known.
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import type { ReceiveIdType } from '../../db/schema.js';
import type { Card, LarkClient } from './lark-client.js';
import { isAppError } from '../../errors.js';

/**
 * Opens `last_error` of a message Feishu refused for good (a retry cannot help: the receiver is
 * out of the bot's scope, the card is invalid), so recovery leaves it to an admin's `cycle resend`.
 */
export const PERMANENT_FAILURE_MARK = '[permanent] ';

export type OutboundMessage = {
  /** Stable key naming the message, e.g. `prompt:c12:p345`. Hashed into Feishu's 50-char uuid. */
  key: string;
  kind: string;
  receiveId: string;
  receiveIdType?: ReceiveIdType;
  personId?: number | null;
  projectId?: number | null;
  cycleId?: number | null;
  /** Answer in the thread of this message instead of starting a new one (receiveId is then its chat). */
  replyTo?: string;
} & ({ card: Card } | { text: string } | { fileKey: string });

export type SendResult = { messageId: string; alreadySent: boolean };

/** Feishu's uuid is at most 50 characters; a readable prefix plus a hash of the full key fits. */
export function messageUuid(key: string): string {
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 32);
  const prefix = key.replace(/[^A-Za-z0-9]/g, '').slice(0, 17);
  return `${prefix}-${hash}`;
}

export async function sendOnce(deps: { db: Db; lark: LarkClient }, msg: OutboundMessage): Promise<SendResult> {
  const uuid = messageUuid(msg.key);
  const receiveIdType = msg.receiveIdType ?? 'open_id';
  await deps.db
    .insertInto('outbound_messages')
    .values({
      uuid,
      kind: msg.kind,
      receive_id: msg.receiveId,
      receive_id_type: receiveIdType,
      person_id: msg.personId ?? null,
      project_id: msg.projectId ?? null,
      cycle_id: msg.cycleId ?? null,
      message_id: null,
      last_error: null,
      sent_at: null,
    })
    .onConflict((oc) => oc.column('uuid').doNothing())
    .execute();
  const row = await deps.db.selectFrom('outbound_messages').select(['message_id', 'state']).where('uuid', '=', uuid).executeTakeFirstOrThrow();
  if (row.state === 'sent' && row.message_id) return { messageId: row.message_id, alreadySent: true };

  await deps.db.updateTable('outbound_messages').set({ attempts: sql`attempts + 1`, updated_at: new Date() }).where('uuid', '=', uuid).execute();
  try {
    const body = 'card' in msg
      ? { msgType: 'interactive', content: msg.card }
      : 'fileKey' in msg ? { msgType: 'file', content: { file_key: msg.fileKey } } : { msgType: 'text', content: { text: msg.text } };
    const { messageId } = msg.replyTo
      ? await deps.lark.reply({ messageId: msg.replyTo, chatId: msg.receiveId, uuid, ...body })
      : await deps.lark.send({ receiveId: msg.receiveId, receiveIdType, uuid, ...body });
    await deps.db
      .updateTable('outbound_messages')
      .set({ state: 'sent', message_id: messageId, sent_at: new Date(), updated_at: new Date(), last_error: null })
      .where('uuid', '=', uuid)
      .execute();
    return { messageId, alreadySent: false };
  } catch (e) {
    await deps.db
      .updateTable('outbound_messages')
      .set({ state: 'failed', last_error: ((isAppError(e) && !e.retryable ? PERMANENT_FAILURE_MARK : '') + (e as Error).message).slice(0, 500), updated_at: new Date() })
      .where('uuid', '=', uuid)
      .execute();
    throw e;
  }
}
