// Card actions on reports: submit (and its chat-draft twin), "本期无变化", open the form again
// to correct (修改), and pick a project from a list. Orchestration only: the rules are in
// report-form.ts / filing-basis.ts, the writes in report.store.ts, the cards in src/cards.
import type { Kysely, Transaction } from 'kysely';
import type { AppContext } from '../platform/app-context.js';
import type { Cycle, Database, Person, Report } from '../db/schema.js';
import { Dec } from '../domain/amount.js';
import type { CardCallbackResponse } from '../platform/feishu/lark-intake.js';
import type { Card } from '../platform/feishu/lark-client.js';
import { buildReportFormCard } from '../cards/report-form.card.js';
import type { CardNotice } from '../cards/elements.js';
import { buildReportSummaryCard } from '../cards/report-summary.card.js';
import { cycleSettings } from '../cycle/cycle-config.js';
import { localDay } from '../cards/format.js';
import { REPORT_FIELDS } from '../cards/card-actions.js';
import { sendOnce } from '../platform/feishu/outbound.js';
import { draftFromMessage } from '../platform/feishu/stored-message.js';
import { accessTo, canFile, findPerson, type Access } from '../registry/access.js';
import { loadFilingContext, type FilingContext } from './filing.repository.js';
import { filingBasis, formFromReport, noChangeForm } from './filing-basis.js';
import { loadReportCardInput } from '../cycle/report-card.data.js';
import { readTypedForm, validateReportForm, type FieldErrors, type TypedForm, type ValidReport } from './report-form.js';
import { summarizeReport } from './report-summary.js';
import { planReport, storeReport, type ReportPlan, type StoreInput, type StoredReport } from './report.store.js';
import { lockProject, readSubmission } from './filing.read.js';
import { bumpProject, writeReportOnce } from './report.write.js';
import { cardEventKey, claimInbound, DuplicateDelivery, recordAnswer } from '../platform/feishu/inbound-events.js';
import { answerCallback, AnsweredBefore, Refusal, reply, UNKNOWN_PERSON, type CallbackOrigin } from '../platform/feishu/callback-answer.js';
import { together } from '../db/together.js';
import type { JobSink } from '../platform/jobs/after-commit.js';
import type { CallbackDeps as SubmissionDeps } from '../platform/app-context.js';
import { enqueueProblemNotice } from '../problems/problem.notify.js';

export type { CallbackDeps as SubmissionDeps } from '../platform/app-context.js';
export type { CallbackOrigin } from '../platform/feishu/callback-answer.js';
export type Target = { projectId: number; cycleId: number };
export type SubmitMode = 'submit' | 'draft' | 'no_change';

const NOT_ALLOWED = '您不是该项目的负责人或联络员，不能填报此项目；如有疑问请联系项目中心';
const MISSING = '项目或调度期不存在，请联系项目中心';
const NOT_COVERED = '该项目不在本期调度范围内，无需填报';
const CLOSED_CORRECTION = '本期已截止，更正已提交的数据需由管理员办理，请联系项目中心';
const SAME_AS_STORED = '内容与已提交的一致，未产生新版本';

async function authorised(deps: SubmissionDeps, origin: CallbackOrigin, target: Target): Promise<Access | CardCallbackResponse> {
  const access = await accessTo(deps.db, origin.operator.id, target.projectId);
  if (canFile(access)) return access;
  deps.logger.warn({ personId: origin.operator.id, ...target }, 'card action by someone who may not file for the project');
  return reply('error', NOT_ALLOWED);
}

const isAnswer = (x: Access | CardCallbackResponse): x is CardCallbackResponse => 'toast' in x || 'card' in x;

/** The delivery a submission came in: its event, its card message, and who clicked (open_id as delivered, or the person already identified). */
export type SubmitCall = { eventId: string; messageId: string | null } & ({ openId: string } | { operator: Person });

/**
 * Stores a submitted form (or "本期无变化"): validated, attributed, once per callback event.
 *
 * A valid submission costs two statements, each atomic by itself, on no transaction: one read
 * (filing.read.ts: the recorded answer, the operator and their grants, the project and its row
 * version, the cycle, coverage, the report and its neighbours) and one write (report.write.ts:
 * the project row while still that version, the event's claim with its answer, the report, its
 * revision, the coverage status, the registry update). When the project row changed in between
 * (a submission for it was stored meanwhile) the write stores nothing and the submission is
 * decided again in a transaction holding the row's lock. So does one that raises a problem: the
 * ledger numbers it inside the transaction and the answer names the number (storeReport).
 * Follow-up work (the escalation recheck, a problem's notice) is enqueued after the commit.
 */
export async function submitReport(deps: SubmissionDeps, call: SubmitCall, target: Target, formValue: unknown, mode: SubmitMode): Promise<CardCallbackResponse> {
  const kind = `report.${mode}`;
  const attempt = (db: Kysely<Database>, afterCommit: JobSink, locked: boolean) => decideAndStore(deps, db, { call, target, formValue, mode, kind, afterCommit, locked });
  return answerCallback(deps, call.eventId, kind, async (afterCommit) => {
    const quick = await attempt(deps.db, afterCommit, false);
    if (quick !== AGAIN_LOCKED) return quick;
    return deps.db.transaction().execute(async (trx) => {
      await lockProject(trx, target.projectId);
      const answer = await attempt(trx, afterCommit, true);
      if (answer === AGAIN_LOCKED) throw new Error(`project ${target.projectId} changed while its row was locked`);
      return answer;
    });
  });
}

/** The submission has to be decided again holding the project's row lock. */
const AGAIN_LOCKED = Symbol('again, locked');

type Attempt = { call: SubmitCall; target: Target; formValue: unknown; mode: SubmitMode; kind: string; afterCommit: JobSink; locked: boolean };

async function decideAndStore(deps: SubmissionDeps, db: Kysely<Database>, a: Attempt): Promise<CardCallbackResponse | typeof AGAIN_LOCKED> {
  const { call, target, mode, kind, afterCommit } = a;
  const { tz } = cycleSettings(deps.config);
  const key = cardEventKey(call.eventId);
  const operatorRef = 'openId' in call ? { openId: call.openId } : { personId: call.operator.id };
  const read = await readSubmission(db, { eventKey: key, operator: operatorRef, projectId: target.projectId, cycleId: target.cycleId });
  if (read.answer) throw new AnsweredBefore(read.answer);
  const operator = read.person;
  if (!operator) {
    deps.logger.warn({ eventId: call.eventId, action: kind }, 'card action by someone not in the registry');
    throw new Refusal(reply('error', UNKNOWN_PERSON), 'operator not in the registry');
  }
  const access: Access = { owner: read.project !== undefined && read.project.owner_id === operator.id, delegate: read.delegate, admin: read.admin };
  if (!canFile(access)) {
    deps.logger.warn({ personId: operator.id, ...target }, 'card action by someone who may not file for the project');
    throw new Refusal(reply('error', NOT_ALLOWED), 'may not file for the project');
  }
  const ctx = read.ctx;
  if (!ctx || read.version === null) throw new Refusal(reply('error', MISSING), 'project or cycle not found');
  if (!ctx.covered) throw new Refusal(reply('error', NOT_COVERED), 'project not covered by cycle');
  // Late is decided by the clock, not only by the close job having run: a report filed after
  // due_at is late (and a correction then needs an admin) even while the cycle is still open.
  const at = deps.now();
  const late = pastDue(ctx.cycle, at);
  if (ctx.existing && late && !access.admin) throw new Refusal(reply('error', CLOSED_CORRECTION), 'correction after close needs an admin');

  const typed = mode === 'no_change' ? noChangeForm(ctx) : readTypedForm(a.formValue);
  const check = validateReportForm(typed, filingBasis(ctx));
  if (!check.ok) {
    const card = await formCard(db, deps, ctx, { typed, errors: check.errors, draft: mode === 'draft' });
    const first = Object.values(check.errors).find(Boolean) ?? '提交未成功，请按卡片提示修改';
    throw new Refusal(reply('error', first, card), `invalid form: ${Object.keys(check.errors).join(', ')}`);
  }
  const once = { eventKey: key, kind, cycleId: ctx.cycle.id, projectId: ctx.project.id, late, version: read.version };

  if (ctx.existing && sameAsStored(ctx.existing, check.report, mode === 'no_change')) {
    // A double-click on 提交 (a new event, so not de-duplicated by event id): nothing new to keep.
    const card = summaryCardOf(deps, ctx, ctx.existing, { submitter: read.existingSubmitter, photos: read.existingPhotos, problem: null });
    const answer = reply('info', SAME_AS_STORED, card);
    const written = await writeReportOnce(db, { ...once, answer, plan: null });
    if (written.kind === 'stale') return a.locked ? staleWhileLocked(target) : AGAIN_LOCKED;
    if (written.kind === 'duplicate') throw new DuplicateDelivery(key);
    deps.logger.info({ reportId: ctx.existing.id, ...target }, 'submission identical to the stored report, no new revision');
    return answer;
  }
  const input: StoreInput = {
    ctx,
    report: check.report,
    noChange: mode === 'no_change',
    personId: operator.id,
    at,
    tz,
    via: mode === 'draft' ? 'chat' : 'card',
    late,
    sourceMessageId: call.messageId,
    sourceEventId: call.eventId,
  };
  let stored: StoredReport;
  let answer: CardCallbackResponse;
  // Whether the escalation recheck can find anything to resolve (see below).
  let recheck = true;
  if (check.report.problem) {
    if (!a.locked) return AGAIN_LOCKED;
    if (!(await claimInbound(db, key, kind))) throw new DuplicateDelivery(key);
    stored = await storeReport(db as Transaction<Database>, input);
    await bumpProject(db, ctx.project.id);
    if (stored.problem) await enqueueProblemNotice(afterCommit, stored.problem.id, stored.problem.eventId);
    const current = await db.selectFrom('reports').selectAll().where('id', '=', stored.reportId).executeTakeFirstOrThrow();
    answer = reply('success', toastFor(stored), await summaryCard(db, deps, ctx, current, stored));
    await recordAnswer(db as Transaction<Database>, key, answer);
  } else {
    const plan = planReport(input);
    stored = { reportId: plan.reportId ?? 0, revision: plan.revision, late: plan.reportLate, problem: null };
    const photos = plan.reportId === null ? 0 : read.existingPhotos;
    answer = reply('success', toastFor(stored), summaryCardOf(deps, ctx, reportAfter(plan), { submitter: operator.name, photos, problem: null }));
    const written = await writeReportOnce(db, { ...once, answer, plan });
    if (written.kind === 'stale') return a.locked ? staleWhileLocked(target) : AGAIN_LOCKED;
    if (written.kind === 'duplicate') throw new DuplicateDelivery(key);
    stored.reportId = written.reportId;
    // A write that ends once the cycle is due may have raced the close deciding its project's cases,
    // and this statement cannot see a case stored after it began: it always rechecks (escalateAtClose).
    recheck = written.escalated || pastDue(ctx.cycle, deps.now());
  }
  // The escalation feature (above this one) listens on its job, enqueued once this write commits.
  // A project with no open escalation when its (on-time) report was written has nothing a recheck
  // could resolve (recheckProjects looks at open ones only), so most submissions enqueue no job:
  // the job cost the serving process a Redis script to add it and a worker run with its statement.
  if (recheck) await afterCommit.enqueue('escalation.recheck', { projectId: target.projectId });
  deps.logger.info({ reportId: stored.reportId, revision: stored.revision, late: stored.late, problem: stored.problem?.number, ...target }, 'report stored');
  return answer;
}

function staleWhileLocked(target: Target): never {
  throw new Error(`project ${target.projectId} changed while its row was locked`);
}

/** The report as stored by `plan`, as far as its summary card shows it; amounts at the columns' scale, as read back. */
function reportAfter(plan: ReportPlan): CardReport {
  const f = plan.fields;
  const scaled = (v: string) => new Dec(v).toFixed(4);
  return {
    period_investment: scaled(f.period_investment),
    ytd_investment: scaled(f.ytd_investment),
    stage: f.stage,
    started: f.started,
    completed: f.completed,
    registered: f.registered,
    progress: f.progress,
    revision: plan.revision,
    late: plan.reportLate,
    no_change: f.no_change,
    submitted_at: f.submitted_at,
  };
}

/** Past the deadline: after due_at by the clock, or closed (the close may also have come early). */
function pastDue(cycle: Pick<Cycle, 'state' | 'due_at'>, at: Date): boolean {
  return cycle.state === 'closed' || at.getTime() >= cycle.due_at.getTime();
}

/** Whether a validated submission would store exactly the current report again (and raises no problem). */
function sameAsStored(existing: Report, r: ValidReport, noChange: boolean): boolean {
  return (
    r.problem === null &&
    new Dec(existing.period_investment).eq(r.periodInvestment) &&
    new Dec(existing.ytd_investment).eq(r.ytd) &&
    existing.stage === r.stage &&
    existing.started === r.started &&
    existing.completed === r.completed &&
    existing.registered === r.registered &&
    existing.progress === r.progress &&
    existing.no_change === noChange
  );
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
  if (pastDue(ctx.cycle, deps.now()) && !access.admin) return reply('error', CLOSED_CORRECTION);
  if (!ctx.existing) return { card: { type: 'raw', data: await formCard(deps.db, deps, ctx, {}) } };
  const notice: CardNotice = { level: 'info', text: '修改后点击“提交”，将保存为新的版本，原数据保留备查' };
  return { card: { type: 'raw', data: await formCard(deps.db, deps, ctx, { typed: formFromReport(ctx), notice }) } };
}

/**
 * "填报" on a list (the consolidated prompt, 我的项目): the list stays as it is — it is the owner's
 * overview — and this project's form (once filed, its summary) comes as a new message, sent by a
 * job so the callback stays quick. On a chat "which project?" card (`draftOf`: the message the
 * note came from) that card becomes the form, pre-filled from the note as stored at intake.
 */
export async function pickReport(deps: SubmissionDeps, origin: CallbackOrigin, target: Target & { draftOf?: string | undefined }): Promise<CardCallbackResponse> {
  const access = await authorised(deps, origin, target);
  if (isAnswer(access)) return access;
  const ctx = await loadFilingContext(deps.db, target.projectId, target.cycleId);
  if (!ctx) return reply('error', MISSING);
  if (!ctx.covered) return reply('error', NOT_COVERED);
  if (target.draftOf === undefined) {
    const job = { cycleId: target.cycleId, projectId: target.projectId, personId: origin.operator.id };
    await deps.queues.enqueue('pick.send', job, { jobId: `pick-send-${origin.eventId}` });
    return ctx.existing
      ? reply('info', `「${ctx.project.name}」本期已填报，已发送填报结果；如需更正请点其中的“修改”`)
      : reply('info', `已发送「${ctx.project.name}」的填报卡片`);
  }
  if (ctx.existing) return reply('info', '本期已填报，如需更正请点“修改”', await summaryCard(deps.db, deps, ctx, ctx.existing, null));
  const draft = await draftFromMessage(deps.db, target.draftOf, origin.operator.open_id ?? '');
  if (!draft) return reply('error', '找不到这条进展消息（可能已过期），请重新发送；或发送“填报”获取卡片');
  return { card: { type: 'raw', data: await draftFormCard(deps.db, deps, ctx, draft) } };
}

/** The pick job ('pick.send'): the form, or the summary once filed, to the person who picked — once. */
export async function sendPickedCard(deps: SubmissionDeps & Pick<AppContext, 'lark'>, p: Target & { personId: number }): Promise<void> {
  const person = await findPerson(deps.db, p.personId);
  const ctx = await loadFilingContext(deps.db, p.projectId, p.cycleId);
  if (!person?.open_id || !ctx) {
    deps.logger.warn({ ...p }, 'picked card not sent: person without open_id, or project/cycle gone');
    return;
  }
  const card = ctx.existing ? await summaryCard(deps.db, deps, ctx, ctx.existing, null) : await formCard(deps.db, deps, ctx, {});
  // Per person: the owner and a delegate each get their own; a repeated click gets nothing new.
  await sendOnce(deps, {
    key: `pick:c${p.cycleId}:p${p.projectId}:u${p.personId}`,
    kind: 'pick.form',
    receiveId: person.open_id,
    personId: p.personId,
    projectId: p.projectId,
    cycleId: p.cycleId,
    card,
  });
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
  // `db` is the submission's transaction when a problem is filed with the report.
  const [submitter, photos, department] = await together([
    findPerson(db, report.submitted_by),
    db.selectFrom('report_photos').select((eb) => eb.fn.countAll<string>().as('n')).where('report_id', '=', report.id).executeTakeFirstOrThrow(),
    stored?.problem?.departmentId
      ? db.selectFrom('departments').select('name').where('id', '=', stored.problem.departmentId).executeTakeFirst()
      : Promise.resolve(undefined),
  ]);
  const problem = stored?.problem ? await problemLine(db, stored, department?.name ?? null) : null;
  return summaryCardOf(deps, ctx, report, { submitter: submitter?.name ?? null, photos: Number(photos.n), problem });
}

/** What the summary card shows of a report. */
type CardReport = Pick<
  Report,
  'period_investment' | 'ytd_investment' | 'stage' | 'started' | 'completed' | 'registered' | 'progress' | 'revision' | 'late' | 'no_change' | 'submitted_at'
>;

/** The summary card from what is known already: pure, no statement. */
function summaryCardOf(
  deps: SubmissionDeps,
  ctx: FilingContext,
  report: CardReport,
  o: { submitter: string | null; photos: number; problem: Awaited<ReturnType<typeof problemLine>> | null },
): Card {
  const { tz, thresholds } = cycleSettings(deps.config);
  const summary = summarizeReport({
    kind: ctx.cycle.kind,
    periodKey: ctx.cycle.period_key,
    periodInvestment: report.period_investment,
    ytd: report.ytd_investment,
    annualPlan: ctx.project.annual_plan,
    started: report.started,
    startedOn: ctx.project.started_on,
    registered: report.registered,
    plannedStart: ctx.project.planned_start,
    asOfDay: localDay(deps.now(), tz),
    exemption: ctx.exemption,
    revision: report.revision,
    late: report.late,
    noChange: report.no_change,
    thresholds,
  });
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
      submittedBy: o.submitter ?? '未知',
    },
    problem: o.problem,
    photos: o.photos,
  });
}

async function problemLine(db: Kysely<Database>, stored: StoredReport, department: string | null) {
  const p = await db.selectFrom('problems').select(['category', 'needs_city_coordination']).where('id', '=', stored.problem!.id).executeTakeFirstOrThrow();
  return { number: stored.problem!.number, category: p.category, department, needsCityCoordination: p.needs_city_coordination };
}
