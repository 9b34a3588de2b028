// Money typed by people, parsed into 万元 (10,000 yuan) — the unit of every figure in the
// dispatch tables ("单位：万元"). One parser for cards, imports and the CLI, so "500万" means
// the same thing everywhere. Exact decimals only: a float would turn 0.1 + 0.2 into a
// figure nobody reported.
import { Decimal } from 'decimal.js';

/** A Decimal with room for any figure we accept (1万亿元 = 1e8 万元 with 4 decimals). */
export const Dec = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_UP });
export type DecimalLike = Decimal | string | number;

export type AmountResult = { ok: true; value: string } | { ok: false; reason: string };
export interface ParseAmountOptions {
  /** Corrections (冲减) may be negative; reported figures may not. Default false. */
  allowNegative?: boolean;
}

/** 1 yuan = 0.0001 万元: finer precision than that is a typo or a float artefact. */
const MAX_DECIMALS_WAN = 4;
/** 1万亿元. No single key project comes near; a bigger figure is a unit mistake. */
const MAX_ABS_WAN = new Dec('100000000');
const MAX_ABS_WAN_NUMBER = MAX_ABS_WAN.toNumber();
/** A number's shortest text within the accepted precision, no exponent (`String(1e-7)` is "1e-7"). */
const PLAIN_WAN = /^-?(?:0|[1-9][0-9]{0,8})(?:\.[0-9]{1,4})?$/;
/** Text that parses to itself: non-negative, no leading or trailing zeros, at most 4 decimals. */
const CANONICAL_WAN = /^(?:0|[1-9][0-9]{0,8})(?:\.[0-9]{0,3}[1-9])?$/;

const EXAMPLE = '如 500、500万、3.21亿';
/** "１，２００，０００，０００．１２３４万元整" is 22; the card's input holds 30. */
const MAX_AMOUNT_CHARS = 40;
const CHINESE_NUMERALS = /[零〇一二两三四五六七八九十百千壹贰叁肆伍陆柒捌玖拾佰仟]/;
// Words that make a figure an estimate. 多/余 as in "500多万"/"500余万".
const APPROXIMATE = /约|大约|大概|左右|上下|估计|预计|将近|接近|近|超过|以上|以下|不到|不足|多|余|若干/;
// A run of characters that could be part of one number: digits and the separators around them.
const NUMBER_RUN = /[0-9][0-9.,]*/g;
// One well-formed number: plain, or with correct thousands grouping; optional decimals.
const WELL_FORMED = /^(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?$/;
const SINGLE = /^([+-]?)(¥?)([0-9][0-9.,]*)(亿元|亿|万元|万|元)?$/;
// "3亿500万": unambiguous as long as the 万 part is explicit (a bare "3亿500" is not).
const MIXED = /^([+-]?)(¥?)([0-9][0-9.,]*)亿([0-9][0-9.,]*)万元?$/;

const fail = (reason: string): AmountResult => ({ ok: false, reason });

/** A character NFKC turns into digits that is neither an ASCII nor a full-width digit. */
function isDecoratedDigit(c: string): boolean {
  if (/[0-9\uFF10-\uFF19]/.test(c)) return false;
  const folded = c.normalize('NFKC');
  return folded !== c && /[0-9]/.test(folded);
}

/**
 * Parses an amount typed by a person into 万元.
 * - A bare number is already 万元 ("500" → 500); "元" alone is yuan ("5000000元" → 500).
 * - Full-width digits and punctuation are folded (NFKC), so "１，２００．５万" → 1200.5.
 * - Refuses, with a Chinese reason: Chinese numerals, ranges and several numbers, estimates
 *   ("约500", "500左右"), malformed separators ("1,20", "1.200.5"), unknown units,
 *   sub-yuan precision, negatives unless allowed.
 * - Numbers (not strings) are taken as 万元; a float like 0.30000000000000004 is refused
 *   for precision rather than silently rounded.
 */
export function parseAmountWan(input: string | number, opts: ParseAmountOptions = {}): AmountResult {
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) return fail('金额不是有效数字');
    // Nearly every number cell of a sheet: its shortest text is already what Decimal would
    // give back (plain, no trailing zeros), so a 10,000-row import builds no Decimal for it.
    const text = String(input);
    if (PLAIN_WAN.test(text) && Math.abs(input) <= MAX_ABS_WAN_NUMBER) {
      return input < 0 && !opts.allowNegative ? fail('金额不能为负数') : { ok: true, value: text };
    }
    return finish(new Dec(input), opts, false);
  }
  // Text already in canonical form ("500", "1200.5"), as sheets and cards mostly carry it.
  if (CANONICAL_WAN.test(input) && Number(input) <= MAX_ABS_WAN_NUMBER) return { ok: true, value: input };
  // No amount anybody means is this long, and the reasons below quote parts of the input: a text
  // this size would be echoed into the card and the toast (the card past Feishu's 30 KB).
  if ([...input].length > MAX_AMOUNT_CHARS) return fail(`金额填写过长，请只填写数字和单位，${EXAMPLE}`);
  // NFKC would also turn superscripts, subscripts, circled and Roman digits into plain ones —
  // "5²" into 52, "⑤" into 5 — a different number from the one shown: refuse those first.
  const decorated = [...input].find(isDecoratedDigit);
  if (decorated) return fail(`“${decorated}”不是普通数字，请用阿拉伯数字填写，${EXAMPLE}`);
  // NFKC folds full-width digits, "，", "．", "－", "￥" and the ideographic space.
  // U+2212 (math minus) survives NFKC; people paste it from spreadsheets.
  const s = input.normalize('NFKC').replace(/\u2212/g, '-').replace(/\s+/g, ' ').trim();
  if (s === '') return fail('金额不能为空，请填写数字，' + EXAMPLE);
  if (CHINESE_NUMERALS.test(s)) return fail('请用阿拉伯数字填写，如 500（单位万元），不要写“五百”“壹亿”等汉字数字');

  const runs = s.match(NUMBER_RUN) ?? [];
  if (runs.length === 0) return fail(`没有找到金额数字，请填写数字，${EXAMPLE}`);
  // "500万元整": 整 ("exactly") is customary at the end of formal amounts and changes nothing.
  const compact = s.replace(/ /g, '').replace(/整$/, '');
  const mixed = MIXED.exec(compact);
  if (!mixed && /^[+-]?¥?[0-9.,]+亿[0-9.,]+元?$/.test(compact)) {
    // "3亿500" could be 3亿500万 or 3亿零500元.
    return fail(`“${s}”中“亿”后面部分的单位不明确，请写成如 3亿500万，或直接写 30500`);
  }
  if (runs.length > 1 && !mixed) {
    return fail(`只能填写一个确切金额，检测到多个数字（${runs.join('、')}），请不要填写范围或多个数`);
  }
  if (APPROXIMATE.test(s)) return fail('请填写确切金额，不要使用“约”“左右”“多”等估计说法');
  for (const run of runs) {
    const problem = separatorProblem(run);
    if (problem) return fail(problem);
  }

  if (mixed) {
    const [, sign = '', , yi = '', wan = ''] = mixed;
    const yiPart = new Dec(yi.replace(/,/g, ''));
    const wanPart = new Dec(wan.replace(/,/g, ''));
    if (wanPart.gte(10000)) return fail(`“亿”后面的“万”部分应小于10000，当前为${wan}万`);
    const value = yiPart.times(10000).plus(wanPart);
    return finish(sign === '-' ? value.negated() : value, opts, false);
  }
  const single = SINGLE.exec(compact);
  if (!single) {
    const rest = compact.replace(/^[+-]?¥?[0-9.,]+/, '');
    return fail(rest
      ? `无法识别的单位或文字“${rest}”，金额单位只能是 万、万元、亿、亿元、元，${EXAMPLE}`
      : `金额格式不正确，${EXAMPLE}`);
  }
  const [, sign = '', , num = '', unit = ''] = single;
  let value = new Dec(num.replace(/,/g, ''));
  if (unit.startsWith('亿')) value = value.times(10000);
  else if (unit === '元') value = value.dividedBy(10000);
  return finish(sign === '-' ? value.negated() : value, opts, unit === '元');
}

function separatorProblem(run: string): string | undefined {
  if (WELL_FORMED.test(run)) return undefined;
  if ((run.match(/\./g) ?? []).length > 1) return `“${run}”中有多个小数点，无法确定金额，请写成如 1200.5`;
  if (run.endsWith('.') || run.endsWith(',')) return `“${run}”末尾多了符号，请写成如 1200.5`;
  return `“${run}”的千分位逗号位置不对，无法确定金额；请不写逗号（如 1200）或每三位一个逗号（如 1,200）`;
}

function finish(value: Decimal, opts: ParseAmountOptions, typedInYuan: boolean): AmountResult {
  if (value.isNegative() && !value.isZero() && !opts.allowNegative) return fail('金额不能为负数');
  if (value.decimalPlaces() > MAX_DECIMALS_WAN) {
    return fail(typedInYuan
      ? '以“元”填写时请精确到元，不要填写角、分'
      : `金额最多保留${MAX_DECIMALS_WAN}位小数（单位万元，即精确到元）`);
  }
  if (value.abs().gt(MAX_ABS_WAN)) return fail('金额超过1万亿元，请核对单位（默认单位为万元）');
  return { ok: true, value: canonical(value) };
}

/** Text that is its own canonical form (any size): no leading or trailing zeros, no "-0". */
const CANONICAL_TEXT = /^(?:0|-?[1-9][0-9]*(?:\.[0-9]*[1-9])?|-?0\.[0-9]*[1-9])$/;
const PLAIN_NUMBER = /^(-?)([0-9]+)(?:\.([0-9]*))?$/;

/**
 * Compares two amounts like Decimal's comparedTo (-1, 0, 1). Plain decimal text — canonical
 * figures and Postgres numerics such as "120.5000" — is compared digit by digit without building
 * a Decimal: the import compares four figures a row, tens of thousands of rows.
 */
export function compareAmounts(a: DecimalLike, b: DecimalLike): number {
  const x = typeof a === 'string' ? PLAIN_NUMBER.exec(a) : null;
  const y = x && typeof b === 'string' ? PLAIN_NUMBER.exec(b) : null;
  if (!x || !y) return new Dec(a).comparedTo(b);
  const [ix, fx] = [(x[2] ?? '').replace(/^0+/, ''), (x[3] ?? '').replace(/0+$/, '')];
  const [iy, fy] = [(y[2] ?? '').replace(/^0+/, ''), (y[3] ?? '').replace(/0+$/, '')];
  const sx = ix === '' && fx === '' ? 0 : x[1] === '-' ? -1 : 1;
  const sy = iy === '' && fy === '' ? 0 : y[1] === '-' ? -1 : 1;
  if (sx !== sy) return sx < sy ? -1 : 1;
  if (sx === 0) return 0;
  let magnitude = ix.length !== iy.length ? (ix.length < iy.length ? -1 : 1) : ix < iy ? -1 : ix > iy ? 1 : 0;
  if (magnitude === 0) {
    const width = Math.max(fx.length, fy.length);
    const [px, py] = [fx.padEnd(width, '0'), fy.padEnd(width, '0')];
    magnitude = px < py ? -1 : px > py ? 1 : 0;
  }
  return magnitude === 0 ? 0 : sx * magnitude;
}

/** Plain notation, no exponent, no trailing zeros, no "-0". */
export function canonical(value: DecimalLike): string {
  if (typeof value === 'string' && CANONICAL_TEXT.test(value)) return value;
  const d = new Dec(value);
  return d.isZero() ? '0' : d.toFixed();
}

export interface FormatWanOptions {
  /** Fixed number of decimals (pads with zeros). Default: as many as needed, at most 4. */
  decimals?: number;
  /** Append "万元". Default false. */
  unit?: boolean;
}

/** "4200" → "4,200"; "1200.5" → "1,200.5". For card and table text. */
export function formatWan(value: DecimalLike, opts: FormatWanOptions = {}): string {
  const d = new Dec(value);
  const fixed = opts.decimals === undefined
    ? canonical(d.toDecimalPlaces(MAX_DECIMALS_WAN))
    : d.toFixed(opts.decimals);
  const negative = fixed.startsWith('-') && /[1-9]/.test(fixed);
  const [intPart = '0', frac] = fixed.replace(/^-/, '').split('.');
  const grouped = intPart.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const text = (negative ? '-' : '') + grouped + (frac ? '.' + frac : '');
  return opts.unit ? text + '万元' : text;
}

/** 0.7 → "70.0%". Half-up rounding, never "-0.0%". */
export function formatPercent(ratio: DecimalLike, digits = 1): string {
  const text = new Dec(ratio).times(100).toFixed(digits);
  return (/[1-9]/.test(text) ? text : text.replace(/^-/, '')) + '%';
}
