// 'problem.notify': after a step in the ledger, the other side hears of it. Raised or sent back →
// the responsible department's contact gets the card to accept it; accepted or resolved → the
// owner (and whoever raised it, if someone else) gets the card to follow or confirm it;
// confirmed → the department hears it is closed. A problem no contact can be told about goes to
// the admins, so it is never silently stuck.
import type { AppContext } from '../platform/app-context.js';
import { sendOnce } from '../platform/feishu/outbound.js';
import type { JobSink } from '../platform/jobs/after-commit.js';
import { buildDepartmentProblemCard, buildOwnerProblemCard } from '../cards/problem.card.js';
import type { CardNotice } from '../cards/elements.js';
import { cycleSettings } from '../cycle/cycle-config.js';
import { AppError } from '../errors.js';
import { findProblem, type ProblemRecord } from './problem.repository.js';

export type NotifyDeps = Pick<AppContext, 'db' | 'lark' | 'queues' | 'logger' | 'config'>;

/**
 * Hands the notice to `jobs`: inside a callback write that is its after-commit collector
 * (writeOncePerEvent), so the job is enqueued once the problem event is committed and finds it
 * on its first attempt.
 */
export async function enqueueProblemNotice(jobs: JobSink, problemId: number, eventId: string): Promise<void> {
  await jobs.enqueue('problem.notify', { problemId, event: eventId }, { jobId: `problem-${eventId}` });
}

export async function notifyProblem(deps: NotifyDeps, problemId: number, eventId: string): Promise<{ sent: number }> {
  const event = /^\d+$/.test(eventId)
    ? await deps.db.selectFrom('problem_events').select(['action', 'note']).where('id', '=', eventId).where('problem_id', '=', problemId).executeTakeFirst()
    : undefined;
  const problem = await findProblem(deps.db, problemId);
  if (!event || !problem) {
    // Enqueued after the commit, so a missing row is not a matter of waiting: do not retry.
    throw new AppError('NOT_FOUND', `problem ${problemId} event ${eventId} not found`, { retryable: false });
  }
  const { tz } = cycleSettings(deps.config);
  const send = new Sender(deps, problem, eventId);
  switch (event.action) {
    case 'raised':
      await send.toDepartment(buildDepartmentProblemCard(problem, { tz, notice: { level: 'info', text: '项目方提出了需要贵单位协调的问题，请受理' } }));
      break;
    case 'reopened':
      await send.toDepartment(buildDepartmentProblemCard(problem, { tz, notice: { level: 'error', text: `项目方退回了办结结果：${event.note ?? ''}` } }));
      break;
    case 'accepted':
      await send.toOwners(buildOwnerProblemCard(problem, { tz, notice: notice('info', `${problem.department ?? '责任单位'}已受理，正在协调办理`) }));
      break;
    case 'resolved':
      await send.toOwners(buildOwnerProblemCard(problem, { tz, notice: notice('info', `${problem.department ?? '责任单位'}已办结，请确认是否解决`) }));
      break;
    case 'confirmed':
      await send.toDepartment(buildDepartmentProblemCard(problem, { tz, notice: notice('info', '项目方已确认问题解决，问题闭环') }));
      break;
    default:
      // 'noted' / 'escalated' belong to the escalation side, which tells its own audience.
      deps.logger.debug({ problemId, action: event.action }, 'problem event needs no notice here');
  }
  return { sent: send.sent };
}

const notice = (level: CardNotice['level'], text: string): CardNotice => ({ level, text });

class Sender {
  sent = 0;
  constructor(
    private readonly deps: NotifyDeps,
    private readonly problem: ProblemRecord,
    private readonly eventId: string,
  ) {}

  async toDepartment(card: Record<string, unknown>): Promise<void> {
    const contactId = this.problem.departmentContactId;
    const contact = contactId ? await this.person(contactId) : undefined;
    if (!contact?.open_id) {
      const why = this.problem.department ? `${this.problem.department}没有可通知的联系人` : '没有匹配到责任单位';
      this.deps.logger.warn({ problemId: this.problem.id, departmentId: this.problem.departmentId }, 'problem has no reachable department contact; admins told');
      await this.deps.queues.enqueue(
        'admin.notify',
        { key: `problem-${this.eventId}`, text: `问题 ${this.problem.number}（${this.problem.project.name}）${why}，请在问题台账中指定责任单位或联系人。` },
        { jobId: `admin-problem-${this.eventId}` },
      );
      return;
    }
    await this.send(contact.id, contact.open_id, card);
  }

  /** The project's owner and, when someone else (a delegate) raised it, that person too. */
  async toOwners(card: Record<string, unknown>): Promise<void> {
    const ids = [...new Set([this.problem.ownerId, this.problem.raisedById].filter((x): x is number => x !== null))];
    for (const id of ids) {
      const p = await this.person(id);
      if (p?.open_id) await this.send(p.id, p.open_id, card);
      else this.deps.logger.warn({ problemId: this.problem.id, personId: id }, 'problem notice recipient has no open_id');
    }
  }

  private person(id: number) {
    return this.deps.db.selectFrom('people').select(['id', 'open_id']).where('id', '=', id).executeTakeFirst();
  }

  private async send(personId: number, openId: string, card: Record<string, unknown>): Promise<void> {
    const r = await sendOnce(this.deps, {
      key: `problem:${this.problem.id}:e${this.eventId}:p${personId}`,
      kind: 'problem.notify',
      receiveId: openId,
      personId,
      projectId: this.problem.projectId,
      card,
    });
    if (!r.alreadySent) this.sent++;
  }
}
