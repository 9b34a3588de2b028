// Feishu lets a 2.0 card be clicked and updated for 14 days only. Whoever must still act on an
// open escalation or problem gets a fresh card: on request (chat 待办) and, before the old card
// expires, from the daily refresh job. Fresh cards are keyed by the day they are sent, so a
// repeated job on the same day sends nothing twice.
import { sql } from 'kysely';
import { sendOnce } from '../platform/feishu/outbound.js';
import { buildDepartmentProblemCard } from '../cards/problem.card.js';
import { cycleSettings } from '../cycle/cycle-config.js';
import { localDay } from '../cards/format.js';
import { findProblem, listProblems } from '../problems/problem.repository.js';
import { cardsShowing, listEscalations } from './escalation.repository.js';
import { chunked, sendEscalationCard, type EscalationDeps } from './escalation.service.js';
import { handOverChangedCases } from './escalation-handover.js';
import { MAX_DIGEST_ITEMS } from '../cards/escalation.card.js';

const DAY_MS = 24 * 3600 * 1000;

/** One fresh card listing the leader's open escalations; undefined when there are none. */
export async function sendFreshLeaderCard(deps: EscalationDeps, personId: number, why: 'request' | 'refresh', requestId = ''): Promise<{ count: number; sent: boolean } | undefined> {
  const open = await listEscalations(deps.db, { targetId: personId, open: true });
  const openId = open[0]?.targetOpenId;
  if (open.length === 0 || !openId) return undefined;
  const { tz } = cycleSettings(deps.config);
  const all = open.map((e) => e.id);
  // On request once per request (a retried chat job sends nothing twice); by the job once a day.
  const stamp = why === 'request' ? `r${requestId}` : localDay(deps.now(), tz);
  let sent = false;
  for (const ids of chunked(all, MAX_DIGEST_ITEMS)) {
    const r = await sendEscalationCard(deps, {
      key: `esc-fresh:p${personId}:${stamp}:${ids.join('-')}`.slice(0, 400),
      personId,
      openId,
      escalationIds: ids,
      cycleId: null,
      projectId: null,
      notice: { level: 'info', text: why === 'request' ? '您的待办督办事项（最新卡片，可直接操作）' : '以下事项仍未解决，原卡片即将过期，请在此卡片上操作' },
    });
    sent ||= r.sent;
  }
  return { count: all.length, sent };
}

/** Fresh department cards for the person's open problems (those they are the contact for). */
export async function sendFreshProblemCards(deps: EscalationDeps, personId: number, why: 'request' | 'refresh', problemIds?: number[], requestId = ''): Promise<number> {
  const { tz } = cycleSettings(deps.config);
  const person = await deps.db.selectFrom('people').select(['id', 'open_id']).where('id', '=', personId).executeTakeFirst();
  if (!person?.open_id) return 0;
  const problems = (await listProblems(deps.db, { statuses: ['open', 'in_coordination', 'reopened'], departmentContactId: personId }))
    .filter((p) => p.departmentContactId === personId && (!problemIds || problemIds.includes(p.id)));
  const stamp = why === 'request' ? `r${requestId}` : localDay(deps.now(), tz);
  let sent = 0;
  for (const p of problems.slice(0, 10)) {
    const current = await findProblem(deps.db, p.id);
    if (!current) continue;
    const r = await sendOnce(deps, {
      key: `problem-fresh:${p.id}:p${personId}:${stamp}`,
      kind: 'problem.fresh',
      receiveId: person.open_id,
      personId,
      projectId: current.projectId,
      card: buildDepartmentProblemCard(current, { tz, notice: { level: 'info', text: why === 'request' ? '待办问题（最新卡片，可直接操作）' : '该问题仍未办结，原卡片即将过期，请在此卡片上操作' } }),
    });
    if (!r.alreadySent) sent++;
  }
  return sent;
}

/**
 * The daily job: cases the registry has handed to a new leader go to him (escalation-handover.ts);
 * leaders whose newest card for an open escalation is older than CARD_REFRESH_DAYS, and department
 * contacts of open problems with no step that long, get a fresh card. "Leader" is always the one
 * the registry names now: a former leader gets nothing more for a case he can no longer act on.
 */
export async function refreshAgingCards(deps: EscalationDeps): Promise<{ handovers: number; leaders: number; problems: number }> {
  // First, so a case just handed over counts as freshly carded and is not sent twice today.
  const handovers = await handOverChangedCases(deps);
  const cutoff = new Date(deps.now().getTime() - deps.config.CARD_REFRESH_DAYS * DAY_MS);
  const open = await listEscalations(deps.db, { open: true });
  const cards = await cardsShowing(deps.db, open.map((e) => e.id));
  const leaders = new Set<number>();
  for (const e of open) {
    if (e.targetId === null) continue;
    const newest = cards.find((c) => c.personId === e.targetId && c.escalationIds.includes(e.id));
    if (newest && newest.createdAt.getTime() <= cutoff.getTime()) leaders.add(e.targetId);
  }
  let leaderCards = 0;
  for (const id of leaders) if ((await sendFreshLeaderCard(deps, id, 'refresh'))?.sent) leaderCards++;

  const stale = await deps.db
    .selectFrom('problems as q')
    .innerJoin('departments as d', 'd.id', 'q.department_id')
    .select(['q.id', 'd.contact_person_id'])
    .where('q.status', 'in', ['open', 'in_coordination', 'reopened'])
    // The problem's own clock-stamped steps (raised, accepted, resolved), not the row's write time.
    .where(sql<Date>`greatest(q.raised_at, q.accepted_at, q.resolved_at)`, '<=', cutoff)
    .where('d.contact_person_id', 'is not', null)
    .execute();
  let problemCards = 0;
  const byContact = new Map<number, number[]>();
  for (const s of stale) byContact.set(s.contact_person_id!, [...(byContact.get(s.contact_person_id!) ?? []), s.id]);
  for (const [contact, ids] of byContact) problemCards += await sendFreshProblemCards(deps, contact, 'refresh', ids);
  deps.logger.info({ handovers, leaderCards, problemCards }, 'fresh cards sent for aging escalations and problems');
  return { handovers, leaders: leaderCards, problems: problemCards };
}
