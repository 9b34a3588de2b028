// The processor of the problem ledger's job: tell the people a problem concerns about a change.
import type { AppContext } from '../platform/app-context.js';
import type { Processor } from '../platform/jobs/queue-registry.js';
import { notifyProblem } from './problem.notify.js';

export function problemProcessors(ctx: AppContext): { 'problem.notify': Processor<'problem.notify'> } {
  return { 'problem.notify': (p) => notifyProblem(ctx, p.problemId, p.event) };
}
