// 开工以来累计完成投资: the project's whole cumulative, against 总投资 ("累计完成投资41162万元，
// 占总投资的15.5%"). The sheet seeds it; each MONTHLY report adds its period amount (weekly
// reports carry the same money again within the month, so adding theirs would count it twice,
// the same reason only monthly reports write the registry's year-to-date). Pure.
import type { Decimal } from 'decimal.js';
import { Dec, canonical, type DecimalLike } from '../amount.js';

export type SinceStartInput = {
  kind: 'weekly' | 'monthly';
  periodInvestment: string;
  /** projects.since_start_investment: the sheet's seed or the latest monthly total; null if never known. */
  registry: string | null;
  /** This cycle's report when the submission corrects it. */
  existing: { periodInvestment: string; sinceStart: string | null } | null;
  /** A later monthly report exists: the registry already holds a newer total, no base to add to. */
  laterMonthly: boolean;
};

/** The report's since-start figure, or null when it cannot be known without guessing. */
export function sinceStartOf(i: SinceStartInput): string | null {
  if (i.kind !== 'monthly') return null;
  if (i.existing) {
    if (i.existing.sinceStart === null) return null;
    return canonical(new Dec(i.existing.sinceStart).minus(i.existing.periodInvestment).plus(i.periodInvestment));
  }
  if (i.laterMonthly || i.registry === null) return null;
  return canonical(new Dec(i.registry).plus(i.periodInvestment));
}

/** Share of 总投资, a ratio; null without a positive total. */
export function shareOfTotal(sinceStart: DecimalLike | null, total: DecimalLike | null): Decimal | null {
  if (sinceStart === null || total === null) return null;
  const t = new Dec(total);
  if (!t.isFinite() || t.lte(0)) return null;
  return new Dec(sinceStart).dividedBy(t);
}
