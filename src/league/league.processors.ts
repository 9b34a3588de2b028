// The league's jobs: the posts after a close, an admin's 导出, the note when added to a group.
import type { AppContext } from '../platform/app-context.js';
import type { Processor } from '../platform/jobs/queue-registry.js';
import { postLeague } from './league.post.js';
import { sendMeetingSpreadsheet, sendWelcome } from './league.delivery.js';

export function leagueProcessors(ctx: AppContext): {
  'league.post': Processor<'league.post'>;
  'league.export': Processor<'league.export'>;
  'league.welcome': Processor<'league.welcome'>;
} {
  return {
    'league.post': (p) => postLeague(ctx, p.cycleId),
    'league.export': (p) => sendMeetingSpreadsheet(ctx, p),
    'league.welcome': (p) => sendWelcome(ctx, p),
  };
}
