// A plain text notice to every admin (person_grants role 'admin') who can be reached on Feishu.
// The message key is the notice key plus the admin, so a notice (e.g. "no holiday data for
// 2027", keyed per year) reaches each admin once, however often it is raised.
import type { AppContext } from '../platform/app-context.js';
import { sendOnce } from '../platform/feishu/outbound.js';
import { messageKeys } from './job-ids.js';

export async function notifyAdmins(deps: Pick<AppContext, 'db' | 'lark' | 'logger'>, key: string, text: string): Promise<{ sent: number; unreachable: number }> {
  const admins = await deps.db
    .selectFrom('person_grants as g')
    .innerJoin('people as p', 'p.id', 'g.person_id')
    .select(['p.id', 'p.name', 'p.open_id'])
    .where('g.role', '=', 'admin')
    .orderBy('p.id')
    .execute();
  const reachable = admins.filter((a) => a.open_id !== null);
  if (reachable.length === 0) {
    deps.logger.error({ key, admins: admins.length }, 'no admin with an open_id to notify; the notice is only in this log');
  }
  let sent = 0;
  for (const admin of reachable) {
    const r = await sendOnce(deps, { key: messageKeys.adminNotice(key, admin.id), kind: 'admin-notice', receiveId: admin.open_id!, personId: admin.id, text });
    if (!r.alreadySent) sent++;
  }
  deps.logger.info({ key, sent, unreachable: admins.length - reachable.length }, 'admin notice sent');
  return { sent, unreachable: admins.length - reachable.length };
}
