import { describe, expect, it } from 'vitest';
import { deriveYtd, ytdBase } from '../../src/domain/ytd.js';
import { summarizeReport, type SummaryInput } from '../../src/submission/report-summary.js';
import { PRESETS } from '../../src/domain/lights.js';
import { neighbours, type ReportRef } from '../../src/status/ytd-basis.js';

describe('year-to-date derivation', () => {
  it('adds the period to the previous report of the chain', () => {
    expect(ytdBase({ previousYtd: '3700.0000', registryYtd: '9999', existing: null })).toBe('3700');
    expect(deriveYtd('3700', '500')).toBe('4200');
  });
  it('starts from the registry figure for this year when the chain is empty', () => {
    expect(ytdBase({ previousYtd: null, registryYtd: '1200.5', existing: null })).toBe('1200.5');
    expect(ytdBase({ previousYtd: null, registryYtd: null, existing: null })).toBe('0');
  });
  it('rebuilds a correction on the base its first submission used, not on the registry that now includes it', () => {
    expect(ytdBase({ previousYtd: null, registryYtd: '4200', existing: { periodInvestment: '500', ytd: '4200' } })).toBe('3700');
  });
});

const ref = (o: Partial<ReportRef> & Pick<ReportRef, 'cycleId' | 'kind' | 'periodKey'>): ReportRef => ({
  id: o.cycleId,
  dueAt: new Date('2026-01-01'),
  periodInvestment: '1',
  ytd: '1',
  stage: '续建',
  started: true,
  completed: false,
  registered: false,
  progress: '',
  submittedAt: new Date('2026-01-01'),
  ...o,
});

describe('neighbours: where a cycle sits among a project reports', () => {
  const reports = [
    ref({ cycleId: 1, kind: 'monthly', periodKey: '2025-12', dueAt: new Date('2025-12-25'), ytd: '9000' }),
    ref({ cycleId: 2, kind: 'monthly', periodKey: '2026-09', dueAt: new Date('2026-09-25'), ytd: '3700' }),
    ref({ cycleId: 3, kind: 'weekly', periodKey: '2026-W42', dueAt: new Date('2026-10-16'), ytd: '3900' }),
    ref({ cycleId: 5, kind: 'monthly', periodKey: '2026-11', dueAt: new Date('2026-11-25'), ytd: '4800' }),
  ];
  it('chains by cadence and year, and finds the latest state before the cycle of any cadence', () => {
    const n = neighbours(reports, { id: 4, kind: 'monthly', periodKey: '2026-10', dueAt: new Date('2026-10-25') });
    expect(n.previousSameKind?.cycleId).toBe(2);
    expect(n.laterSameKind?.cycleId).toBe(5);
    expect(n.latestBefore?.cycleId).toBe(3);
    expect(n.laterAny).toBe(true);
  });
  it('does not chain across years', () => {
    const n = neighbours(reports, { id: 6, kind: 'monthly', periodKey: '2026-01', dueAt: new Date('2026-01-25') });
    expect(n.previousSameKind).toBeUndefined();
    expect(n.latestBefore?.cycleId).toBe(1);
  });
});

describe('summarizeReport', () => {
  const input: SummaryInput = {
    kind: 'monthly',
    periodKey: '2026-10',
    periodInvestment: '500',
    ytd: '4200',
    annualPlan: '6000',
    started: true,
    startedOn: null,
    registered: true,
    plannedStart: '2024-03-01',
    asOfDay: '2026-10-24',
    exemption: null,
    revision: 1,
    late: false,
    noChange: false,
    thresholds: PRESETS.yinchuan,
  };
  it('judges a project started but not 入统 as the close does (yinchuan: yellow after a month, red after two)', () => {
    const unregistered = { ...input, annualPlan: '5000', startedOn: '2026-08-10', registered: false };
    expect(summarizeReport(unregistered).light).toBe('red');
    expect(summarizeReport(unregistered).lightReasons).toContain('已于2026年8月10日开工，尚未入统');
    expect(summarizeReport({ ...unregistered, registered: true }).light).toBe('green');
  });
  it('reads as the owner expects', () => {
    const s = summarizeReport(input);
    expect(s.text).toBe('已提交 · 本期完成 500 万元 · 年度累计 4,200 万元 (70.0%) · 序时进度 83.3% · 🟡');
    expect(s.light).toBe('yellow');
  });
  it('says when it is a correction, late, or without change, and leaves out the rate without a plan', () => {
    expect(summarizeReport({ ...input, revision: 2 }).text.startsWith('已更正 ·')).toBe(true);
    expect(summarizeReport({ ...input, late: true }).text.startsWith('已提交（逾期） ·')).toBe(true);
    expect(summarizeReport({ ...input, noChange: true, periodInvestment: '0' }).text).toContain('已提交（本期无变化） · 本期完成 0 万元');
    expect(summarizeReport({ ...input, annualPlan: '0' }).text).toContain('年度累计 4,200 万元 · 序时进度');
  });
});
