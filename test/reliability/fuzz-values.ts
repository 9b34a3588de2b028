// Seeded generators of hostile report-form values and chat texts for the fuzzer
// (hostile-input.test.ts). Everything is drawn from one seeded generator, so a failing run is
// replayed exactly with RELIABILITY_SEED=<seed printed by the test>.
import { NO, REPORT_FIELDS as F, YES } from '../../src/cards/card-actions.js';
import { PROBLEM_CATEGORIES, STAGES } from '../../src/db/schema.js';

/** mulberry32, as in duplicate-deliveries.test.ts. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Pick {
  constructor(readonly rnd: () => number) {}
  int(n: number): number {
    return Math.floor(this.rnd() * n);
  }
  one<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  chance(p: number): boolean {
    return this.rnd() < p;
  }
}

// Amounts people type, right and wrong, with the Unicode that reaches a text box.
const AMOUNTS = [
  '500', '0', '1,200.5', '3亿500万', '5000000元', '１，２００．５万', '500万元整', '0.0001', '99999999.9999', '100000000',
  '-5', '−5', '－５', '(500)', '-0', '+500', '00000500', '.5', '5.', '1.2.3', '1,20', '1e3', '1E-3', '1e308', 'NaN', 'Infinity',
  '-Infinity', '0x1F', '100000001', '1亿零1', '10000亿', '0.00001', '5²', '⑤', '𝟓𝟎𝟎', '٥٠٠', '५००', '5\u200b00', '\u202e005',
  '5\u00a000', '5\u0301', '5️⃣', '💰500', '500💰', '约500', '500左右', '五百', '500-600', '500/600', '', ' ', '\t', '\u3000', '\n',
  '\u0000', '5\u00000', '500\u0007', '\ud800', '5\udc00', '500\uffff', '\u00ad500', '500 万', ' 500 ', '１e３',
];

const TEXT_POOL = [
  '主体结构封顶', '厂房主体完工', 'abc', ' ', '\t', '\n', '\r\n', '\u0000', '\u0001', '\u0008', '\u000b', '\u001f', '\u007f', '\u0085',
  '\u009b', '\u200b', '\u200d', '\u202e', '\u2028', '\ufeff', '\ufffd', '\ud83d\ude00', '🏗️', '👨‍👩‍👧', '\ud800', '\udfff', 'e\u0301',
  '<at user_id="all"></at>', '@_user_1', "'; drop table reports; --", '{"text":"', '\\u0000', '%s%n', '${x}', '<script>', '１２３', '⑤',
  '𠀀', '\u3000', '中文', 'Z̤͔ͧ̑̓', 'a'.repeat(40),
];

/** A text of random pieces, now and then very long. */
export function fuzzText(p: Pick): string {
  const r = p.rnd();
  if (r < 0.03) return p.one(TEXT_POOL).repeat(1 + p.int(2000));
  if (r < 0.05) return '进'.repeat(499 + p.int(4));
  if (r < 0.06) return 'x'.repeat(100_000);
  let s = '';
  const n = 1 + p.int(6);
  for (let i = 0; i < n; i++) s += p.one(TEXT_POOL);
  return s;
}

export function fuzzAmount(p: Pick): unknown {
  const r = p.rnd();
  if (r < 0.6) return p.one(AMOUNTS);
  if (r < 0.7) return p.one([500, 0, -1, 1e21, 0.1 + 0.2, 1e-7, 123456789012, Number.MAX_SAFE_INTEGER, 2 ** 63, null, true, false]);
  if (r < 0.78) return p.one([['500'], [500, 600], [], [['500']], { value: '500' }, {}]);
  if (r < 0.9) return `${p.int(20000)}${p.chance(0.3) ? `.${p.int(100000)}` : ''}${p.one(['', '万', '万元', '亿', '元', ' ', '\u0000', '💰'])}`;
  return fuzzText(p);
}

function fuzzChoice(p: Pick, valid: readonly string[]): unknown {
  const r = p.rnd();
  if (r < 0.7) return p.one(valid);
  if (r < 0.8) return p.one([1, true, null, [], ['x'], {}, [p.one(valid)]]);
  return fuzzText(p);
}

/** A report form_value: each field missing, right, wrong or of the wrong type; now and then no object at all. */
export function fuzzForm(p: Pick): unknown {
  const r = p.rnd();
  if (r < 0.03) return p.one([null, 'form', 42, ['a'], true]);
  if (r < 0.05) return undefined;
  if (r < 0.4) {
    // A good form with one or two fields spoilt: most of the odd values that pass end up stored.
    const form: Record<string, unknown> = { [F.periodInvestment]: '500', [F.stage]: '续建', [F.started]: YES, [F.completed]: NO, [F.registered]: NO, [F.progress]: '主体结构封顶' };
    for (let k = 0; k < 1 + p.int(2); k++) {
      const name = p.one([F.periodInvestment, F.periodInvestment, F.progress, F.progress, F.stageReason, F.problemDescription]);
      if (name === F.periodInvestment) form[name] = fuzzAmount(p);
      else if (name === F.problemDescription) Object.assign(form, { [F.problemCategory]: p.one(PROBLEM_CATEGORIES), [name]: fuzzText(p) });
      else form[name] = fuzzText(p);
    }
    return form;
  }
  const form: Record<string, unknown> = {};
  const set = (name: string, v: () => unknown, missing = 0.1) => {
    if (!p.chance(missing)) form[name] = v();
  };
  set(F.periodInvestment, () => fuzzAmount(p), 0.05);
  set(F.stage, () => fuzzChoice(p, STAGES));
  set(F.started, () => fuzzChoice(p, [YES, NO]));
  set(F.completed, () => fuzzChoice(p, [NO, NO, YES]));
  set(F.registered, () => fuzzChoice(p, [YES, NO]));
  set(F.progress, () => (p.chance(0.3) ? '主体结构封顶' : fuzzText(p)), 0.15);
  set(F.stageReason, () => fuzzText(p), 0.7);
  const problem = p.chance(0.35);
  if (problem) {
    set(F.problemCategory, () => fuzzChoice(p, [...PROBLEM_CATEGORIES, 'none', '']), 0.1);
    set(F.problemDescription, () => (p.chance(0.4) ? '用地指标未落实' : fuzzText(p)), 0.15);
    set(F.problemDepartment, () => fuzzChoice(p, ['市自然资源局', 'none', '不存在的部门']), 0.4);
    set(F.problemNeedsCity, () => fuzzChoice(p, [YES, NO]), 0.5);
  }
  if (p.chance(0.05)) form[p.one(['__proto__', 'constructor', 'unknown_field', ''])] = fuzzText(p);
  return form;
}

const COMMAND_WORDS = ['填报', '我的项目', '问题', '帮助', '督办', '待办', '项目', '/填报', 'help', '?', '菜单', '本周完成投资', '完成投资', '本月投资完成'];

/** A chat text: a command with random arguments, a draft with a fuzzed amount, or noise. */
export function fuzzChat(p: Pick): { text: string; mention: boolean } {
  const r = p.rnd();
  let text: string;
  if (r < 0.35) text = `${p.one(COMMAND_WORDS)}${p.chance(0.5) ? p.one(['', ' ', '：', '\n']) + fuzzText(p) : ''}`;
  else if (r < 0.6) text = `${p.one(['本周完成投资', '完成投资：', '本月投资完成', '投资额'])}${String(fuzzAmount(p))}${p.chance(0.6) ? `，${fuzzText(p)}` : ''}`;
  else if (r < 0.7) text = `项目 XM${p.one(['FUZ0', 'NOPE', '0'.repeat(200), fuzzText(p)])}`;
  else text = fuzzText(p);
  return { text, mention: p.chance(0.3) };
}
