// De-duplication of what Feishu delivers (inbound_events). Card callbacks are keyed by event_id
// and claimed inside the same transaction as the write they cause, with the answer stored
// alongside: a repeated delivery finds the claim and gets the first answer back, and a delivery
// racing the first one waits on the primary key until the first commits. Chat messages are keyed
// by message_id, which Feishu's docs name as the de-duplication key for receive_v1.
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { CardCallbackResponse } from './lark-intake.js';

export const cardEventKey = (eventId: string) => `card:${eventId}`;
export const messageKey = (messageId: string) => `msg:${messageId}`;

/** Thrown inside a transaction when another delivery of the same event got there first. */
export class DuplicateDelivery extends Error {
  constructor(readonly key: string) {
    super(`duplicate delivery ${key}`);
    this.name = 'DuplicateDelivery';
  }
}

/** Claims a key; false if it was claimed before. Inside a transaction the claim commits with it. */
export async function claimInbound(db: Kysely<Database> | Transaction<Database>, key: string, kind: string, payload: unknown = null): Promise<boolean> {
  const row = await db
    .insertInto('inbound_events')
    .values({ dedupe_key: key, kind, payload: payload === null ? null : JSON.stringify(payload) })
    .onConflict((oc) => oc.column('dedupe_key').doNothing())
    .returning('dedupe_key')
    .executeTakeFirst();
  return row !== undefined;
}

export async function recordAnswer(db: Transaction<Database>, key: string, answer: CardCallbackResponse): Promise<void> {
  await db.updateTable('inbound_events').set({ payload: JSON.stringify(answer) }).where('dedupe_key', '=', key).execute();
}

export async function storedPayload(db: Kysely<Database>, key: string): Promise<{ payload: unknown } | undefined> {
  return db.selectFrom('inbound_events').select('payload').where('dedupe_key', '=', key).executeTakeFirst();
}

export async function releaseInbound(db: Kysely<Database>, key: string): Promise<void> {
  await db.deleteFrom('inbound_events').where('dedupe_key', '=', key).execute();
}

/** The answer given to the first delivery of a callback event, if it was handled. */
export async function storedAnswer(db: Kysely<Database>, eventId: string): Promise<CardCallbackResponse | undefined> {
  const row = await storedPayload(db, cardEventKey(eventId));
  return row?.payload ? (row.payload) : undefined;
}
