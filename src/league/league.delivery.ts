// The league's answers that are files or follow an event rather than a message: an admin's
// `导出` (the meeting spreadsheet, the same workbook as `npm run cli -- export`, sent as a file in
// reply) and the note posted when the bot is added to a group. Both run as jobs: building and
// uploading a workbook takes longer than a chat answer should hold the chat worker, and an
// event must be ACKed within 3 s.
import type { AppContext } from '../platform/app-context.js';
import { sendOnce, messageUuid } from '../platform/feishu/outbound.js';
import { cycleSettings } from '../cycle/cycle-config.js';
import { parsePeriodKey, periodLabel } from '../domain/period.js';
import { AppError } from '../errors.js';
import { meetingWorkbook } from './export.xlsx.js';
import { loadMeetingPapers } from './meeting-papers.data.js';

type Deps = Pick<AppContext, 'db' | 'lark' | 'config' | 'logger'>;

export const WELCOME_TEXT = [
  '您好，我是重点项目调度助手。',
  '请管理员在本群 @我 并发送“绑定 地区名”（如“@机器人 绑定 天城县”），本群将在每期截止后收到该地区的排名、滞后项目和督办事项；',
  '或发送“绑定 调度群”，本群将收到全市擂台排名。发送“解绑”可解除绑定，发送“排名”可查看最新排名。',
].join('\n');

/** A cycle reference from `导出 2026-11` (or `2026-W47`); null when none was given. */
export function exportCycleRef(periodKey: string | undefined): { kind: 'weekly' | 'monthly'; periodKey: string } | null {
  if (!periodKey) return null;
  try {
    const p = parsePeriodKey(periodKey);
    return { kind: p.kind, periodKey: p.key };
  } catch {
    throw new AppError('VALIDATION', `bad export period ${periodKey}`, { userMessage: `“${periodKey}”不是期次，应如“导出 2026-11”（月）或“导出 2026-W47”（周）。` });
  }
}

const exportKey = (messageId: string) => `chat:${messageId}:export-file`;

/**
 * The job: the spreadsheet of the named cycle (or the latest closed one) uploaded and sent in
 * reply. A retry after the file went out sends nothing; a problem the admin can fix (no such
 * cycle, nothing closed yet) is answered in text rather than retried.
 */
export async function sendMeetingSpreadsheet(deps: Deps, p: { messageId: string; chatId: string; periodKey?: string }): Promise<void> {
  const key = exportKey(p.messageId);
  const sent = await deps.db.selectFrom('outbound_messages').select('state').where('uuid', '=', messageUuid(key)).executeTakeFirst();
  if (sent?.state === 'sent') return;
  const reply = { replyTo: p.messageId, receiveId: p.chatId, receiveIdType: 'chat_id' as const, kind: 'chat.answer' };
  let papers: Awaited<ReturnType<typeof loadMeetingPapers>>;
  try {
    papers = await loadMeetingPapers(deps.db, await resolveCycle(deps, p.periodKey));
  } catch (e) {
    if (e instanceof AppError && e.userMessage) {
      await sendOnce(deps, { ...reply, key: `chat:${p.messageId}:export-error`, text: e.userMessage });
      return;
    }
    throw e;
  }
  const cycle = papers.league.cycle;
  const workbook = await meetingWorkbook(papers, cycleSettings(deps.config).tz);
  const fileName = `${periodLabel(cycle.kind, cycle.period_key)}调度表.xlsx`;
  // Feishu's file_type has no xlsx; its `xls` is the spreadsheet type (and previews .xlsx).
  const fileKey = await deps.lark.uploadFile({ file: workbook, fileName, fileType: 'xls' });
  await sendOnce(deps, { ...reply, key, kind: 'league.export', cycleId: cycle.id, fileKey });
  deps.logger.info({ messageId: p.messageId, cycleId: cycle.id, bytes: workbook.length }, 'meeting spreadsheet sent to chat');
}

async function resolveCycle(deps: Deps, periodKey: string | undefined): Promise<number | { kind: 'weekly' | 'monthly'; periodKey: string }> {
  const ref = exportCycleRef(periodKey);
  if (ref) return ref;
  const latest = await deps.db.selectFrom('cycles').select('id').where('state', '=', 'closed').orderBy('due_at', 'desc').limit(1).executeTakeFirst();
  if (!latest) throw new AppError('NOT_FOUND', 'no closed cycle to export', { userMessage: '还没有已截止的调度期次，可发送“导出 2026-11”指定期次。' });
  return latest.id;
}

/** The job after im.chat.member.bot.added_v1: once per delivery of the event (keyed by its id). */
export async function sendWelcome(deps: Deps, p: { chatId: string; eventId: string }): Promise<void> {
  await sendOnce(deps, { key: `league-welcome:${p.chatId}:${p.eventId}`, kind: 'league.welcome', receiveId: p.chatId, receiveIdType: 'chat_id', text: WELCOME_TEXT });
}
