// Talking to the bot (im.message.receive_v1, direct or @-mentioned in a group).
//
// Intake and answer are split on purpose. Feishu re-sends an event it has not seen ACKed within
// 3 s (at 15 s, 5 min, 1 h, 6 h), and an answer needs several queries plus one or more paced,
// retried Feishu calls — which under a burst (everyone typing 填报 before the deadline) can take
// longer than that. So the event handler only records the message (de-duplicated by message_id,
// the key Feishu's docs name for this event) and enqueues 'chat.message'; the job decides and
// answers, retrying on transient Feishu errors, and every answer is keyed so a retry never
// answers twice.
import { leagueChatAnswer } from '../league/league.chat.js';
import type { AppContext } from '../platform/app-context.js';
import type { Card } from '../platform/feishu/lark-client.js';
import type { LarkMessageEvent } from '../platform/feishu/lark-intake.js';
import { sendOnce } from '../platform/feishu/outbound.js';
import { buildHelpCard } from '../cards/help.card.js';
import { buildMyProjectsCard } from '../cards/my-projects.card.js';
import { buildProblemListCard } from '../cards/problem.card.js';
import { buildConsolidatedPromptCard, consolidatedPages } from '../cards/consolidated-prompt.card.js';
import { buildDraftPickCard, buildPhotoPickCard } from '../cards/project-pick.card.js';
import { cycleSettings } from '../cycle/cycle-config.js';
import { findCycle } from '../cycle/cycle.repository.js';
import { consolidatedRow, loadReportCardInputs } from '../cycle/report-card.data.js';
import type { Person } from '../db/schema.js';
import { AppError } from '../errors.js';
import { claimInbound, messageKey, releaseInbound } from '../platform/feishu/inbound-events.js';
import { findPersonByOpenId } from '../registry/access.js';
import { loadFilingContext } from '../submission/filing.repository.js';
import { draftFormCard, formCard } from '../submission/report.service.js';
import { attachPhotos, photosAttachedText, photoTargets } from '../submission/photo.service.js';
import { decodeMessage } from '../platform/feishu/message-content.js';
import { parseIntent, type ChatIntent } from '../domain/chat-intent.js';
import { groupBy } from '../domain/group-by.js';
import { myOpenProblems, myProjectRows, openSlots } from './chat.queries.js';
import { loadStoredMessage, type StoredMessage } from '../platform/feishu/stored-message.js';
import { myEscalationsText, projectStatusText, sendTodoCards } from '../escalation/escalation.chat.js';

export type ChatDeps = Pick<AppContext, 'db' | 'lark' | 'queues' | 'logger' | 'config' | 'now'>;

export const NOT_REGISTERED = '没有找到您负责的项目，请联系项目中心。';
const NOTHING_TO_FILE = '您目前没有待填报的项目（本期已全部填报，或调度尚未开始）。';

/** The event handler's part: record once, enqueue, return — well inside the 3 s ACK. */
export async function acceptMessage(deps: Pick<ChatDeps, 'db' | 'queues' | 'logger'>, evt: LarkMessageEvent): Promise<void> {
  // Only people: the bot's own messages (and other bots') would otherwise answer each other.
  if (evt.sender.sender_type && evt.sender.sender_type !== 'user') return;
  const openId = evt.sender.sender_id?.open_id;
  const messageId = evt.message?.message_id;
  if (!openId || !messageId) {
    deps.logger.warn({ eventId: evt.event_id }, 'message event without sender open_id or message_id; ignored');
    return;
  }
  const record: StoredMessage = {
    eventId: evt.event_id,
    senderOpenId: openId,
    chatId: evt.message.chat_id,
    chatType: evt.message.chat_type,
    messageType: evt.message.message_type,
    // PostgreSQL cannot store NUL (raw or as a JSON escape); it carries no meaning in a chat.
    // eslint-disable-next-line no-control-regex
    content: String(evt.message.content ?? '').replace(/\u0000|\\u0000/g, ''),
    mentionKeys: (evt.message.mentions ?? []).map((m) => m.key),
  };
  const key = messageKey(messageId);
  if (!(await claimInbound(deps.db, key, 'im.message', record))) {
    deps.logger.info({ messageId }, 'repeated message delivery ignored');
    return;
  }
  try {
    await deps.queues.enqueue('chat.message', { messageId }, { jobId: `chat-${messageId}` });
  } catch (e) {
    // Not queued: release the claim so Feishu's re-delivery (the handler throws → no ACK) gets in.
    await releaseInbound(deps.db, key);
    throw e;
  }
}

/** One answer. `private` answers carry someone's projects or a form: in a group they go to a direct chat. */
type Answer = { key: string; private: boolean; projectId?: number; cycleId?: number } & ({ card: Card } | { text: string });

const text = (key: string, t: string, isPrivate = false): Answer => ({ key, private: isPrivate, text: t });
const card = (key: string, c: Card, isPrivate = true, ids: { projectId?: number; cycleId?: number } = {}): Answer => ({ key, private: isPrivate, card: c, ...ids });

/** The job's part: decide what the message means and answer it. */
export async function answerMessage(deps: ChatDeps, messageId: string): Promise<void> {
  const m = await loadStoredMessage(deps.db, messageId);
  // Not retryable: the job only exists after its record was written.
  if (!m) throw new AppError('NOT_FOUND', `no stored chat message ${messageId}`);
  const { answers, personId } = await decide(deps, m, messageId);
  await deliver(deps, m, messageId, answers, personId);
}

async function decide(deps: ChatDeps, m: StoredMessage, messageId: string): Promise<{ answers: Answer[]; personId: number | null }> {
  const person = await findPersonByOpenId(deps.db, m.senderOpenId);
  const answers = await answersFor(deps, m, messageId, person);
  return { answers, personId: person?.id ?? null };
}

async function answersFor(deps: ChatDeps, m: StoredMessage, messageId: string, person: Person | undefined): Promise<Answer[]> {
  const decoded = decodeMessage(m.messageType, m.content, m.mentionKeys);
  if (decoded.kind === 'other') return [card('help', buildHelpCard({ notice: '暂时只能识别文字和图片消息。' }), false)];
  const intent = decoded.kind === 'text' ? parseIntent(decoded.text) : null;
  // Help needs nobody to be known; everything else is about someone's projects.
  if (intent?.kind === 'help') return [card('help', buildHelpCard(), false)];
  const league = decoded.kind === 'text' ? await leagueChatAnswer(deps, { ...m, messageId }, decoded.text, person) : null;
  if (league) return league;
  if (!person) return [text('unregistered', NOT_REGISTERED)];
  deps.logger.info({ messageId, personId: person.id, intent: intent?.kind ?? 'image' }, 'chat message');
  if (decoded.kind === 'image') return photos(deps, person, decoded.imageKeys, messageId);
  return intent ? command(deps, person, intent, messageId) : [];
}

function command(deps: ChatDeps, person: Person, intent: ChatIntent, messageId: string): Promise<Answer[]> | Answer[] {
  switch (intent.kind) {
    case 'fill':
      return fill(deps, person);
    case 'my_projects':
      return myProjects(deps, person);
    case 'problems':
      return problems(deps, person);
    case 'draft':
      return draft(deps, person, intent, messageId);
    case 'help':
      return [card('help', buildHelpCard(), false)];
    case 'my_escalations':
      return myEscalationsText(deps, person).then((t) => [text('my-escalations', t, true)]);
    case 'project_status':
      return projectStatusText(deps, person, intent.code).then((t) => [text(`project-${intent.code}`, t, true)]);
    case 'todo':
      // Fresh cards are sent (and recorded) by the escalation side; an owner's open slots are 填报's.
      return sendTodoCards(deps, person, messageId).then(async (t) => (t ? [text('todo', t, true)] : fill(deps, person)));
    case 'unknown':
      return [card('help', buildHelpCard({ notice: `没有理解“${[...intent.text].slice(0, 30).join('')}”，可以这样和我说：` }), false)];
  }
}

/** 填报: the form for each open slot, or the consolidated list where the prompt used one. */
async function fill(deps: ChatDeps, person: Person): Promise<Answer[]> {
  const slots = await openSlots(deps.db, person.id);
  if (slots.length === 0) return [text('nothing-to-file', NOTHING_TO_FILE)];
  const settings = cycleSettings(deps.config);
  const out: Answer[] = [];
  for (const [cycleId, inCycle] of groupBy(slots, (s) => s.cycleId)) {
    if (inCycle.length > settings.consolidateAbove) {
      const cycle = (await findCycle(deps.db, cycleId))!;
      const inputs = await loadReportCardInputs(deps.db, settings, cycle, inCycle.map((s) => s.projectId), deps.now());
      const rows = inCycle.flatMap((s) => inputs.get(s.projectId) ?? []).map(consolidatedRow);
      const pages = consolidatedPages(rows);
      pages.forEach((page, i) => {
        const c = buildConsolidatedPromptCard({
          cycle: { id: cycle.id, kind: cycle.kind, periodKey: cycle.period_key, dueAt: cycle.due_at },
          tz: settings.tz,
          rows: page,
          total: rows.length,
          page: { index: i + 1, count: pages.length },
        });
        out.push(card(`fill:c${cycleId}:n${i + 1}`, c, true, { cycleId }));
      });
      continue;
    }
    for (const slot of inCycle) {
      const ctx = await loadFilingContext(deps.db, slot.projectId, slot.cycleId);
      if (ctx) out.push(card(`fill:c${slot.cycleId}:p${slot.projectId}`, await formCard(deps.db, deps, ctx, {}), true, { projectId: slot.projectId, cycleId: slot.cycleId }));
    }
  }
  return out;
}

async function myProjects(deps: ChatDeps, person: Person): Promise<Answer[]> {
  const { tz, thresholds } = cycleSettings(deps.config);
  const rows = await myProjectRows(deps.db, person.id, { now: deps.now(), tz, thresholds });
  if (rows.length === 0) return [text('no-projects', NOT_REGISTERED)];
  return [card('my-projects', buildMyProjectsCard({ personName: person.name, rows }))];
}

async function problems(deps: ChatDeps, person: Person): Promise<Answer[]> {
  const { tz } = cycleSettings(deps.config);
  const list = await myOpenProblems(deps.db, person.id);
  return [card('problems', buildProblemListCard({ title: '与您有关的未闭环问题', problems: list, tz, empty: '没有与您有关、尚未闭环的问题。' }))];
}

/** A progress note with a figure: never stored, only offered back as a pre-filled form to confirm. */
async function draft(deps: ChatDeps, person: Person, intent: Extract<ChatIntent, { kind: 'draft' }>, messageId: string): Promise<Answer[]> {
  const slots = await openSlots(deps.db, person.id);
  if (slots.length === 0) return [text('nothing-to-file', `${NOTHING_TO_FILE}这条进展没有保存。`)];
  if (slots.length > 1) {
    return [card('draft-pick', buildDraftPickCard({ draft: { amount: intent.amountText, progress: intent.progress }, draftOf: messageId, options: slots }))];
  }
  const slot = slots[0];
  const ctx = await loadFilingContext(deps.db, slot.projectId, slot.cycleId);
  if (!ctx) return [text('nothing-to-file', NOTHING_TO_FILE)];
  const c = await draftFormCard(deps.db, deps, ctx, {
    amount: intent.amountText,
    progress: intent.progress,
    ...(intent.amount.ok ? {} : { amountError: intent.amount.reason }),
  });
  return [card('draft', c, true, { projectId: slot.projectId, cycleId: slot.cycleId })];
}

async function photos(deps: ChatDeps, person: Person, imageKeys: string[], messageId: string): Promise<Answer[]> {
  const targets = await photoTargets(deps.db, person.id, deps.now());
  if (targets.length === 0) return [text('photo-none', '请先在填报卡片中提交本期情况，再发送形象进度照片。')];
  if (targets.length > 1) {
    const options = targets.map((t) => ({ projectId: t.projectId, cycleId: t.cycleId, code: t.code, name: t.name, kind: t.kind, periodKey: t.periodKey }));
    return [card('photo-pick', buildPhotoPickCard({ imageKeys, messageId, options }))];
  }
  const t = targets[0];
  await attachPhotos(deps.db, { reportId: t.reportId, imageKeys, messageId, personId: person.id });
  return [text('photo-attached', photosAttachedText(imageKeys.length, t), true)];
}

/**
 * In a direct chat every answer is a reply in place. In a group, answers carrying someone's
 * projects or a form go to the sender's direct chat, and the group gets a one-line pointer.
 */
async function deliver(deps: ChatDeps, m: StoredMessage, messageId: string, answers: Answer[], personId: number | null): Promise<void> {
  const inGroup = m.chatType !== 'p2p';
  let sentPrivately = false;
  for (const a of answers) {
    const key = `chat:${messageId}:${a.key}`;
    const body = 'card' in a ? { card: a.card } : { text: a.text };
    const ids = { personId, projectId: a.projectId ?? null, cycleId: a.cycleId ?? null };
    if (inGroup && a.private) {
      await sendOnce(deps, { key, kind: 'chat.answer', receiveId: m.senderOpenId, ...ids, ...body });
      sentPrivately = true;
    } else {
      await sendOnce(deps, { key, kind: 'chat.answer', replyTo: messageId, receiveId: m.chatId, receiveIdType: 'chat_id', ...ids, ...body });
    }
  }
  if (sentPrivately) {
    await sendOnce(deps, { key: `chat:${messageId}:group-pointer`, kind: 'chat.answer', replyTo: messageId, receiveId: m.chatId, receiveIdType: 'chat_id', personId, text: '已私信发给您，请在与我的单聊中查看。' });
  }
}
