// From a loaded FilingContext to what validation and the pre-filled forms (本期无变化, 修改) need. Pure.
import { NO, REPORT_FIELDS, YES } from '../cards/card-actions.js';
import { canonical } from '../domain/amount.js';
import { periodLabel } from '../domain/period.js';
import type { FilingContext } from './filing.repository.js';
import type { FilingBasis, TypedForm } from './report-form.js';
import { ytdBase, type YtdChain } from '../domain/ytd.js';
import { ytdChainOf, type ReportRef } from '../status/ytd-basis.js';

function ytdChain(ctx: FilingContext): YtdChain {
  return ytdChainOf({
    year: ctx.year,
    project: ctx.project,
    previousSameKind: ctx.previousSameKind,
    existing: ctx.existing ? { periodInvestment: ctx.existing.period_investment, ytd: ctx.existing.ytd_investment } : undefined,
  });
}

/**
 * The project's state before this period. A first submission compares with the registry (the
 * current truth). A correction compares with the report before this cycle, since the registry
 * already holds the first submission; without one, with the first submission itself.
 */
function stateBefore(ctx: FilingContext): Pick<ReportRef, 'stage' | 'started' | 'completed' | 'registered'> {
  if (!ctx.existing) return ctx.project;
  return ctx.latestBefore ?? ctx.existing;
}

export function filingBasis(ctx: FilingContext): FilingBasis {
  const before = stateBefore(ctx);
  const later = ctx.laterSameKind;
  return {
    stage: before.stage,
    started: before.started,
    completed: before.completed,
    registered: before.registered,
    totalInvestment: ctx.project.total_investment,
    ytdBase: ytdBase(ytdChain(ctx)),
    later: later ? { label: periodLabel(later.kind, later.periodKey), ytd: later.ytd } : null,
    existingPeriodInvestment: ctx.existing?.period_investment ?? null,
  };
}

/** "本期无变化": nothing invested, stage, milestones and progress as last reported. */
export function noChangeForm(ctx: FilingContext): TypedForm {
  const last = ctx.latestBefore ?? ctx.project;
  const yn = (v: boolean) => (v ? YES : NO);
  return {
    [REPORT_FIELDS.periodInvestment]: '0',
    [REPORT_FIELDS.stage]: last.stage,
    [REPORT_FIELDS.started]: yn(last.started),
    [REPORT_FIELDS.completed]: yn(last.completed),
    [REPORT_FIELDS.registered]: yn(last.registered),
    [REPORT_FIELDS.progress]: ctx.latestBefore?.progress ?? '',
  };
}

/** The stored report as the form's typed values, for "修改". */
export function formFromReport(ctx: FilingContext): TypedForm {
  const r = ctx.existing;
  if (!r) return {};
  const yn = (v: boolean) => (v ? YES : NO);
  return {
    [REPORT_FIELDS.periodInvestment]: canonical(r.period_investment),
    [REPORT_FIELDS.stage]: r.stage,
    [REPORT_FIELDS.started]: yn(r.started),
    [REPORT_FIELDS.completed]: yn(r.completed),
    [REPORT_FIELDS.registered]: yn(r.registered),
    [REPORT_FIELDS.progress]: r.progress,
  };
}
