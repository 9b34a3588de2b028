// The missed-report streak ("连续N期未报送") as one rule.
//
// Definition: the number of consecutive CLOSED cycles of ONE cadence (weekly or monthly), most
// recent first, in which the project's report was missed; a report of any state (on time, late)
// ends the run. Chosen over "any cadence" because the two cadences are separate duties with
// separate deadlines: ordering weekly and monthly cycles together lets a filed weekly report hide
// a run of missed monthly ones (and the reverse), so the same history would read differently
// depending on how the two schedules happen to interleave.
import type { ReportStatus } from './vocabulary.js';

/** How far back a streak is counted; a longer run still shows as this many. */
export const STREAK_WINDOW = 12;

/** Missed reports in a row, given one project's statuses in closed cycles of one cadence, newest first. */
export function missedStreak(statusesNewestFirst: readonly ReportStatus[]): number {
  let n = 0;
  for (const s of statusesNewestFirst.slice(0, STREAK_WINDOW)) {
    if (s !== 'missed') break;
    n += 1;
  }
  return n;
}
