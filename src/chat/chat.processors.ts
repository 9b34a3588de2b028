// The processor of the chat's job: answer one message the intake recorded.
import type { AppContext } from '../platform/app-context.js';
import type { Processor } from '../platform/jobs/queue-registry.js';
import { answerMessage } from './chat.service.js';

export function chatProcessors(ctx: AppContext): { 'chat.message': Processor<'chat.message'> } {
  return { 'chat.message': (p) => answerMessage(ctx, p.messageId) };
}
