// Year-to-date (年度累计完成投资) derivation. The owner reports only this period's amount; the
// cumulative is derived, so two people can never disagree about how 500 + 3,700 adds up.
//
// Chains are per cadence: a project in both weekly and monthly cycles reports November's money
// in four weeks *and* in the November month, so adding a monthly amount onto a weekly
// cumulative would count it twice. Periods of one cadence and one year are ordered by key
// ('2026-W05' < '2026-W47', '2026-01' < '2026-11'; keys are zero-padded).
import { Dec, canonical } from './amount.js';

export type YtdChain = {
  /** Year-to-date of the nearest earlier report of the same cadence in the same year. */
  previousYtd: string | null;
  /** The registry's year-to-date (projects.ytd_investment) when projects.ytd_year is this year: the sheet's
   *  seed, or the latest monthly total (only monthly reports write it, see report.store.ts). */
  registryYtd: string | null;
  /** This cycle's stored report when the submission is a correction. */
  existing: { periodInvestment: string; ytd: string } | null;
};

/**
 * What this period's amount is added to.
 * - An earlier report in the chain: its cumulative (the chain carries forward).
 * - None, and this is a correction: the base the first submission used (its ytd − its amount),
 *   because the registry figure now already includes that first submission.
 * - None, first submission: the registry's figure for this year (imported with the project
 *   list mid-year), else 0 (a new year starts from nothing).
 */
export function ytdBase(chain: YtdChain): string {
  if (chain.previousYtd !== null) return canonical(chain.previousYtd);
  if (chain.existing) return canonical(new Dec(chain.existing.ytd).minus(chain.existing.periodInvestment));
  return canonical(chain.registryYtd ?? '0');
}

export function deriveYtd(base: string, periodInvestment: string): string {
  return canonical(new Dec(base).plus(periodInvestment));
}
