// Pure parsers for single spreadsheet cells, each returning a value or a Chinese reason.
// Offices type the same thing many ways (dates as 2026/3/1 or 2026年3月1日, phones with +86
// and dashes, Excel turning both into numbers); this is the one place that knows those forms.
import { parseAmountWan } from '../domain/amount.js';
import { STAGES, type CycleKind, type Stage } from '../db/schema.js';

/** A cell as the sheet reader hands it over: xlsx keeps numbers, booleans and dates typed. */
export type Cell = string | number | boolean | Date | null;

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };
const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = <T>(reason: string): Parsed<T> => ({ ok: false, reason });

export type MoneyUnit = '元' | '万元' | '亿元';
export type RegionKind = '县' | '市' | '区' | '开发区' | '其他';

const pad2 = (n: number): string => String(n).padStart(2, '0');
const ymd = (y: number, m: number, d: number): string => `${y}-${pad2(m)}-${pad2(d)}`;

/** Cell as text: trimmed, runs of whitespace (line breaks inside a cell too) collapsed to one space. */
export function cellText(cell: Cell): string {
  if (cell === null) return '';
  if (cell instanceof Date) return dateFromJsDate(cell);
  if (typeof cell === 'boolean') return cell ? 'TRUE' : 'FALSE';
  if (typeof cell === 'number') return Number.isFinite(cell) ? numberText(cell) : '';
  // Most cells hold no whitespace at all: no new string for them.
  return SPACE.test(cell) ? cell.replace(SPACES, ' ').trim() : cell;
}

const SPACE = /[\s\u00a0\u3000]/;
const SPACES = /[\s\u00a0\u3000]+/g;

/** Integers without exponent, so a code or phone typed as a number stays the same digits. */
function numberText(n: number): string {
  return Number.isInteger(n) && Math.abs(n) < 1e21 ? BigInt(n).toString() : String(n);
}

/** Text for codes and keyword cells: full-width letters and digits folded (NFKC). */
export function cellKey(cell: Cell): string {
  const text = cellText(cell);
  // Printable ASCII and CJK unified ideographs are their own NFKC form: codes and region names skip it.
  return NFKC_STABLE.test(text) ? text : text.normalize('NFKC').trim();
}

const NFKC_STABLE = /^[\x20-\x7e\u4e00-\u9fff]*$/;

const HAN = /\p{Script=Han}/u;

/** Names: 2-character names are often padded to line up ("周  敏"); that space is not part of the name. */
export function personName(cell: Cell): string {
  const text = cellText(cell);
  return HAN.test(text) ? text.replace(/\s+/g, '') : text;
}

// Year bounds: anything outside is a typo (or a number that is not a date at all).
const MIN_YEAR = 1950;
const MAX_YEAR = 2100;
const DATE_EXAMPLE = '请写成 2026-03-01、2026/3/1 或 2026年3月1日';

function checkedDate(y: number, m: number, d: number, shown: string): Parsed<string> {
  if (y < MIN_YEAR || y > MAX_YEAR) return fail(`日期“${shown}”的年份不合理，${DATE_EXAMPLE}`);
  if (m < 1 || m > 12) return fail(`日期“${shown}”的月份不存在`);
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  if (d < 1 || d > last) return fail(`日期“${shown}”不存在（${y}年${m}月只有${last}天）`);
  return ok(ymd(y, m, d));
}

/** Excel's 1900 date system, including its phantom 1900-02-29 (serial 60). */
function dateFromSerial(serial: number, shown: string): Parsed<string> {
  const whole = Math.floor(serial);
  const epoch = whole >= 61 ? Date.UTC(1899, 11, 30) : Date.UTC(1899, 11, 31);
  const d = new Date(epoch + whole * 86_400_000);
  return checkedDate(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), shown);
}

/**
 * SheetJS builds Date objects at local midnight; other producers use UTC midnight.
 * Take whichever midnight it is, else the nearest local day.
 */
function dateFromJsDate(date: Date): string {
  if (date.getHours() === 0 && date.getMinutes() === 0 && date.getSeconds() === 0) {
    return ymd(date.getFullYear(), date.getMonth() + 1, date.getDate());
  }
  if (date.getUTCHours() === 0 && date.getUTCMinutes() === 0 && date.getUTCSeconds() === 0) {
    return ymd(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate());
  }
  const nearest = new Date(date.getTime() + 12 * 3_600_000);
  return ymd(nearest.getFullYear(), nearest.getMonth() + 1, nearest.getDate());
}

// Serials for 1950-01-01 .. 2100-12-31: a number outside is not a date cell.
const SERIAL_MIN = 18264;
const SERIAL_MAX = 73415;

/** A day as 'YYYY-MM-DD'; null for an empty cell. */
export function parseDate(cell: Cell): Parsed<string | null> {
  if (cell === null) return ok(null);
  if (cell instanceof Date) {
    if (Number.isNaN(cell.getTime())) return fail('日期无效');
    return ok(dateFromJsDate(cell));
  }
  if (typeof cell === 'number') {
    if (Number.isInteger(cell) && cell >= 19500101 && cell <= 21001231) {
      return checkedDate(Math.floor(cell / 10000), Math.floor(cell / 100) % 100, cell % 100, String(cell));
    }
    if (cell >= SERIAL_MIN && cell <= SERIAL_MAX + 1) return dateFromSerial(cell, String(cell));
    return fail(`日期“${String(cell)}”无法识别，${DATE_EXAMPLE}`);
  }
  const text = cellKey(cell);
  if (text === '') return ok(null);
  const compact = text.replace(/\s+/g, '');
  let m = /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$/.exec(compact)
    ?? /^(\d{4})-(\d{1,2})-(\d{1,2})[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?$/.exec(text);
  if (m) return checkedDate(Number(m[1]), Number(m[2]), Number(m[3]), text);
  m = /^(\d{4})[-/.年](\d{1,2})月?$/.exec(compact);
  if (m) return checkedDate(Number(m[1]), Number(m[2]), 1, text);
  m = /^(\d{4})(\d{2})(\d{2})$/.exec(compact);
  if (m) return checkedDate(Number(m[1]), Number(m[2]), Number(m[3]), text);
  if (/^\d{5}(?:\.\d+)?$/.test(compact)) {
    const serial = Number(compact);
    if (serial >= SERIAL_MIN && serial <= SERIAL_MAX + 1) return dateFromSerial(serial, text);
  }
  return fail(`日期“${text}”无法识别，${DATE_EXAMPLE}`);
}

const MOBILE = /^(?:\+86|0086|86)?(1[3-9]\d{9})$/;

/**
 * An 11-digit mainland mobile, the only number Feishu can find a user by
 * (with or without +86, spaces or dashes). Null for an empty cell.
 */
export function parseMobile(cell: Cell): Parsed<string | null> {
  const text = typeof cell === 'number' ? numberText(cell) : cellKey(cell);
  if (text === '') return ok(null);
  const compact = text.replace(/[\s\-()（）.]/g, '');
  const m = MOBILE.exec(compact);
  if (m?.[1]) return ok(m[1]);
  if (/[,，、;；/]/.test(text) && (text.match(/\d{7,}/g) ?? []).length > 1) {
    return fail(`“${text}”中有多个号码，每格只能填写一个11位手机号`);
  }
  if (/^0\d{2,3}\d{7,8}(?:\d{1,4})?$/.test(compact) || /^\d{7,8}$/.test(compact)) {
    return fail(`“${text}”是座机号码，无法用于匹配飞书用户，请填写11位手机号，如 13800000000`);
  }
  return fail(`手机号“${text}”格式不正确，应为11位手机号，如 13800000000`);
}

const EMAIL = /^[^\s@，,;；]+@[^\s@，,;；]+\.[^\s@，,;；]+$/;

export function parseEmail(cell: Cell): Parsed<string | null> {
  const text = cellKey(cell);
  if (text === '') return ok(null);
  if (!EMAIL.test(text)) return fail(`邮箱“${text}”格式不正确`);
  return ok(text.toLowerCase());
}

export function parseStage(cell: Cell): Parsed<Stage> {
  const text = cellKey(cell).replace(/\s+/g, '');
  if (text === '') return fail(`不能为空，应为 ${STAGES.join('、')} 之一`);
  const stage = STAGES.find((s) => s === text);
  return stage ? ok(stage) : fail(`项目阶段“${text}”无效，应为 ${STAGES.join('、')} 之一`);
}

const WEEKLY = new Set(['每周', '周', 'weekly', 'week', '周调度', '按周', '每周调度']);
const MONTHLY = new Set(['每月', '月', 'monthly', 'month', '月调度', '按月', '每月调度', '月通报']);

/** Null when empty: the caller then decides by the project's lists. */
export function parseFrequency(cell: Cell): Parsed<CycleKind | null> {
  const text = cellKey(cell).replace(/\s+/g, '').toLowerCase();
  if (text === '') return ok(null);
  if (WEEKLY.has(text)) return ok('weekly');
  if (MONTHLY.has(text)) return ok('monthly');
  return fail(`调度频次“${cellText(cell)}”无效，应为 每周 或 每月（留空则按所属清单确定）`);
}

/** "在建项目清单" and "在建项目" are the same list; store the short form so filters agree. */
export function canonicalListName(name: string): string {
  const text = name.normalize('NFKC').replace(/\s+/g, '');
  return text.length > 2 ? text.replace(/清单$/, '') : text;
}

/** 所属清单 may name several lists: "在建项目、专项债券项目". */
export function parseLists(cell: Cell): string[] {
  const parts = cellText(cell).split(/[、,，;；\n]+/).map(canonicalListName).filter((s) => s !== '');
  return [...new Set(parts)];
}

/** Started-but-not-registered projects are watched weekly; every other list monthly. */
export function defaultFrequency(lists: readonly string[]): CycleKind {
  return lists.some((l) => l.startsWith('已开工未入统')) ? 'weekly' : 'monthly';
}

export function regionKind(name: string): RegionKind {
  if (/(开发区|高新区|新区|园区|经开区)$/.test(name)) return '开发区';
  if (name.endsWith('县')) return '县';
  if (name.endsWith('市')) return '市';
  if (name.endsWith('区')) return '区';
  return '其他';
}

const HAS_UNIT = /[万亿元]/;

/**
 * Money in 万元 through the shared parser. A bare figure takes the column's unit
 * (总投资（亿元） 3.21 → 32100); a figure that names its own unit keeps it.
 */
export function parseMoney(cell: Cell, columnUnit: MoneyUnit): Parsed<string | null> {
  if (cell === null || (typeof cell === 'string' && cell.trim() === '')) return ok(null);
  if (typeof cell === 'boolean' || cell instanceof Date) return fail(`“${cellText(cell)}”不是金额`);
  let input: string | number;
  if (typeof cell === 'number') input = columnUnit === '万元' ? cell : `${numberText(cell)}${unitSuffix(columnUnit)}`;
  else input = HAS_UNIT.test(cell) || columnUnit === '万元' ? cell : `${cell.trim()}${unitSuffix(columnUnit)}`;
  const parsed = parseAmountWan(input);
  return parsed.ok ? ok(parsed.value) : fail(parsed.reason);
}

function unitSuffix(unit: MoneyUnit): string {
  return unit === '亿元' ? '亿' : unit === '元' ? '元' : '';
}
