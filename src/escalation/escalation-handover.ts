// When the registry names a new 包保领导 / 分管副市长 for a project with open cases, the new leader
// gets those cases' card once, showing what the former leader already did (the actions keep
// their actor). 我的督办, 待办 and the clicks follow the registry at once (escalation.repository.ts,
// escalation-actions.ts); only this card waits for the daily refresh.
//
// Lazily at the refresh rather than a job enqueued by the import: the refresh runs daily and
// already walks every open case, the registry sits below escalation (an import-time hook would
// need the registry to know of escalation jobs), and a case handed on by any write (an import, a
// correction by SQL, a person merged) is seen the same way. The new leader can ask 待办 sooner.
import { localDay } from '../cards/format.js';
import { MAX_DIGEST_ITEMS } from '../cards/escalation.card.js';
import { cycleSettings } from '../cycle/cycle-config.js';
import { cardsShowing, listEscalations, type EscalationRecord } from './escalation.repository.js';
import { chunked, sendEscalationCard, type EscalationDeps } from './escalation.service.js';

/** Sends each open case whose leader changed to the new leader, once; returns the cards sent. */
export async function handOverChangedCases(deps: EscalationDeps): Promise<number> {
  const changed = (await listEscalations(deps.db, { open: true })).filter((e) => e.targetId !== null && e.targetId !== e.handedToId);
  // A new leader who already holds a card showing the case (he asked 待办 since) is not sent another.
  const cards = await cardsShowing(deps.db, changed.map((e) => e.id));
  const byLeader = new Map<number, EscalationRecord[]>();
  for (const e of changed) {
    if (cards.some((c) => c.personId === e.targetId && c.escalationIds.includes(e.id))) await markHandedOver(deps, e, e.targetId!);
    else byLeader.set(e.targetId!, [...(byLeader.get(e.targetId!) ?? []), e]);
  }
  const stamp = localDay(deps.now(), cycleSettings(deps.config).tz);
  let sent = 0;
  for (const [personId, cases] of byLeader) {
    const openId = cases[0].targetOpenId;
    if (!openId) {
      // Left as not handed over: the card goes out on the first refresh after the person is reachable.
      deps.logger.warn({ personId, escalationIds: cases.map((c) => c.id) }, 'new leader of open escalations has no open_id');
      continue;
    }
    for (const batch of chunked(cases, MAX_DIGEST_ITEMS)) {
      const ids = batch.map((c) => c.id);
      // Sent before the case is marked handed over: a crash in between resends under the same key
      // (nothing twice the same day), never loses the card.
      const r = await sendEscalationCard(deps, {
        key: `esc-handover:p${personId}:${stamp}:${ids.join('-')}`.slice(0, 400),
        personId,
        openId,
        escalationIds: ids,
        cycleId: null,
        projectId: batch.length === 1 ? batch[0].project.id : null,
        notice: { level: 'info', text: '项目的责任领导已调整，以下督办事项转由您处理；此前的已阅、督办、批示记录保留在卡片上，注明操作人' },
      });
      if (r.sent) sent++;
      for (const c of batch) await markHandedOver(deps, c, personId);
    }
  }
  if (changed.length) deps.logger.info({ cases: changed.length, cards: sent }, 'open escalations handed to their new leaders');
  return sent;
}

async function markHandedOver(deps: EscalationDeps, c: EscalationRecord, personId: number): Promise<void> {
  await deps.db
    .updateTable('escalations')
    .set({ target_person_id: personId, updated_at: deps.now() })
    .where('id', '=', c.id)
    .where((eb) => (c.handedToId === null ? eb('target_person_id', 'is', null) : eb('target_person_id', '=', c.handedToId)))
    .execute();
}
