// What the bot does with what Feishu delivers, webhook and long connection alike (lark-intake.ts
// has verified the delivery before these run). Card callbacks are answered within the deadline;
// chat messages are recorded and queued (chat.service.ts says why).
import type { AppContext } from '../platform/app-context.js';
import type { CardCallbackResponse, IntakeHandlers, LarkBotAddedEvent, LarkCardActionEvent } from '../platform/feishu/lark-intake.js';
import { withLogContext } from '../logger.js';
import { acceptMessage } from '../chat/chat.service.js';
import { reply } from '../platform/feishu/callback-answer.js';
import { buildNoticeCard } from '../cards/notice.card.js';
import { routeCardAction } from './card-action.router.js';
import { answerWithin } from '../platform/feishu/deadline.js';
import { IntakeGate } from '../platform/feishu/intake-gate.js';
import { sinceArrivalMs } from '../platform/feishu/arrival.js';

/** Feishu allows 3 s; half a second is left for the network and the SDK's signature check. */
export const CALLBACK_BUDGET_MS = 2500;
/** A delayed update sent before (or with) the callback answer fails or is reverted (docs/feishu.md §2). */
const LATE_UPDATE_DELAY_MS = 1000;

export type IntakeHandlerOptions = { callbackBudgetMs?: number; gate?: IntakeGate | null };

/** The refusal under load: nothing was stored, and tapping again later works. */
export const BUSY_TEXT = '系统繁忙，请稍后再试';

export function createIntakeHandlers(ctx: AppContext, opts: IntakeHandlerOptions = {}): IntakeHandlers {
  const budget = opts.callbackBudgetMs ?? CALLBACK_BUDGET_MS;
  const gate = opts.gate !== undefined ? opts.gate : intakeGateFor(ctx.config, budget);
  const answer = (evt: LarkCardActionEvent) =>
    gate
      ? gate.run(
          (waitedMs) => answerCardAction(ctx, evt, budget - (sinceArrivalMs() ?? waitedMs)),
          () => {
            ctx.logger.warn({ eventId: evt.event_id, ...gate.stats() }, 'card action refused: too many in flight');
            return reply('error', BUSY_TEXT);
          },
        )
      : answerCardAction(ctx, evt, budget - (sinceArrivalMs() ?? 0));
  return {
    onMessage: (evt) => withLogContext({ eventId: evt.event_id }, () => acceptMessage(ctx, evt)),
    onBotAdded: (evt) => withLogContext({ eventId: evt.event_id }, () => acceptBotAdded(ctx, evt)),
    onCardAction: (evt) => {
      // The long connection reaches here without the webhook's checks: no event id, no
      // exactly-once key, so nothing is done (the webhook refuses such a delivery with a 400).
      if (typeof evt.event_id !== 'string' || evt.event_id === '') {
        ctx.logger.warn({ operator: evt.operator?.open_id }, 'card action without an event id refused');
        return Promise.resolve(reply('error', '无法识别本次操作，未保存，请重试'));
      }
      return withLogContext({ eventId: evt.event_id }, () => answer(evt));
    },
  };
}

/** Added to a group: the how-to-bind note is posted by a job, keyed by the event so a re-delivery posts nothing. */
async function acceptBotAdded(ctx: AppContext, evt: LarkBotAddedEvent): Promise<void> {
  if (typeof evt.event_id !== 'string' || evt.event_id === '' || typeof evt.chat_id !== 'string' || evt.chat_id === '') {
    ctx.logger.warn({ eventId: evt.event_id }, 'bot added event without event id or chat id; ignored');
    return;
  }
  ctx.logger.info({ chatId: evt.chat_id, by: evt.operator_id?.open_id }, 'bot added to a group');
  await ctx.queues.enqueue('league.welcome', { chatId: evt.chat_id, eventId: evt.event_id }, { jobId: `league-welcome-${evt.event_id}` });
}

/** The configured gate, its wait kept well inside the callback budget; none when the limit is 0. */
export function intakeGateFor(config: Pick<AppContext['config'], 'INTAKE_MAX_IN_FLIGHT' | 'INTAKE_MAX_WAIT_MS'>, budget = CALLBACK_BUDGET_MS): IntakeGate | null {
  if (config.INTAKE_MAX_IN_FLIGHT <= 0) return null;
  return new IntakeGate({ maxInFlight: config.INTAKE_MAX_IN_FLIGHT, maxWaitMs: Math.min(config.INTAKE_MAX_WAIT_MS, budget / 2) });
}

async function answerCardAction(ctx: AppContext, evt: LarkCardActionEvent, budget: number): Promise<CardCallbackResponse> {
  const log = ctx.logger;
  try {
    return await answerWithin(
      routeCardAction(ctx, evt),
      budget,
      () => {
        log.warn({ eventId: evt.event_id, budgetMs: budget }, 'card action slower than its budget; answered early, card follows');
        return reply('info', '已收到，正在保存');
      },
      async (late) => deliverLate(ctx, evt, late),
      (e) => {
        log.error({ eventId: evt.event_id, err: (e as Error).message }, 'card action failed after the early answer');
        void deliverLateFailure(ctx, evt);
      },
    );
  } catch (e) {
    // Never a non-200: Feishu would show the user a bare error code (200671).
    log.error({ eventId: evt.event_id, err: (e as Error).message }, 'card action failed');
    return reply('error', NOT_SAVED_TEXT);
  }
}

/** The answer when the work failed in time (e.g. the database restarted): its transaction rolled back. */
export const NOT_SAVED_TEXT = '系统繁忙，本次操作未保存，请稍后重试';

/** Said on the card when the work failed after the interim "已收到，正在保存": nothing was saved. */
export const LATE_FAILURE_TEXT = '保存失败，本次填写的内容没有保存。请发送“填报”重新获取卡片后重新提交。';

/**
 * The work failed after the interim answer went back (its transaction rolled back). The owner was
 * told "正在保存" and the card still shows the form, so the card must say it was not saved.
 */
async function deliverLateFailure(ctx: AppContext, evt: LarkCardActionEvent): Promise<void> {
  if (!evt.token) {
    ctx.logger.warn({ eventId: evt.event_id }, 'late card action failure without an update token; owner not told');
    return;
  }
  const card = buildNoticeCard({ title: '保存失败', text: LATE_FAILURE_TEXT, level: 'error' });
  try {
    await ctx.queues.enqueue('card.update', { token: evt.token, messageId: evt.context?.open_message_id, card }, { delay: LATE_UPDATE_DELAY_MS, jobId: `card-update-${evt.event_id}` });
  } catch (e) {
    ctx.logger.error({ eventId: evt.event_id, err: (e as Error).message }, 'could not queue the late failure notice');
  }
}

/**
 * The answer that missed the deadline. A card answer updates the clicked card, as it would have in
 * time. A toast-only answer (a refusal, or a note) is told to who clicked in a message of their
 * own: the card they clicked may be someone else's (a forwarded card clicked by a stranger), and
 * replacing it would overwrite what its rightful recipient sees.
 */
async function deliverLate(ctx: AppContext, evt: LarkCardActionEvent, late: CardCallbackResponse): Promise<void> {
  if (!late.card?.data) {
    const openId = evt.operator?.open_id;
    if (!openId || !late.toast) {
      ctx.logger.warn({ eventId: evt.event_id }, 'late toast-only card action answer without an operator; not delivered');
      return;
    }
    await ctx.queues.enqueue('callback.late-answer', { eventId: evt.event_id, openId, type: late.toast.type, text: late.toast.content }, { jobId: `late-answer-${evt.event_id}` });
    return;
  }
  if (!evt.token) {
    ctx.logger.warn({ eventId: evt.event_id }, 'late card action answer without an update token; not delivered');
    return;
  }
  await ctx.queues.enqueue('card.update', { token: evt.token, messageId: evt.context?.open_message_id, card: late.card.data }, { delay: LATE_UPDATE_DELAY_MS, jobId: `card-update-${evt.event_id}` });
}
