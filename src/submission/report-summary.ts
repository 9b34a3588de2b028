// The one-line summary an owner sees after filing, e.g.
//   已提交 · 本期完成 500 万元 · 年度累计 4,200 万元 (70.0%) · 序时进度 83.3% · 🟡
// Pure: figures in, text and light out (judged by the status loader's one rule,
// status/project-status.ts), so the card and the chat answer say the same thing.
import { formatPercent, formatWan } from '../domain/amount.js';
import type { CycleKind } from '../domain/period.js';
import { lightEmoji, timeProgress, type Light } from '../domain/schedule-lag.js';
import type { Exemption, LightRules as LightThresholds } from '../domain/lights.js';
import { judgeStatusLight } from '../status/project-status.js';

export type SummaryInput = {
  kind: CycleKind;
  periodKey: string;
  periodInvestment: string;
  ytd: string;
  annualPlan: string;
  started: boolean;
  /** When it started and whether it is 入统 (counted in the statistics): the not-registered rule. */
  startedOn: string | null;
  registered: boolean;
  plannedStart: string | null;
  /** Local day the light is judged on. */
  asOfDay: string;
  /** The project's exemption from the lights (status/exemptions.ts), judged as at the close. */
  exemption: Exemption | null;
  revision: number;
  late: boolean;
  noChange: boolean;
  thresholds: LightThresholds;
};

export type ReportSummary = {
  text: string;
  light: Light;
  /** Chinese reasons for the light (lag description, missed start…). */
  lightReasons: string[];
  /** "70.0%", or null without an annual plan. */
  completion: string | null;
  timeProgress: string;
};

export function summarizeReport(input: SummaryInput): ReportSummary {
  const progress = timeProgress(input.kind, input.periodKey);
  const judged = judgeStatusLight(
    {
      ytd: input.ytd,
      annualPlan: input.annualPlan,
      timeProgress: progress,
      plannedStart: input.plannedStart,
      started: input.started,
      startedOn: input.startedOn,
      registered: input.registered,
      asOfDay: input.asOfDay,
      // The report just filed breaks any run of missed reports.
      consecutiveMissed: 0,
      exemption: input.exemption,
    },
    input.thresholds,
  );
  const completion = judged.completionRate === null ? null : formatPercent(judged.completionRate);
  const status = `${input.revision > 1 ? '已更正' : '已提交'}${input.late ? '（逾期）' : ''}${input.noChange ? '（本期无变化）' : ''}`;
  const parts = [
    status,
    `本期完成 ${formatWan(input.periodInvestment)} 万元`,
    `年度累计 ${formatWan(input.ytd)} 万元${completion ? ` (${completion})` : ''}`,
    `序时进度 ${formatPercent(progress)}`,
    lightEmoji(judged.light),
  ];
  return {
    text: parts.join(' · '),
    light: judged.light,
    lightReasons: judged.reasons,
    completion,
    timeProgress: formatPercent(progress),
  };
}
