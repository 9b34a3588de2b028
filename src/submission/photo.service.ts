// Site photos (形象进度照片). Cards have no upload widget, so owners send images to the bot in a
// direct chat right after filing; each image_key is attached to the report of the project it
// belongs to. Which report: the latest one of each project the sender files for, in a cycle still
// open or closed within RECENT_DAYS — one candidate is attached at once, several are asked about.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { CycleKind } from '../db/schema.js';
import type { CardCallbackResponse } from '../platform/feishu/lark-intake.js';
import { buildNoticeCard } from '../cards/notice.card.js';
import { periodLabel } from '../domain/period.js';
import { accessTo, canFile, filableProjectIds } from '../registry/access.js';
import { Refusal, reply, writeOncePerEvent } from '../platform/feishu/callback-answer.js';
import type { CallbackOrigin, SubmissionDeps } from './report.service.js';

/** A cycle closed longer ago than this no longer takes photos sent without asking. */
export const RECENT_DAYS = 7;

export type PhotoTarget = { reportId: number; projectId: number; cycleId: number; code: string; name: string; kind: CycleKind; periodKey: string };

export async function photoTargets(db: Kysely<Database>, personId: number, now: Date): Promise<PhotoTarget[]> {
  const projectIds = await filableProjectIds(db, personId);
  if (projectIds.length === 0) return [];
  const since = new Date(now.getTime() - RECENT_DAYS * 24 * 3600 * 1000);
  const rows = await db
    .selectFrom('reports as r')
    .innerJoin('cycles as c', 'c.id', 'r.cycle_id')
    .innerJoin('projects as p', 'p.id', 'r.project_id')
    .distinctOn('r.project_id')
    .select(['r.id', 'r.project_id', 'r.cycle_id', 'p.code', 'p.name', 'c.kind', 'c.period_key'])
    .where('r.project_id', 'in', projectIds)
    .where((eb) => eb.or([eb('c.state', '=', 'open'), eb('c.closed_at', '>=', since)]))
    .orderBy('r.project_id')
    .orderBy('r.submitted_at', 'desc')
    .execute();
  return rows
    .map((r) => ({ reportId: r.id, projectId: r.project_id, cycleId: r.cycle_id, code: r.code, name: r.name, kind: r.kind, periodKey: r.period_key }))
    .sort((a, b) => a.code.localeCompare(b.code));
}

/** Attaches images to a report; an image already attached is left alone. Returns how many were new. */
export async function attachPhotos(db: Kysely<Database>, a: { reportId: number; imageKeys: readonly string[]; messageId: string; personId: number }): Promise<number> {
  if (a.imageKeys.length === 0) return 0;
  const rows = await db
    .insertInto('report_photos')
    .values(a.imageKeys.map((k) => ({ report_id: a.reportId, image_key: k, source_message_id: a.messageId, sent_by: a.personId })))
    .onConflict((oc) => oc.columns(['report_id', 'image_key']).doNothing())
    .returning('id')
    .execute();
  return rows.length;
}

export const photosAttachedText = (count: number, t: { name: string; kind: CycleKind; periodKey: string }) =>
  `已将 ${count} 张照片关联到「${t.name}」${periodLabel(t.kind, t.periodKey)}的填报。`;

/** `photo.attach`: the owner chose the project for images sent earlier. */
export async function attachPhotosFromCard(
  deps: SubmissionDeps,
  origin: CallbackOrigin,
  v: { projectId: number; cycleId: number; imageKeys: string[]; messageId: string },
): Promise<CardCallbackResponse> {
  if (!canFile(await accessTo(deps.db, origin.operator.id, v.projectId))) {
    deps.logger.warn({ personId: origin.operator.id, projectId: v.projectId }, 'photo attach by someone who may not file for the project');
    return reply('error', '您不是该项目的负责人或联络员，不能为其关联照片');
  }
  return writeOncePerEvent(deps, origin.eventId, 'photo.attach', async (trx) => {
    const target = await trx
      .selectFrom('reports as r')
      .innerJoin('cycles as c', 'c.id', 'r.cycle_id')
      .innerJoin('projects as p', 'p.id', 'r.project_id')
      .select(['r.id', 'p.name', 'c.kind', 'c.period_key'])
      .where('r.project_id', '=', v.projectId)
      .where('r.cycle_id', '=', v.cycleId)
      .executeTakeFirst();
    if (!target) throw new Refusal(reply('error', '该项目本期尚未填报，请先填报再发送照片'), 'no report to attach photos to');
    await attachPhotos(trx, { reportId: target.id, imageKeys: v.imageKeys, messageId: v.messageId, personId: origin.operator.id });
    const text = photosAttachedText(v.imageKeys.length, { name: target.name, kind: target.kind, periodKey: target.period_key });
    return reply('success', '照片已关联', buildNoticeCard({ title: '照片已关联', text }));
  });
}
