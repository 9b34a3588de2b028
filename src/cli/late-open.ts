// Opening a period whose due time has passed would send every owner a card and let the scheduler
// close the cycle seconds later, marking every project missed. `cycle open` therefore refuses such
// a period unless the admin gives it a new due time (--due) or insists (--force).
import { DateTime } from 'luxon';
import type { CycleKind } from '../db/schema.js';
import { AppError } from '../errors.js';
import { formatLocalTime, kindLabel } from '../cards/format.js';

export type PlannedTimes = { remindAt: Date; dueAt: Date };

/** `2026-12-02 18:00` (or `2026-12-02T18:00`) in the dispatch zone. */
export function parseDueOption(text: string, tz: string): Date {
  const t = text.normalize('NFKC').trim().replace('T', ' ');
  const dt = DateTime.fromFormat(t, 'yyyy-MM-dd HH:mm', { zone: tz });
  if (!dt.isValid) {
    throw new AppError('VALIDATION', `bad --due ${text}`, { userMessage: `--due 应为“年-月-日 时:分”，如 --due "2026-12-02 18:00"（收到“${text}”）` });
  }
  return dt.toJSDate();
}

/**
 * The times to open a not-yet-opened period with, or a refusal. With --due the reminder stays as
 * planned when it still falls between now and the new due time, else it comes halfway there.
 */
export function lateOpenTimes(
  input: { kind: CycleKind; period: string; planned: PlannedTimes; now: Date; tz: string; due?: string; force: boolean },
): { remindAt?: Date; dueAt?: Date; warning?: string } {
  const { planned, now, tz } = input;
  const what = `${kindLabel(input.kind)} ${input.period}`;
  if (input.due !== undefined) {
    const dueAt = parseDueOption(input.due, tz);
    if (dueAt.getTime() <= now.getTime()) {
      throw new AppError('VALIDATION', 'due in the past', { userMessage: `新的截止时间 ${formatLocalTime(dueAt, tz)} 已经过去，请给出将来的时间` });
    }
    const plannedRemindFits = planned.remindAt.getTime() > now.getTime() && planned.remindAt.getTime() < dueAt.getTime();
    const remindAt = plannedRemindFits ? planned.remindAt : new Date(now.getTime() + Math.floor((dueAt.getTime() - now.getTime()) / 2));
    return { remindAt, dueAt };
  }
  if (planned.dueAt.getTime() > now.getTime()) return {};
  const passed = `${what} 的截止时间 ${formatLocalTime(planned.dueAt, tz)} 已过`;
  if (input.force) return { warning: `警告：${passed}，按 --force 仍按原时间开启：周期将随即截止，未报送的项目记为缺报。` };
  throw new AppError('VALIDATION', `${input.kind} ${input.period} is past its due time`, {
    userMessage: `${passed}：现在开启会立即截止并把所有项目记为缺报，未开启。`
      + `请用 --due "YYYY-MM-DD HH:mm" 给出新的截止时间（如 --due "${DateTime.fromJSDate(now, { zone: tz }).plus({ days: 2 }).toFormat('yyyy-MM-dd')} 18:00"），`
      + '或加 --force 仍按原时间开启。',
  });
}
