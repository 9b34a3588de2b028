// Sends one owner's cards for a cycle: the prompt at open, the reminder, the last call at the
// due time. Every message goes through sendOnce with a key naming (cycle, project or owner,
// kind), so a retried job, a restarted worker or a second enqueue never sends a card twice.
//
// One card per project, or one consolidated list (see consolidated-prompt.card.ts for why) when
// the owner covers more than CONSOLIDATE_ABOVE projects in the cycle. The choice is made on the
// frozen coverage, not on what is still missing, so a retry after a partial send — or a reminder
// after the prompt — takes the same shape as the first attempt.
import pLimit from 'p-limit';
import type { AppContext } from '../platform/app-context.js';
import { sendEachOnce, type OutboundMessage, type SendOutcome } from '../platform/feishu/outbound.js';
import { addToExpiringSet, prefixedKey } from '../platform/redis-state.js';
import { buildReportFormCard, type ReportFormCardInput } from '../cards/report-form.card.js';
import type { CardNotice } from '../cards/elements.js';
import { buildConsolidatedPromptCard, consolidatedPages } from '../cards/consolidated-prompt.card.js';
import { reminderNotice } from '../cards/reminder.card.js';
import type { ReportStatus } from '../db/schema.js';
import { AppError, isAppError } from '../errors.js';
import { cycleSettings } from './cycle-config.js';
import { ownerInCycle, ownersInCycle, type OwnerInCycle } from './cycle.repository.js';
import { consolidatedRow, loadReportCardInputs } from './report-card.data.js';
import { messageKeys } from './job-ids.js';

export type PromptDeps = Pick<AppContext, 'db' | 'lark' | 'redis' | 'config' | 'logger' | 'now'>;

export type OwnerSendResult = {
  /** Messages Feishu accepted in this run. */
  sent: number;
  /** Messages the outbound log already held as sent. */
  alreadySent: number;
  skipped?: 'unmatched' | 'nothing-to-report' | 'cycle-closed';
};

/** Redis set of owners skipped for want of an open_id, so the tick can prompt them once matched. */
export function unmatchedOwnersKey(prefix: string, cycleId: number): string {
  return prefixedKey(prefix, 'cycle', cycleId, 'unmatched-owners');
}
// Long enough to outlive any monthly cycle; the set only matters while its cycle is open.
const UNMATCHED_TTL_SECONDS = 62 * 24 * 3600;

type Mode = { kind: 'prompt' } | { kind: 'reminder'; final: boolean };

/**
 * The cycle, the owner and the owner's projects in one statement; a cycle or person that does not
 * exist is a job that will never succeed (not retryable).
 */
async function loadOwnerInCycle(deps: PromptDeps, cycleId: number, ownerId: number): Promise<OwnerInCycle & { owner: NonNullable<OwnerInCycle['owner']> }> {
  const loaded = await ownerInCycle(deps.db, cycleId, ownerId);
  if (!loaded) throw new AppError('NOT_FOUND', `cycle ${cycleId} not found`);
  if (!loaded.owner) throw new AppError('NOT_FOUND', `person ${ownerId} not found`);
  return { ...loaded, owner: loaded.owner };
}

/** The prompt at open: every project the owner still has to report in this cycle. */
export async function sendOwnerPrompts(deps: PromptDeps, cycleId: number, ownerId: number): Promise<OwnerSendResult> {
  const loaded = await ownerInCycle(deps.db, cycleId, ownerId);
  if (!loaded) throw new AppError('NOT_FOUND', `cycle ${cycleId} not found`);
  if (loaded.cycle.state !== 'open') return { sent: 0, alreadySent: 0, skipped: 'cycle-closed' };
  if (!loaded.owner) throw new AppError('NOT_FOUND', `person ${ownerId} not found`);
  return sendOwnerCards(deps, { ...loaded, owner: loaded.owner }, ['pending'], { kind: 'prompt' });
}

/**
 * A reminder to an owner who has not reported everything: the first one names what is pending;
 * the last one, at the due time, also what was marked missed by the close (it may run just
 * after it), and buzzes the owner (加急) once.
 */
export async function sendOwnerReminder(deps: PromptDeps, cycleId: number, ownerId: number, final: boolean): Promise<OwnerSendResult> {
  const loaded = await loadOwnerInCycle(deps, cycleId, ownerId);
  return sendOwnerCards(deps, loaded, final ? ['pending', 'missed'] : ['pending'], { kind: 'reminder', final });
}

type LoadedOwner = OwnerInCycle & { owner: NonNullable<OwnerInCycle['owner']> };

async function sendOwnerCards(deps: PromptDeps, loaded: LoadedOwner, statuses: ReportStatus[], mode: Mode): Promise<OwnerSendResult> {
  const plan = await planOwnerCards(deps, loaded, statuses, mode);
  if ('skipped' in plan) return plan.skipped;
  const inputs = await loadReportCardInputs(deps.db, cycleSettings(deps.config), loaded.cycle, plan.todo, deps.now());
  const messages = ownerMessages(deps, loaded, plan.todo, inputs, mode);
  return settleOwner(deps, loaded, mode, messages, await sendEachOnce(deps, messages));
}

/** Before any card is built: nobody to send to, nothing to report, or the projects to report on. */
async function planOwnerCards(deps: PromptDeps, { cycle, owner, projects }: LoadedOwner, statuses: ReportStatus[], mode: Mode): Promise<{ skipped: OwnerSendResult } | { todo: number[] }> {
  if (!owner.openId) {
    // Not matched to a Feishu user yet: nobody to send to. Remembered so the open tick prompts
    // the owner as soon as a match appears; `cycle status` lists such owners from the database.
    if (mode.kind === 'prompt') {
      const key = unmatchedOwnersKey(deps.config.QUEUE_PREFIX, cycle.id);
      await addToExpiringSet(deps.redis, key, owner.id, UNMATCHED_TTL_SECONDS);
    }
    deps.logger.info({ cycleId: cycle.id, ownerId: owner.id, mode: mode.kind }, 'owner has no open_id; skipped');
    return { skipped: { sent: 0, alreadySent: 0, skipped: 'unmatched' } };
  }
  const todo = projects.filter((p) => statuses.includes(p.status)).map((p) => p.projectId);
  if (todo.length === 0) return { skipped: { sent: 0, alreadySent: 0, skipped: 'nothing-to-report' } };
  return { todo };
}

/** An owner's cards, built: one per project, or the consolidated list's pages. */
function ownerMessages(deps: PromptDeps, { cycle, owner, projects: all }: LoadedOwner, todo: number[], inputs: Map<number, ReportFormCardInput>, mode: Mode): OutboundMessage[] {
  const settings = cycleSettings(deps.config);
  const ownerId = owner.id;
  const ordered = todo.flatMap((id) => inputs.get(id) ?? []);
  const notice: CardNotice | undefined =
    mode.kind === 'reminder' ? reminderNotice({ final: mode.final, dueAt: cycle.due_at, tz: settings.tz, missing: ordered.map((i) => i.project.name) }) : undefined;
  const kind = mode.kind === 'prompt' ? 'prompt' : mode.final ? 'final-reminder' : 'reminder';
  const target = { kind, receiveId: owner.openId!, personId: owner.id, cycleId: cycle.id };

  // Every card is built first and the owner's cards go through the outbound log together (two
  // statements for all of them, see sendEachOnce); one card refused (a permanent Feishu error on
  // one project) does not keep the others from going out, and the failures are reported after.
  const messages: OutboundMessage[] = [];
  if (all.length > settings.consolidateAbove) {
    const pages = consolidatedPages(ordered.map(consolidatedRow));
    for (const [i, rows] of pages.entries()) {
      const card = buildConsolidatedPromptCard({
        cycle: { id: cycle.id, kind: cycle.kind, periodKey: cycle.period_key, dueAt: cycle.due_at },
        tz: settings.tz,
        rows,
        total: ordered.length,
        page: { index: i + 1, count: pages.length },
        notice,
      });
      const key = mode.kind === 'prompt'
        ? messageKeys.consolidatedPrompt(cycle.id, ownerId, i + 1)
        : messageKeys.consolidatedReminder(cycle.id, ownerId, i + 1, mode.final);
      messages.push({ ...target, key, card, projectId: null });
    }
  } else {
    for (const input of ordered) {
      const key = mode.kind === 'prompt' ? messageKeys.prompt(cycle.id, input.project.id) : messageKeys.reminder(cycle.id, input.project.id, mode.final);
      messages.push({ ...target, key, card: buildReportFormCard({ ...input, notice }), projectId: input.project.id });
    }
  }
  return messages;
}

/** What the sends of an owner's cards came to; throws sendFailure when some did not go out. */
async function settleOwner(deps: PromptDeps, { cycle, owner }: LoadedOwner, mode: Mode, messages: OutboundMessage[], outcomes: SendOutcome[]): Promise<OwnerSendResult> {
  const log = deps.logger.child({ cycleId: cycle.id, ownerId: owner.id, mode: mode.kind });
  const result: OwnerSendResult = { sent: 0, alreadySent: 0 };
  let firstNewMessage: string | undefined;
  const failures: { key: string; error: unknown }[] = [];
  for (const [i, outcome] of outcomes.entries()) {
    if ('error' in outcome) {
      failures.push({ key: outcome.key, error: outcome.error });
      const e = outcome.error;
      log.warn({ key: outcome.key, projectId: messages[i].projectId, err: (e as Error).message, code: isAppError(e) ? e.code : undefined }, 'card not sent; trying the owner’s other cards');
    } else if (outcome.result.alreadySent) result.alreadySent++;
    else {
      result.sent++;
      firstNewMessage ??= outcome.result.messageId;
    }
  }

  if (mode.kind === 'reminder' && mode.final && firstNewMessage && owner.openId) {
    // The last call also buzzes (加急). Only on a first send, so a retried job does not buzz
    // again; a failure here must not fail the job and resend nothing.
    try {
      await deps.lark.urgentApp({ messageId: firstNewMessage, openIds: [owner.openId] });
    } catch (e) {
      log.warn({ err: (e as Error).message }, 'urgent_app failed; the final reminder was sent without a buzz');
    }
  }
  log.info({ sent: result.sent, alreadySent: result.alreadySent, failed: failures.length, cards: messages.length }, 'owner cards sent');
  if (failures.length > 0) throw sendFailure(failures, result);
  return result;
}

export type OwnerOutcome = { result: OwnerSendResult } | { error: unknown };

/**
 * The prompts at open for several owners at once (a 'prompt.batch' job), each owner's cards as
 * sendOwnerPrompts would send them, with the statements shared: one loads the cycle and every
 * owner's projects, one set the card data of all their projects, one claims every card in the
 * outbound log and one records every outcome — where one owner at a time took all of those
 * each. One owner's failure touches no other: each owner's outcome comes back on its own.
 */
export async function sendPromptsOfOwners(deps: PromptDeps, cycleId: number, ownerIds: number[]): Promise<Map<number, OwnerOutcome>> {
  const out = new Map<number, OwnerOutcome>();
  const perOwner = await preparing(() => prepareOwnersPrompts(deps, cycleId, ownerIds, out));
  if (perOwner.length === 0) return out;
  const outcomes = await sendEachOnce(deps, perOwner.flatMap((p) => p.messages));
  let at = 0;
  for (const p of perOwner) {
    const mine = outcomes.slice(at, at + p.messages.length);
    at += p.messages.length;
    try {
      out.set(p.loaded.owner.id, { result: await settleOwner(deps, p.loaded, { kind: 'prompt' }, p.messages, mine) });
    } catch (e) {
      out.set(p.loaded.owner.id, { error: e });
    }
  }
  return out;
}

/**
 * Batches prepare (the cycle and owners, the card data, the cards) one at a time in a
 * process, and send as many at a time as the worker runs. All twenty of an open's first batches
 * preparing at once shared the event loop and the pool, so none had a card ready before about
 * a second (the first card at 1.2-1.4 s at 500/s, 8% of a 20 s fan-out); one at a time, the first
 * sends at once while the next prepares, and preparing (tens of ms a batch) stays ahead of sending
 * (a batch's slots last hundreds).
 */
const preparing = pLimit(1);

type PreparedOwner = { loaded: LoadedOwner; todo: number[]; messages: OutboundMessage[] };

/** The owners' cards to send, built; owners with nothing to send or failing get their outcome in `out`. */
async function prepareOwnersPrompts(deps: PromptDeps, cycleId: number, ownerIds: number[], out: Map<number, OwnerOutcome>): Promise<PreparedOwner[]> {
  const loaded = await ownersInCycle(deps.db, cycleId, ownerIds);
  if (!loaded) throw new AppError('NOT_FOUND', `cycle ${cycleId} not found`);
  const { cycle } = loaded;
  if (cycle.state !== 'open') {
    for (const id of ownerIds) out.set(id, { result: { sent: 0, alreadySent: 0, skipped: 'cycle-closed' } });
    return [];
  }
  const planned: { loaded: LoadedOwner; todo: number[] }[] = [];
  for (const id of ownerIds) {
    const entry = loaded.owners.get(id)!;
    if (!entry.owner) {
      out.set(id, { error: new AppError('NOT_FOUND', `person ${id} not found`) });
      continue;
    }
    const one: LoadedOwner = { cycle, owner: entry.owner, projects: entry.projects };
    try {
      const plan = await planOwnerCards(deps, one, ['pending'], { kind: 'prompt' });
      if ('skipped' in plan) out.set(id, { result: plan.skipped });
      else planned.push({ loaded: one, todo: plan.todo });
    } catch (e) {
      out.set(id, { error: e });
    }
  }
  if (planned.length === 0) return [];
  const inputs = await loadReportCardInputs(deps.db, cycleSettings(deps.config), cycle, planned.flatMap((p) => p.todo), deps.now());
  return planned.map((p) => ({ ...p, messages: ownerMessages(deps, p.loaded, p.todo, inputs, { kind: 'prompt' }) }));
}

/**
 * The error a job ends with when some of an owner's cards failed: permanent (no retry) only if
 * every failure is, else retryable, so the job runs again — the cards already sent are skipped
 * by sendOnce, and a permanently refused one is simply tried again with the rest.
 */
export function sendFailure(failures: { key: string; error: unknown }[], result: OwnerSendResult): AppError {
  const isPermanent = (e: unknown) => isAppError(e) && !e.retryable;
  const permanent = failures.every((f) => isPermanent(f.error));
  // The error that decides: the first retryable one, if any.
  const lead = (failures.find((f) => !isPermanent(f.error)) ?? failures[0]).error;
  const what =
    `${failures.length} card(s) not sent (${failures.map((f) => f.key).join(', ')}); ${result.sent} sent, ${result.alreadySent} already sent: ` +
    (lead instanceof Error ? lead.message : String(lead));
  return new AppError(isAppError(lead) ? lead.code : 'INTERNAL', what, { cause: lead, retryable: !permanent });
}
