import { describe, expect, it, vi } from 'vitest';
import { cardStats, CARD_LIMITS } from '../../src/cards/limits.js';
import { buildReportSummaryCard } from '../../src/cards/report-summary.card.js';
import { buildDepartmentProblemCard, buildOwnerProblemCard, buildProblemListCard, type ProblemView } from '../../src/cards/problem.card.js';
import { buildMyProjectsCard, type MyProjectRow } from '../../src/cards/my-projects.card.js';
import { buildHelpCard } from '../../src/cards/help.card.js';
import { buildDraftPickCard, buildPhotoPickCard } from '../../src/cards/project-pick.card.js';
import { buildNoticeCard } from '../../src/cards/notice.card.js';
import { answerWithin } from '../../src/platform/feishu/deadline.js';
import type { ProblemStatus } from '../../src/db/schema.js';

const long = (n: number) => '很长的文字'.repeat(n);

const problem = (i: number, status: ProblemStatus = 'open'): ProblemView => ({
  id: i,
  number: `WT2026-${String(i).padStart(4, '0')}`,
  status,
  project: { code: `XM${i}`, name: `项目${long(6)}` },
  category: '用地',
  description: long(100),
  department: '市自然资源局',
  needsCityCoordination: i % 2 === 0,
  raisedBy: '杜磊秀',
  raisedAt: new Date('2026-10-24T02:00:00Z'),
  resolutionNote: long(50),
  reopenReason: long(50),
});

const row = (i: number): MyProjectRow => ({
  projectId: i,
  code: `XM${i}`,
  name: `项目${long(6)}`,
  stage: '续建',
  light: { light: 'yellow', reasons: ['低于序时进度13.3个百分点', '连续1期未报送'] },
  annualPlan: '6000',
  ytd: { year: 2026, investment: '4200' },
  last: { kind: 'monthly', periodKey: '2026-10', periodInvestment: '500' },
  pending: [{ cycleId: 1, kind: 'weekly', periodKey: '2026-W43' }, { cycleId: 2, kind: 'monthly', periodKey: '2026-10' }],
});

describe('cards are JSON 2.0, shared, and within Feishu limits even when full', () => {
  const cards: [string, Record<string, unknown>][] = [
    ['summary', buildReportSummaryCard({
      project: { id: 1, code: 'XM1', name: '城东污水处理厂' },
      cycle: { id: 1, kind: 'monthly', periodKey: '2026-10', open: true },
      tz: 'Asia/Shanghai',
      summary: { text: '已提交 · 本期完成 500 万元', light: 'yellow', lightReasons: ['低于序时进度13.3个百分点'] },
      report: { stage: '续建', started: true, completed: false, registered: false, progress: long(100), revision: 2, submittedAt: new Date(), submittedBy: '杜磊秀' },
      problem: { number: 'WT2026-0001', category: '用地', department: '市自然资源局', needsCityCoordination: true },
      photos: 3,
    })],
    ...(['open', 'in_coordination', 'resolved', 'confirmed', 'reopened'] as const).flatMap((s): [string, Record<string, unknown>][] => [
      [`department ${s}`, buildDepartmentProblemCard(problem(1, s), { tz: 'Asia/Shanghai' })],
      [`owner ${s}`, buildOwnerProblemCard(problem(1, s), { tz: 'Asia/Shanghai' })],
    ]),
    ['problem list of 40', buildProblemListCard({ title: '问题', problems: Array.from({ length: 40 }, (_, i) => problem(i + 1)), tz: 'Asia/Shanghai', empty: '' })],
    ['my projects of 40', buildMyProjectsCard({ personName: '杜磊秀', rows: Array.from({ length: 40 }, (_, i) => row(i + 1)) })],
    ['help', buildHelpCard({ notice: '没有理解' })],
    ['draft pick of 10', buildDraftPickCard({ draft: { amount: '500万', progress: long(100) }, draftOf: 'om_1', options: Array.from({ length: 10 }, (_, i) => ({ projectId: i, cycleId: 1, code: 'X', name: long(6), kind: 'monthly' as const, periodKey: '2026-10' })) })],
    ['photo pick of 10', buildPhotoPickCard({ imageKeys: Array.from({ length: 20 }, (_, i) => `img_v2_${'x'.repeat(40)}${i}`), messageId: 'om_1', options: Array.from({ length: 10 }, (_, i) => ({ projectId: i, cycleId: 1, code: 'X', name: long(6), kind: 'monthly' as const, periodKey: '2026-10' })) })],
    ['notice', buildNoticeCard({ title: '操作未完成', text: '提交未成功', level: 'error' })],
  ];
  it.each(cards)('%s', (_name, card) => {
    expect(card.schema).toBe('2.0');
    expect(card.config).toEqual({ update_multi: true });
    const stats = cardStats(card);
    expect(stats.bytes).toBeLessThan(CARD_LIMITS.bytes);
    expect(stats.components).toBeLessThan(CARD_LIMITS.components);
  });

  it('offers the edit button on the summary only while the cycle is open', () => {
    const base = cards[0][1];
    expect(JSON.stringify(base)).toContain('"a":"report.edit"');
    const closed = buildReportSummaryCard({
      project: { id: 1, code: 'XM1', name: 'x' },
      cycle: { id: 1, kind: 'monthly', periodKey: '2026-10', open: false },
      tz: 'Asia/Shanghai',
      summary: { text: 't', light: 'none', lightReasons: [] },
      report: { stage: '续建', started: true, completed: false, registered: false, progress: '', revision: 1, submittedAt: new Date(), submittedBy: 'x' },
      problem: null,
      photos: 0,
    });
    expect(JSON.stringify(closed)).not.toContain('report.edit');
  });
});

describe('answerWithin', () => {
  it('returns the answer that arrives in time', async () => {
    const onLate = vi.fn(async () => undefined);
    await expect(answerWithin(Promise.resolve('done'), 50, () => 'interim', onLate, () => undefined)).resolves.toBe('done');
    expect(onLate).not.toHaveBeenCalled();
  });

  it('answers with the interim when the work is slow, and hands the real answer on when it comes', async () => {
    vi.useFakeTimers();
    try {
      let finish!: (v: string) => void;
      const work = new Promise<string>((r) => (finish = r));
      const late: string[] = [];
      const answer = answerWithin(work, 2500, () => 'interim', async (v) => void late.push(v), () => undefined);
      await vi.advanceTimersByTimeAsync(2500);
      await expect(answer).resolves.toBe('interim');
      finish('final');
      await vi.runAllTimersAsync();
      expect(late).toEqual(['final']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('propagates a failure inside the budget, and reports one after it', async () => {
    await expect(answerWithin(Promise.reject(new Error('db down')), 50, () => 'interim', async () => undefined, () => undefined)).rejects.toThrow('db down');
    vi.useFakeTimers();
    try {
      let fail!: (e: Error) => void;
      const work = new Promise<string>((_, r) => (fail = r));
      const errors: unknown[] = [];
      const answer = answerWithin(work, 10, () => 'interim', async () => undefined, (e) => void errors.push(e));
      await vi.advanceTimersByTimeAsync(10);
      await expect(answer).resolves.toBe('interim');
      fail(new Error('late failure'));
      await vi.runAllTimersAsync();
      expect(errors).toHaveLength(1);
    } finally {
      vi.useRealTimers();
    }
  });
});
