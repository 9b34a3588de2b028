// League words in chat: `绑定 天城县` / `绑定 调度群` / `解绑` in a group (admins only), `导出`
// / `导出 2026-11` (admins only: the meeting spreadsheet as a file, built in a job), and `排名`
// (the latest league: a region group or a region's leader sees the region's own card, everyone
// else the table). Returns null for anything else, so the chat's own commands keep working.
import type { Kysely } from 'kysely';
import type { Database, Person } from '../db/schema.js';
import type { Card } from '../platform/feishu/lark-client.js';
import { buildLeagueCards, buildRegionLeagueCard } from '../cards/league.card.js';
import { AppError } from '../errors.js';
import { bindGroup, unbindGroup } from './groups.repository.js';
import { computeLeague } from './league.data.js';
import { leagueView, regionView } from './league.view.js';
import { openEscalations } from './league.post.js';
import { exportCycleRef } from './league.delivery.js';
import type { QueueRegistry } from '../platform/jobs/queue-registry.js';

export type LeagueChatIntent = { kind: 'bind'; target: string } | { kind: 'unbind' } | { kind: 'ranking' } | { kind: 'export'; periodKey?: string };

export function parseLeagueIntent(raw: string): LeagueChatIntent | null {
  const text = raw.normalize('NFKC').replace(/@\S+/g, ' ').replace(/\s+/g, ' ').trim().replace(/[。.!！]+$/, '');
  const bind = /^绑定\s*(.+)$/.exec(text);
  if (bind?.[1]) return { kind: 'bind', target: bind[1].trim() };
  if (/^(解绑|解除绑定)$/.test(text)) return { kind: 'unbind' };
  if (/^(排名|擂台|排行|排行榜|擂台排名)$/.test(text)) return { kind: 'ranking' };
  const exp = /^(?:导出|导出调度表)(?:\s+(\S+))?$/.exec(text);
  if (exp) return exp[1] ? { kind: 'export', periodKey: exp[1] } : { kind: 'export' };
  return null;
}

export type LeagueChatAnswer = { key: string; private: boolean } & ({ card: Card } | { text: string });

export const isAdmin = async (db: Kysely<Database>, personId: number): Promise<boolean> =>
  Boolean(await db.selectFrom('person_grants').select('id').where('person_id', '=', personId).where('role', '=', 'admin').executeTakeFirst());

export async function leagueChatAnswer(
  deps: { db: Kysely<Database>; now: () => Date; queues: Pick<QueueRegistry, 'enqueue'> },
  m: { chatId: string; chatType: string; messageId: string },
  text: string,
  person: Person | undefined,
): Promise<LeagueChatAnswer[] | null> {
  const intent = parseLeagueIntent(text);
  if (!intent) return null;
  if (intent.kind === 'bind' || intent.kind === 'unbind') {
    if (m.chatType !== 'group') return [{ key: 'bind-p2p', private: false, text: '请在要绑定的群里 @我 并发送“绑定 地区名”或“绑定 调度群”。' }];
    if (!person || !(await isAdmin(deps.db, person.id))) return [{ key: 'bind-denied', private: false, text: '只有管理员可以绑定或解绑群。' }];
    if (intent.kind === 'unbind') {
      const done = await unbindGroup(deps.db, m.chatId);
      return [{ key: 'unbind', private: false, text: done ? '已解除本群的绑定，不再接收擂台通报。' : '本群尚未绑定。' }];
    }
    try {
      const g = await bindGroup(deps.db, { chatId: m.chatId, name: m.chatId, target: intent.target, by: `person:${person.id}`, at: deps.now() });
      return [{ key: 'bind', private: false, text: g.purpose === 'dispatch' ? '已将本群绑定为调度群，每期截止后将发送全市擂台排名。' : `已将本群绑定到${g.regionName ?? ''}，每期截止后将发送本地区排名、滞后项目和督办事项。` }];
    } catch (e) {
      if (e instanceof AppError && e.userMessage) return [{ key: 'bind-error', private: false, text: e.userMessage }];
      throw e;
    }
  }
  if (intent.kind === 'export') {
    if (!person || !(await isAdmin(deps.db, person.id))) return [{ key: 'export-denied', private: false, text: '只有管理员可以导出调度表。' }];
    try {
      exportCycleRef(intent.periodKey);
    } catch (e) {
      if (e instanceof AppError && e.userMessage) return [{ key: 'export-error', private: false, text: e.userMessage }];
      throw e;
    }
    await deps.queues.enqueue('league.export', { messageId: m.messageId, chatId: m.chatId, ...(intent.periodKey ? { periodKey: intent.periodKey } : {}) }, { jobId: `league-export-${m.messageId}` });
    return [];
  }
  const latest = await deps.db.selectFrom('cycles').select('id').where('state', '=', 'closed').orderBy('due_at', 'desc').limit(1).executeTakeFirst();
  if (!latest) return [{ key: 'ranking-none', private: false, text: '还没有已截止的调度期次，暂无排名。' }];
  const result = await computeLeague(deps.db, latest.id);
  const group = m.chatType === 'group'
    ? await deps.db.selectFrom('chat_groups').select(['purpose', 'region_id']).where('chat_id', '=', m.chatId).executeTakeFirst()
    : undefined;
  let regionId: number | null = group?.purpose === 'region' ? group.region_id : null;
  if (regionId === null && !group && person) {
    // A leader of projects in one region sees that region's card.
    const led = await deps.db.selectFrom('projects').select('region_id').distinct().where('leader_id', '=', person.id).where('active', '=', true).execute();
    if (led.length === 1 && led[0]) regionId = led[0].region_id;
  }
  if (regionId !== null && result.regions.some((r) => r.regionId === regionId)) {
    return [{ key: `ranking-r${regionId}`, private: false, card: buildRegionLeagueCard(regionView(result, regionId, await openEscalations(deps.db, result))) }];
  }
  const [first] = buildLeagueCards(leagueView(result));
  return first ? [{ key: 'ranking', private: false, card: first }] : [];
}
