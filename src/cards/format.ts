// How cycle times and kinds read in Chinese, for cards, notices and the CLI.
import { DateTime } from 'luxon';
import type { CycleKind } from '../db/schema.js';
import { memoByKey } from '../domain/memo.js';

const WEEKDAYS = ['一', '二', '三', '四', '五', '六', '日'];

/** "11月20日（周五）18:00" in the dispatch zone; the year is added when it is not `refYear`. */
const localTimes = memoByKey<string>();

export function formatLocalTime(instant: Date, tz: string, refYear?: number): string {
  // A fan-out shows one due time on every card.
  return localTimes(`${instant.getTime()}|${tz}|${refYear ?? ''}`, () => computeLocalTime(instant, tz, refYear));
}

function computeLocalTime(instant: Date, tz: string, refYear?: number): string {
  const d = DateTime.fromJSDate(instant, { zone: tz });
  const year = refYear !== undefined && d.year !== refYear ? `${d.year}年` : '';
  return `${year}${d.month}月${d.day}日（周${WEEKDAYS[d.weekday - 1]}）${d.toFormat('HH:mm')}`;
}

/** "2026-11-20" in the dispatch zone. */
export function localDay(instant: Date, tz: string): string {
  return DateTime.fromJSDate(instant, { zone: tz }).toISODate()!;
}

export function kindLabel(kind: CycleKind): string {
  return kind === 'weekly' ? '周调度' : '月调度';
}
