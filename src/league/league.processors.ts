// The league's job: the posts after a close.
import type { AppContext } from '../platform/app-context.js';
import type { Processor } from '../platform/jobs/queue-registry.js';
import { postLeague } from './league.post.js';

export function leagueProcessors(ctx: AppContext): { 'league.post': Processor<'league.post'> } {
  return { 'league.post': (p) => postLeague(ctx, p.cycleId) };
}
