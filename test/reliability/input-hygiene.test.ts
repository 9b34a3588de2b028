// Finding 4 (input): amounts whose digits are superscripts, circled or otherwise decorated are
// refused instead of being folded by NFKC into another number ("5²" → 52, "⑤" → 5).
import { describe, expect, it } from 'vitest';
import { parseAmountWan } from '../../src/domain/amount.js';

describe('decorated digits in amounts', () => {
  it.each(['5²', '⑤', '⑽', '⒌', '1⁰⁰', '₅₀₀', '500万²', 'Ⅴ', '㊿'])('%s is refused, with a reason about the digits', (input) => {
    const r = parseAmountWan(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/数字/);
  });
  it.each([
    ['５００', '500'],
    ['１，２００．５万', '1200.5'],
    ['500万', '500'],
  ])('full-width %s is still folded', (input, value) => {
    expect(parseAmountWan(input)).toEqual({ ok: true, value });
  });
});

import { NO, REPORT_FIELDS as F, YES } from '../../src/cards/card-actions.js';
import { validateReportForm, type FilingBasis } from '../../src/submission/report-form.js';

const basis: FilingBasis = { stage: '续建', started: true, completed: false, registered: false, totalInvestment: '10000', ytdBase: '3700', later: null, existingPeriodInvestment: null };
const form = { [F.periodInvestment]: '500', [F.stage]: '续建', [F.started]: YES, [F.completed]: NO, [F.registered]: NO, [F.progress]: '主体结构封顶' };

describe('control characters in text fields', () => {
  it.each([F.progress, F.stageReason, F.problemDescription, F.problemDepartment])('a NUL byte in %s is refused under that field (PostgreSQL cannot store it)', (field) => {
    const r = validateReportForm({ ...form, [field]: '进度\u0000正常' }, basis);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[field]).toMatch(/不可见的控制字符/);
  });
  it('tabs and line breaks are fine', () => {
    expect(validateReportForm({ ...form, [F.progress]: '一、主体\n二、\t装修' }, basis).ok).toBe(true);
  });
});
