// Found by the fuzzer (hostile-input.test.ts): a refused report form is shown again with what was
// typed, and a typed text far past the input's max_length (only a forged or broken client sends
// one) made that card bigger than Feishu's 30 KB, so the owner saw an error (200673) instead of
// the form and its reasons. The echo is cut at the input's max_length, and an amount too long to
// be one is refused without being quoted back.
import { describe, expect, it } from 'vitest';
import { buildReportFormCard, type ReportFormCardInput } from '../../src/cards/report-form.card.js';
import { REPORT_FIELDS as F } from '../../src/cards/card-actions.js';
import { parseAmountWan } from '../../src/domain/amount.js';
import { validateCard } from '../../src/sandbox/index.js';

const input: ReportFormCardInput = {
  cycle: { id: 12, kind: 'weekly', periodKey: '2026-W47', dueAt: new Date('2026-11-20T18:00:00+08:00') },
  tz: 'Asia/Shanghai',
  project: { id: 345, code: 'XM2026001', name: '巡检司电厂扩建工程', stage: '续建', started: true, completed: false, registered: false, annualPlan: '60000' },
  light: { light: 'yellow', reasons: ['低于序时进度8.2个百分点'] },
  ytd: { year: 2026, investment: '48000' },
  latest: null,
  previousSameKind: null,
  departments: [],
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- walks the card JSON
type El = Record<string, any>;

describe('a refused form echoes at most what its inputs hold', () => {
  it('cuts every typed text at its input’s max_length, so the card stays valid and under 30 KB', () => {
    const long = '进'.repeat(100_000);
    const card: El = buildReportFormCard({
      ...input,
      typed: { [F.periodInvestment]: long, [F.progress]: long, [F.stageReason]: long, [F.problemDescription]: long, [F.problemDepartment]: long },
      errors: { [F.progress]: '形象进度最多 500 字，当前 100000 字' },
    });
    expect(validateCard(card)).toEqual([]);
    const form = card.body.elements.find((e: El) => e.tag === 'form') as El;
    for (const el of form.elements.filter((e: El) => e.tag === 'input')) {
      if (el.default_value !== undefined) expect([...el.default_value].length).toBeLessThanOrEqual(el.max_length);
    }
  });

  it.each(['1'.repeat(10_000), `500${'万'.repeat(5000)}`, `1,${'2'.repeat(5000)}`])('an amount of %#: refused with a short reason that does not quote it', (typed) => {
    const r = parseAmountWan(typed);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason.length).toBeLessThan(80);
  });
});
