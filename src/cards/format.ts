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
  const d = wallClock(instant, tz);
  const y = d.getUTCFullYear();
  const year = refYear !== undefined && y !== refYear ? `${y}年` : '';
  return `${year}${d.getUTCMonth() + 1}月${d.getUTCDate()}日（周${WEEKDAYS[(d.getUTCDay() + 6) % 7]}）${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}`;
}

/** "2026-11-20" in the dispatch zone. */
export function localDay(instant: Date, tz: string): string {
  const d = wallClock(instant, tz);
  return `${String(d.getUTCFullYear()).padStart(4, '0')}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

// Every answer to a submission shows its time and day in the zone: converting with luxon (Intl)
// each time was a few per cent of the serving process's CPU. A zone's offset changes only at
// whole minutes, so it is looked up once per zone and minute.
const offsets = memoByKey<number>();

/** The instant as the zone's wall clock, read with the getUTC* methods. */
function wallClock(instant: Date, tz: string): Date {
  const minute = Math.floor(instant.getTime() / 60_000);
  const offset = offsets(`${tz}|${minute}`, () => DateTime.fromMillis(minute * 60_000, { zone: tz }).offset);
  if (!Number.isFinite(offset)) throw new Error(`unknown time zone ${tz}`);
  return new Date(instant.getTime() + offset * 60_000);
}

export function kindLabel(kind: CycleKind): string {
  return kind === 'weekly' ? '周调度' : '月调度';
}
