// Sends a message at most once per uuid, recorded in outbound_messages.
// The uuid is derived from what the message is about (e.g. prompt:cycle:project), so a repeated
// open, a retried job or a restarted worker reuses it: Feishu de-duplicates within an hour and
// our log de-duplicates for ever once the message id is known.
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import type { ReceiveIdType } from '../../db/schema.js';
import type { Card, LarkClient, SendArgs } from './lark-client.js';
import { AppError, isAppError } from '../../errors.js';

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
  const [outcome] = await sendEachOnce(deps, [msg]);
  if ('error' in outcome) throw outcome.error;
  return outcome.result;
}

export type SendOutcome = { key: string } & ({ result: SendResult } | { error: unknown });

/**
 * sendOnce for several messages (an owner's cards), with the outbound log written in two
 * statements whatever their number instead of four per message: one claims them all (a row for
 * each new one, an attempt counted on each not yet sent; those sent already come back as such),
 * one records every outcome after the sends. New messages are paced together and leave at their
 * slots, in order (LarkClient.sendEach); replies in a thread go one after another. One message's
 * failure does not stop the others; each outcome is returned, in the order given.
 *
 * Exactly once as before: a message is recorded as sent only with the id Feishu answered, and one
 * sent but not yet recorded (the process died in between, now a whole batch wide rather than one
 * message) is sent again with the same uuid, which Feishu answers with the first message within
 * the hour — far longer than the job's retries (about four minutes) take.
 */
export async function sendEachOnce(deps: { db: Db; lark: LarkClient }, msgs: OutboundMessage[]): Promise<SendOutcome[]> {
  if (msgs.length === 0) return [];
  const uuids = msgs.map((m) => messageUuid(m.key));
  // One statement cannot claim a row twice (Postgres refuses the whole insert); a batch names each message once.
  if (new Set(uuids).size !== uuids.length) throw new AppError('INTERNAL', `sendEachOnce: a message key appears twice in one batch (${msgs.map((m) => m.key).join(', ')})`);
  const now = new Date();
  const claimed = await deps.db
    .insertInto('outbound_messages')
    .values(
      msgs.map((msg, i) => ({
        uuid: uuids[i],
        kind: msg.kind,
        receive_id: msg.receiveId,
        receive_id_type: msg.receiveIdType ?? 'open_id',
        person_id: msg.personId ?? null,
        project_id: msg.projectId ?? null,
        cycle_id: msg.cycleId ?? null,
        message_id: null,
        last_error: null,
        sent_at: null,
        attempts: 1,
        updated_at: now,
      })),
    )
    .onConflict((oc) =>
      oc
        .column('uuid')
        .doUpdateSet({ attempts: sql<number>`outbound_messages.attempts + 1`, updated_at: now })
        .where('outbound_messages.state', '!=', 'sent'),
    )
    .returning('uuid')
    .execute();
  const toSend = new Set(claimed.map((r) => r.uuid));
  // Rows the claim left alone were sent before (rare: a retried job, a repeated open).
  const earlier = toSend.size === uuids.length
    ? new Map<string, string>()
    : new Map(
        (await deps.db.selectFrom('outbound_messages').select(['uuid', 'message_id']).where('uuid', 'in', uuids.filter((u) => !toSend.has(u))).execute())
          .map((r) => [r.uuid, r.message_id ?? '']),
      );

  const outcomes: SendOutcome[] = new Array(msgs.length);
  const sent: { uuid: string; messageId: string }[] = [];
  const failed: { uuid: string; error: string }[] = [];
  const settle = (i: number, r: { messageId: string } | { error: unknown }) => {
    const key = msgs[i].key;
    if ('error' in r) {
      const e = r.error;
      failed.push({ uuid: uuids[i], error: ((isAppError(e) && !e.retryable ? PERMANENT_FAILURE_MARK : '') + (e as Error).message).slice(0, 500) });
      outcomes[i] = { key, error: e };
    } else {
      sent.push({ uuid: uuids[i], messageId: r.messageId });
      outcomes[i] = { key, result: { messageId: r.messageId, alreadySent: false } };
    }
  };
  try {
    const fresh: number[] = [];
    const replies: number[] = [];
    for (const [i, msg] of msgs.entries()) {
      if (!toSend.has(uuids[i])) outcomes[i] = { key: msg.key, result: { messageId: earlier.get(uuids[i]) ?? '', alreadySent: true } };
      else if (msg.replyTo) replies.push(i);
      else fresh.push(i);
    }
    // New messages together: their pacing is reserved in one call per receiver and each leaves at
    // its slot (LarkClient.sendEach); answers in a thread one after the other.
    if (fresh.length > 0) {
      const results = await deps.lark.sendEach(fresh.map((i) => sendArgs(msgs[i], uuids[i])));
      results.forEach((r, j) => settle(fresh[j], r));
    }
    for (const i of replies) {
      try {
        settle(i, await sendOne(deps.lark, msgs[i], uuids[i]));
      } catch (e) {
        settle(i, { error: e });
      }
    }
  } finally {
    await recordOutcomes(deps.db, sent, failed);
  }
  return outcomes;
}

function contentOf(msg: OutboundMessage): { msgType: string; content: unknown } {
  return 'card' in msg
    ? { msgType: 'interactive', content: msg.card }
    : 'fileKey' in msg ? { msgType: 'file', content: { file_key: msg.fileKey } } : { msgType: 'text', content: { text: msg.text } };
}

function sendArgs(msg: OutboundMessage, uuid: string): SendArgs {
  return { receiveId: msg.receiveId, receiveIdType: msg.receiveIdType ?? 'open_id', uuid, ...contentOf(msg) };
}

function sendOne(lark: LarkClient, msg: OutboundMessage, uuid: string): Promise<{ messageId: string }> {
  return msg.replyTo
    ? lark.reply({ messageId: msg.replyTo, chatId: msg.receiveId, uuid, ...contentOf(msg) })
    : lark.send(sendArgs(msg, uuid));
}

/** Every outcome of a batch in one statement (a VALUES list joined on uuid). */
async function recordOutcomes(db: Db, sent: { uuid: string; messageId: string }[], failed: { uuid: string; error: string }[]): Promise<void> {
  if (sent.length === 0 && failed.length === 0) return;
  const now = new Date();
  const rows = [
    ...sent.map((s) => sql`(${s.uuid}, 'sent', ${s.messageId}, ${null}::text)`),
    ...failed.map((f) => sql`(${f.uuid}, 'failed', ${null}::text, ${f.error})`),
  ];
  // A message sent but not recorded as failed keeps the message id an earlier attempt stored.
  await sql`
    update outbound_messages as m
    set state = v.state,
        message_id = coalesce(v.message_id, m.message_id),
        sent_at = case when v.state = 'sent' then ${now}::timestamptz else m.sent_at end,
        last_error = v.last_error,
        updated_at = ${now}::timestamptz
    from (values ${sql.join(rows)}) as v(uuid, state, message_id, last_error)
    where m.uuid = v.uuid`.execute(db);
}
