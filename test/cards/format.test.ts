// The zone conversion behind every card's times (format.ts keeps one offset per zone and minute)
// must read exactly as luxon's full conversion, across daylight-saving changes and odd offsets.
import { describe, expect, it } from 'vitest';
import { DateTime } from 'luxon';
import { formatLocalTime, localDay } from '../../src/cards/format.js';

const WEEKDAYS = ['一', '二', '三', '四', '五', '六', '日'];
const byLuxon = (instant: Date, tz: string, refYear?: number) => {
  const d = DateTime.fromJSDate(instant, { zone: tz });
  const year = refYear !== undefined && d.year !== refYear ? `${d.year}年` : '';
  return { time: `${year}${d.month}月${d.day}日（周${WEEKDAYS[d.weekday - 1]}）${d.toFormat('HH:mm')}`, day: d.toISODate() };
};

describe('local times on cards', () => {
  const zones = ['Asia/Shanghai', 'America/New_York', 'Australia/Adelaide', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'Europe/London', 'UTC'];
  // Around the 2026 changes in each zone (minute by minute across them) and a spread over years.
  const instants = [
    ...Array.from({ length: 240 }, (_, i) => Date.UTC(2026, 2, 8, 5, 0) + i * 60_000 + 59_999),
    ...Array.from({ length: 240 }, (_, i) => Date.UTC(2026, 3, 4, 14, 0) + i * 60_000 + 30_000),
    ...Array.from({ length: 240 }, (_, i) => Date.UTC(2026, 9, 3, 14, 0) + i * 60_000),
    ...Array.from({ length: 400 }, (_, i) => Date.UTC(1990, 0, 1) + i * 97 * 24 * 3_600_000 + i * 7_919_000),
  ];

  it('reads as luxon does, in every zone, around daylight-saving changes', () => {
    for (const tz of zones) {
      for (const t of instants) {
        const at = new Date(t);
        const want = byLuxon(at, tz, 2026);
        expect(formatLocalTime(at, tz, 2026), `${tz} ${at.toISOString()}`).toBe(want.time);
        expect(localDay(at, tz), `${tz} ${at.toISOString()}`).toBe(want.day);
      }
    }
  });

  it('refuses an unknown zone', () => {
    expect(() => localDay(new Date(Date.UTC(2026, 5, 1)), 'Mars/Olympus_Mons')).toThrow(/time zone/);
  });
});
