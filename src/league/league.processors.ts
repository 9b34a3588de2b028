// The league's jobs: the posts after a close, an admin's 导出, the note when added to a group.
import type { AppContext } from '../platform/app-context.js';
import type { Processor } from '../platform/jobs/queue-registry.js';
import { postLeague } from './league.post.js';
import { sendMeetingSpreadsheet, sendWelcome } from './league.delivery.js';
import { isFinalAttempt } from '../cycle/send-failure-report.js';
import { reportGivenUpLeague } from './league.report.js';

export function leagueProcessors(ctx: AppContext): {
  'league.post': Processor<'league.post'>;
  'league.export': Processor<'league.export'>;
  'league.welcome': Processor<'league.welcome'>;
} {
  return {
    'league.post': async (p, job) => {
      try {
        return await postLeague(ctx, p.cycleId);
      } catch (e) {
        if (isFinalAttempt(e, job)) {
          await reportGivenUpLeague(ctx, p.cycleId, e).catch((err: unknown) =>
            ctx.logger.error({ cycleId: p.cycleId, err: (err as Error).message }, 'could not report a given-up league post to the admins'),
          );
        }
        throw e;
      }
    },
    'league.export': (p) => sendMeetingSpreadsheet(ctx, p),
    'league.welcome': (p) => sendWelcome(ctx, p),
  };
}
