// Tells the admins when the league post to a group is given up: the group refused it for good
// (the bot was removed, 230002) or it still failed on the job's last attempt. Before this, such a
// group simply got no 擂台 card and nobody knew; the other groups get theirs either way.
import type { AppContext } from '../platform/app-context.js';
import { periodLabel } from '../domain/period.js';
import { findCycle } from '../cycle/cycle.repository.js';
import { kindLabel } from '../cards/format.js';
import { jobIds } from '../cycle/job-ids.js';

export async function reportGivenUpLeague(ctx: Pick<AppContext, 'db' | 'queues' | 'logger'>, cycleId: number, error: unknown): Promise<void> {
  const [cycle, attempts] = await Promise.all([
    findCycle(ctx.db, cycleId),
    ctx.db
      .selectFrom('outbound_messages')
      .select((eb) => eb.fn.sum<string>('attempts').as('n'))
      .where('cycle_id', '=', cycleId)
      .where('kind', 'in', ['league.table', 'league.region'])
      .executeTakeFirst(),
  ]);
  const reason = (error instanceof Error ? error.message : String(error)).slice(0, 300);
  ctx.logger.error({ code: 'SEND_GIVEN_UP', what: 'league', cycleId, err: reason }, 'league post to a group given up; admins notified');
  if (!cycle) return;
  const text =
    `【擂台通报发送失败】${kindLabel(cycle.kind)}${periodLabel(cycle.kind, cycle.period_key)}的擂台通报未能发到以下群，系统已停止自动重试。` +
    `原因：${reason}。请把机器人重新拉入该群，或用 npm run cli -- groups unbind <chat_id> 解除绑定；其他群已照常发送。`;
  // Keyed by the attempts made so far: the same give-up raised twice notifies once.
  const key = `league-given-up-${cycleId}-${attempts?.n ?? 0}`;
  await ctx.queues.enqueue('admin.notify', { key, text }, { jobId: jobIds.adminNotify(key) });
}
