import { describe, expect, it } from 'vitest';
import { causeGone, decideEscalations, escalationResolved, useDigest, type LadderRules, type ProjectAtClose, type ResolutionFacts } from '../../src/domain/escalation-rules.js';

const now = new Date('2026-11-25T10:00:00Z');
const base: ProjectAtClose = {
  cycleId: 7, periodLabel: '2026年11月', dueText: '11月25日（周三）18:00', light: 'green', lightReasons: ['与序时进度持平'],
  previousLight: null, missed: false, openProblems: [], openLevel1: [], now,
};
const yinchuan: LadderRules = { preset: 'yinchuan', problemOpenDays: 14 };
const sanya: LadderRules = { preset: 'sanya', problemOpenDays: 14 };
const kinds = (p: Partial<ProjectAtClose>, rules = yinchuan) =>
  decideEscalations({ ...base, ...p }, rules).map((d) => [d.level, d.causes.map((c) => c.kind)]);
const days = (n: number) => new Date(now.getTime() - n * 24 * 3600 * 1000);
const problem = (o: { raisedAt: Date; needsCity?: boolean }) => ({ id: 3, number: 'WT2026-0003', description: '用地指标未下达', needsCity: false, ...o });

describe('decideEscalations', () => {
  it.each([
    ['green, reported', {}, []],
    ['yellow once', { light: 'yellow' }, []],
    ['red', { light: 'red' }, [[1, ['red']]]],
    ['yellow after yellow', { light: 'yellow', previousLight: 'yellow' }, [[1, ['yellow_twice']]]],
    ['yellow after red', { light: 'yellow', previousLight: 'red' }, []],
    ['missed', { missed: true, light: 'yellow' }, [[1, ['missed']]]],
    ['problem open exactly 14 days', { openProblems: [problem({ raisedAt: days(14) })] }, []],
    ['problem open 15 days', { openProblems: [problem({ raisedAt: days(15) })] }, [[1, ['problem_stale']]]],
    ['city-level problem raised today', { openProblems: [problem({ raisedAt: now, needsCity: true })] }, [[2, ['city_problem']]]],
    ['level 1 still open from last cycle', { openLevel1: [{ id: 4, periodLabel: '2026年10月' }] }, [[2, ['level1_unresolved']]]],
  ] as const)('%s', (_name, p, expected) => {
    expect(kinds(p as Partial<ProjectAtClose>)).toEqual(expected);
  });

  it('sends two yellows in a row to the 分管副市长 under sanya', () => {
    expect(kinds({ light: 'yellow', previousLight: 'yellow' }, sanya)).toEqual([[2, ['sanya_yellow_twice']]]);
  });

  it('explains each cause in Chinese', () => {
    const [d] = decideEscalations({ ...base, missed: true, light: 'red', lightReasons: ['连续1期未报送', '低于序时进度31.0个百分点'] }, yinchuan);
    expect(d.causes.map((c) => c.text)).toEqual(['红灯：连续1期未报送；低于序时进度31.0个百分点', '2026年11月未在截止时间（11月25日（周三）18:00）前报送']);
  });
});

describe('resolution', () => {
  const none: ResolutionFacts = { reportedCycleIds: new Set(), laterLight: null, resolvedProblemIds: new Set(), resolvedEscalationIds: new Set() };
  it.each([
    [{ kind: 'missed', cycleId: 7, text: '' }, { reportedCycleIds: new Set([7]) }, true],
    [{ kind: 'missed', cycleId: 7, text: '' }, { reportedCycleIds: new Set([6]) }, false],
    [{ kind: 'red', cycleId: 7, light: 'red', text: '' }, { laterLight: 'yellow' }, true],
    [{ kind: 'red', cycleId: 7, light: 'red', text: '' }, { laterLight: 'red' }, false],
    [{ kind: 'red', cycleId: 7, light: 'red', text: '' }, { laterLight: 'none' }, false],
    [{ kind: 'yellow_twice', cycleId: 7, light: 'yellow', text: '' }, { laterLight: 'green' }, true],
    [{ kind: 'city_problem', cycleId: 7, problemId: 3, text: '' }, { resolvedProblemIds: new Set([3]) }, true],
    [{ kind: 'level1_unresolved', cycleId: 7, escalationId: 4, text: '' }, { resolvedEscalationIds: new Set([5]) }, false],
  ] as const)('%j with %j → %s', (cause, facts, gone) => {
    expect(causeGone(cause as never, { ...none, ...(facts as Partial<ResolutionFacts>) })).toBe(gone);
  });

  it('needs every cause gone', () => {
    const causes = [{ kind: 'missed', cycleId: 7, text: '' }, { kind: 'red', cycleId: 7, light: 'red', text: '' }] as const;
    expect(escalationResolved([...causes], { ...none, reportedCycleIds: new Set([7]) })).toBe(false);
    expect(escalationResolved([...causes], { ...none, reportedCycleIds: new Set([7]), laterLight: 'green' })).toBe(true);
  });
});

describe('digest threshold', () => {
  it('one card for one escalation, a digest from two', () => {
    expect(useDigest(1, 2)).toBe(false);
    expect(useDigest(2, 2)).toBe(true);
  });
});
