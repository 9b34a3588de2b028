// Card actions on reports: submit (and its chat-draft twin), "本期无变化", open the form again
// to correct (修改), and pick a project from a list. Orchestration only: the rules are in
// report-form.ts / filing-basis.ts, the writes in report.store.ts, the cards in src/bot/cards.
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { AppContext } from '../app-context.js';
import type { Database, Person, Report } from '../db/schema.js';
import type { CardCallbackResponse } from '../bot/lark-intake.js';
import type { Card } from '../bot/lark-client.js';
import { buildReportFormCard, type CardNotice } from '../bot/cards/report-form.card.js';
import { buildReportSummaryCard } from '../bot/cards/report-summary.card.js';
import { cycleSettings } from '../cycle/cycle-config.js';
import { localDay } from '../cycle/cycle-format.js';
import { REPORT_FIELDS, reportDraft } from '../bot/cards/card-actions.js';
import { accessTo, canFile, findPerson, loadFilingContext, type Access, type FilingContext } from './filing.repository.js';
import { filingBasis, formFromReport, noChangeForm } from './filing-basis.js';
import { loadReportCardInput } from '../cycle/report-card.data.js';
import { readTypedForm, validateReportForm, type FieldErrors, type TypedForm } from './report-form.js';
import { summarizeReport } from './report-summary.js';
import { storeReport, type StoredReport } from './report.store.js';
import { Refusal, reply, writeOncePerEvent } from './callback-answer.js';
import { enqueueProblemNotice } from '../problems/problem.notify.js';

export type SubmissionDeps = Pick<AppContext, 'db' | 'queues' | 'logger' | 'config' | 'now'>;
/** Who clicked, on which card, in which delivery. */
export type CallbackOrigin = { eventId: string; messageId: string | null; operator: Person };
export type Target = { projectId: number; cycleId: number };
export type SubmitMode = 'submit' | 'draft' | 'no_change';

const NOT_ALLOWED = '您不是该项目的负责人或联络员，不能填报此项目；如有疑问请联系项目中心';
const MISSING = '项目或调度期不存在，请联系项目中心';
const NOT_COVERED = '该项目不在本期调度范围内，无需填报';
const CLOSED_CORRECTION = '本期已截止，更正已提交的数据需由管理员办理，请联系项目中心';

async function authorised(deps: SubmissionDeps, origin: CallbackOrigin, target: Target): Promise<Access | CardCallbackResponse> {
  const access = await accessTo(deps.db, origin.operator.id, target.projectId);
  if (canFile(access)) return access;
  deps.logger.warn({ personId: origin.operator.id, ...target }, 'card action by someone who may not file for the project');
  return reply('error', NOT_ALLOWED);
}

const isAnswer = (x: Access | CardCallbackResponse): x is CardCallbackResponse => 'toast' in x || 'card' in x;

/** Stores a submitted form (or "本期无变化"): validated, attributed, once per callback event. */
export async function submitReport(deps: SubmissionDeps, origin: CallbackOrigin, target: Target, formValue: unknown, mode: SubmitMode): Promise<CardCallbackResponse> {
  const access = await authorised(deps, origin, target);
  if (isAnswer(access)) return access;
  const { tz } = cycleSettings(deps.config);
  return writeOncePerEvent(deps, origin.eventId, `report.${mode}`, async (trx) => {
    const ctx = await loadFilingContext(trx, target.projectId, target.cycleId, { lock: true });
    if (!ctx) throw new Refusal(reply('error', MISSING), 'project or cycle not found');
    if (!ctx.covered) throw new Refusal(reply('error', NOT_COVERED), 'project not covered by cycle');
    const late = ctx.cycle.state === 'closed';
    if (ctx.existing && late && !access.admin) throw new Refusal(reply('error', CLOSED_CORRECTION), 'correction after close needs an admin');

    const typed = mode === 'no_change' ? noChangeForm(ctx) : readTypedForm(formValue);
    const check = validateReportForm(typed, filingBasis(ctx));
    if (!check.ok) {
      const card = await formCard(trx, deps, ctx, { typed, errors: check.errors, draft: mode === 'draft' });
      const first = Object.values(check.errors).find(Boolean) ?? '提交未成功，请按卡片提示修改';
      throw new Refusal(reply('error', first, card), `invalid form: ${Object.keys(check.errors).join(', ')}`);
    }

    const at = deps.now();
    const stored = await storeReport(trx, {
      ctx,
      report: check.report,
      noChange: mode === 'no_change',
      personId: origin.operator.id,
      at,
      tz,
      via: mode === 'draft' ? 'chat' : 'card',
      late,
      sourceMessageId: origin.messageId,
      sourceEventId: origin.eventId,
    });
    if (stored.problem) await enqueueProblemNotice(deps.queues, stored.problem.id, stored.problem.eventId);
    deps.logger.info({ reportId: stored.reportId, revision: stored.revision, late: stored.late, problem: stored.problem?.number, ...target }, 'report stored');
    const current = await trx.selectFrom('reports').selectAll().where('id', '=', stored.reportId).executeTakeFirstOrThrow();
    const card = await summaryCard(trx, deps, ctx, current, stored);
    return reply('success', toastFor(stored), card);
  });
}

function toastFor(s: StoredReport): string {
  const head = s.revision > 1 ? '已更正' : s.late ? '已补报（记为迟报）' : '已提交';
  return s.problem ? `${head}，问题 ${s.problem.number} 已登记` : head;
}

/** "修改": the form again, filled with what is stored, while the cycle is open (or for an admin). */
export async function editReport(deps: SubmissionDeps, origin: CallbackOrigin, target: Target): Promise<CardCallbackResponse> {
  const access = await authorised(deps, origin, target);
  if (isAnswer(access)) return access;
  const ctx = await loadFilingContext(deps.db, target.projectId, target.cycleId);
  if (!ctx) return reply('error', MISSING);
  if (ctx.cycle.state === 'closed' && !access.admin) return reply('error', CLOSED_CORRECTION);
  if (!ctx.existing) return { card: { type: 'raw', data: await formCard(deps.db, deps, ctx, {}) } };
  const notice: CardNotice = { level: 'info', text: '修改后点击“提交”，将保存为新的版本，原数据保留备查' };
  return { card: { type: 'raw', data: await formCard(deps.db, deps, ctx, { typed: formFromReport(ctx), notice }) } };
}

/** A chat draft carried in a pick button's value (see project-pick.card.ts). */
const draftCarry = z.object({ draft: reportDraft });

/** "填报" on a list: this project's form; if already reported, its summary with "修改". */
export async function pickReport(deps: SubmissionDeps, origin: CallbackOrigin, target: Target, rawValue: unknown): Promise<CardCallbackResponse> {
  const access = await authorised(deps, origin, target);
  if (isAnswer(access)) return access;
  const ctx = await loadFilingContext(deps.db, target.projectId, target.cycleId);
  if (!ctx) return reply('error', MISSING);
  if (!ctx.covered) return reply('error', NOT_COVERED);
  if (ctx.existing) return reply('info', '本期已填报，如需更正请点“修改”', await summaryCard(deps.db, deps, ctx, ctx.existing, null));
  const carried = draftCarry.safeParse(rawValue);
  if (!carried.success) return { card: { type: 'raw', data: await formCard(deps.db, deps, ctx, {}) } };
  return { card: { type: 'raw', data: await draftFormCard(deps.db, deps, ctx, carried.data.draft) } };
}

/** The form pre-filled from a chat message, whose submit confirms the draft (draft.confirm). */
export async function draftFormCard(db: Kysely<Database>, deps: SubmissionDeps, ctx: FilingContext, draft: { amount: string; progress: string; amountError?: string }): Promise<Card> {
  const typed: TypedForm = { [REPORT_FIELDS.periodInvestment]: draft.amount, ...(draft.progress ? { [REPORT_FIELDS.progress]: draft.progress } : {}) };
  const errors: FieldErrors | undefined = draft.amountError ? { [REPORT_FIELDS.periodInvestment]: draft.amountError } : undefined;
  const notice: CardNotice = draft.amountError
    ? { level: 'error', text: '消息中的金额无法识别，请在卡片中改正后提交' }
    : { level: 'info', text: '根据您发来的消息预填，请核对后点击“提交”；提交后才算填报' };
  return formCard(db, deps, ctx, { typed, errors, notice, draft: true });
}

/**
 * The report form for (project, cycle), as the prompt renders it, plus what the owner typed and
 * why it was refused. Its year-to-date is the one this submission adds to: report-card.data.ts
 * loads it with the store's own loader (ytd-basis.ts), so the form and the summary that follows
 * it agree. A form offered from a chat draft submits as 'draft.confirm'.
 */
export async function formCard(
  db: Kysely<Database>,
  deps: SubmissionDeps,
  ctx: FilingContext,
  o: { typed?: TypedForm; errors?: FieldErrors; notice?: CardNotice; draft?: boolean },
): Promise<Card> {
  const input = await loadReportCardInput({ db, settings: cycleSettings(deps.config), now: deps.now() }, ctx.cycle.id, ctx.project.id);
  return buildReportFormCard({
    ...input,
    ...(o.typed ? { typed: o.typed } : {}),
    ...(o.errors ? { errors: o.errors } : {}),
    ...(o.notice ? { notice: o.notice } : {}),
    submitAction: o.draft ? 'draft.confirm' : 'report.submit',
  });
}

/** The read-only summary of a stored report; `stored` names the problem raised with it, if any. */
export async function summaryCard(db: Kysely<Database>, deps: SubmissionDeps, ctx: FilingContext, report: Report, stored: StoredReport | null): Promise<Card> {
  const { tz, thresholds } = cycleSettings(deps.config);
  const [submitter, photos, department] = await Promise.all([
    findPerson(db, report.submitted_by),
    db.selectFrom('report_photos').select((eb) => eb.fn.countAll<string>().as('n')).where('report_id', '=', report.id).executeTakeFirstOrThrow(),
    stored?.problem?.departmentId
      ? db.selectFrom('departments').select('name').where('id', '=', stored.problem.departmentId).executeTakeFirst()
      : Promise.resolve(undefined),
  ]);
  const summary = summarizeReport({
    kind: ctx.cycle.kind,
    periodKey: ctx.cycle.period_key,
    periodInvestment: report.period_investment,
    ytd: report.ytd_investment,
    annualPlan: ctx.project.annual_plan,
    started: report.started,
    plannedStart: ctx.project.planned_start,
    asOfDay: localDay(deps.now(), tz),
    revision: report.revision,
    late: report.late,
    noChange: report.no_change,
    thresholds,
  });
  const problemInput = stored?.problem ? await problemLine(db, stored, department?.name ?? null) : null;
  return buildReportSummaryCard({
    project: { id: ctx.project.id, code: ctx.project.code, name: ctx.project.name },
    cycle: { id: ctx.cycle.id, kind: ctx.cycle.kind, periodKey: ctx.cycle.period_key, open: ctx.cycle.state === 'open' },
    tz,
    summary,
    report: {
      stage: report.stage,
      started: report.started,
      completed: report.completed,
      registered: report.registered,
      progress: report.progress,
      revision: report.revision,
      submittedAt: report.submitted_at,
      submittedBy: submitter?.name ?? '未知',
    },
    problem: problemInput,
    photos: Number(photos.n),
  });
}

async function problemLine(db: Kysely<Database>, stored: StoredReport, department: string | null) {
  const p = await db.selectFrom('problems').select(['category', 'needs_city_coordination']).where('id', '=', stored.problem!.id).executeTakeFirstOrThrow();
  return { number: stored.problem!.number, category: p.category, department, needsCityCoordination: p.needs_city_coordination };
}
