// The processors of the jobs the submission side owns: thin adapters from a payload to a service.
import type { AppContext } from '../platform/app-context.js';
import type { Processor } from '../platform/jobs/queue-registry.js';
import { AppError, isAppError } from '../errors.js';
import { sendPickedCard } from './report.service.js';
import { sendOnce } from '../platform/feishu/outbound.js';

export type SubmissionJobName = 'card.update' | 'pick.send' | 'callback.late-answer';
export type SubmissionProcessors = { [N in SubmissionJobName]: Processor<N> };

export function submissionProcessors(ctx: AppContext): SubmissionProcessors {
  return {
    // A callback answered before its work finished: the final card follows by delayed update
    // (token: 30 minutes, two uses), or by patching the message when no token is at hand — or
    // when Feishu refuses the token for good: its two uses spent by our own tries whose answers
    // were lost, or its 30 minutes over while the job waited. The patch shows the same card.
    'card.update': async (p) => {
      if (p.token) {
        try {
          await ctx.lark.delayedUpdateCard({ token: p.token, card: p.card });
          return;
        } catch (e) {
          if (!p.messageId || !isAppError(e) || e.retryable) throw e;
          ctx.logger.warn({ messageId: p.messageId, err: e.message }, 'delayed card update refused; patching the message instead');
        }
      }
      if (p.messageId) await ctx.lark.patchCard({ messageId: p.messageId, card: p.card });
      else if (!p.token) throw new AppError('VALIDATION', 'card.update needs a token or a messageId');
    },
    'pick.send': (p) => sendPickedCard(ctx, p),
    // Keyed by the event: a retried job or a repeated late answer sends one message.
    'callback.late-answer': async (p) => {
      const text = p.type === 'error' || p.type === 'warning' ? `您刚才在卡片上的操作未完成：${p.text}` : p.text;
      await sendOnce(ctx, { key: `late-answer:${p.eventId}`, kind: 'late-answer', receiveId: p.openId, text });
    },
  };
}
