// The escalation ladder, as pure rules over what a cycle's close knows about one project.
//
// Level 1, to the project's 包保领导: a red light; a yellow light twice in a row; a report missed
// at the due time; a problem open longer than N days (default 14: two weekly cycles, or half a
// month — long enough for a department to have accepted and acted, short enough that a monthly
// project is raised at the next close).
// Level 2, to the 分管副市长: a level-1 case still unresolved at a later close; under the sanya
// preset two yellows in a row ("两次黄牌由分管副市长约谈", instead of level 1); at once, a problem
// flagged as needing city-level coordination.
// An escalation resolves itself when every one of its causes has gone (causeGone()).
import type { Light, LightPreset } from './lights.js';
import { lightRank } from './lights.js';

export type CauseKind = 'red' | 'yellow_twice' | 'missed' | 'problem_stale' | 'level1_unresolved' | 'sanya_yellow_twice' | 'city_problem';

export type EscalationCause = {
  kind: CauseKind;
  /** Chinese, shown to the leader. */
  text: string;
  cycleId: number;
  light?: Light;
  problemId?: number;
  escalationId?: number;
};

export type LadderRules = { preset: LightPreset; problemOpenDays: number };

export type OpenProblemFact = { id: number; number: string; description: string; raisedAt: Date; needsCity: boolean };

export type ProjectAtClose = {
  cycleId: number;
  /** "2026年10月" / "2026年第42周". */
  periodLabel: string;
  /** Local due time as shown, e.g. "10月26日（周一）18:00". */
  dueText: string;
  light: Light;
  lightReasons: string[];
  /** The light stored at the previous close of the same cadence, if any. */
  previousLight: Light | null;
  missed: boolean;
  openProblems: OpenProblemFact[];
  /** Level-1 escalations of this project from earlier cycles that are still open. */
  openLevel1: { id: number; periodLabel: string }[];
  now: Date;
};

export type Decision = { level: 1 | 2; causes: EscalationCause[] };

const DAY_MS = 24 * 3600 * 1000;

/** Whole days a problem has been open at `now`. */
export const daysOpen = (raisedAt: Date, now: Date): number => Math.floor((now.getTime() - raisedAt.getTime()) / DAY_MS);

const clip = (s: string, n = 60): string => ([...s].length > n ? `${[...s].slice(0, n - 1).join('')}…` : s);

export function decideEscalations(p: ProjectAtClose, rules: LadderRules): Decision[] {
  const one: EscalationCause[] = [];
  const two: EscalationCause[] = [];
  const c = p.cycleId;
  if (p.light === 'red') one.push({ kind: 'red', cycleId: c, light: 'red', text: `红灯：${p.lightReasons.join('；')}` });
  if (p.light === 'yellow' && p.previousLight === 'yellow') {
    const text = `连续两期黄灯：${p.lightReasons.join('；')}`;
    if (rules.preset === 'sanya') two.push({ kind: 'sanya_yellow_twice', cycleId: c, light: 'yellow', text: `${text}（两次黄牌由分管副市长约谈）` });
    else one.push({ kind: 'yellow_twice', cycleId: c, light: 'yellow', text });
  }
  if (p.missed) one.push({ kind: 'missed', cycleId: c, text: `${p.periodLabel}未在截止时间（${p.dueText}）前报送` });
  for (const q of p.openProblems) {
    if (q.needsCity) two.push({ kind: 'city_problem', cycleId: c, problemId: q.id, text: `问题 ${q.number} 需市级协调：${clip(q.description)}` });
    const days = daysOpen(q.raisedAt, p.now);
    if (days > rules.problemOpenDays) one.push({ kind: 'problem_stale', cycleId: c, problemId: q.id, text: `问题 ${q.number} 已${days}天未解决：${clip(q.description)}` });
  }
  for (const e of p.openLevel1) {
    two.push({ kind: 'level1_unresolved', cycleId: c, escalationId: e.id, text: `${e.periodLabel}已报包保领导的事项至今未解决` });
  }
  const out: Decision[] = [];
  if (one.length) out.push({ level: 1, causes: one });
  if (two.length) out.push({ level: 2, causes: two });
  return out;
}

/** What has happened since a cause was raised. */
export type ResolutionFacts = {
  /** Cycles for which the project's report has arrived (on time or late). */
  reportedCycleIds: ReadonlySet<number>;
  /** The project's light at the latest close after the escalation's cycle, if any. */
  laterLight: Light | null;
  resolvedProblemIds: ReadonlySet<number>;
  resolvedEscalationIds: ReadonlySet<number>;
};

export function causeGone(cause: EscalationCause, f: ResolutionFacts): boolean {
  switch (cause.kind) {
    case 'missed':
      return f.reportedCycleIds.has(cause.cycleId);
    case 'red':
    case 'yellow_twice':
    case 'sanya_yellow_twice':
      // Green, or better by at least one level than when it was raised. 'none' (exempted, no
      // plan) is not an improvement: nothing was judged.
      return f.laterLight !== null && f.laterLight !== 'none' && (f.laterLight === 'green' || lightRank(f.laterLight) < lightRank(cause.light ?? 'red'));
    case 'problem_stale':
    case 'city_problem':
      return cause.problemId !== undefined && f.resolvedProblemIds.has(cause.problemId);
    case 'level1_unresolved':
      return cause.escalationId !== undefined && f.resolvedEscalationIds.has(cause.escalationId);
  }
}

/** An escalation is resolved once none of its causes holds any more. */
export function escalationResolved(causes: EscalationCause[], f: ResolutionFacts): boolean {
  return causes.length > 0 && causes.every((c) => causeGone(c, f));
}

/** One line to the leader: what went away. */
export function resolutionText(causes: EscalationCause[]): string {
  const kinds = new Set(causes.map((c) => c.kind));
  const parts: string[] = [];
  if (kinds.has('missed')) parts.push('已补报');
  if (kinds.has('red') || kinds.has('yellow_twice') || kinds.has('sanya_yellow_twice')) parts.push('预警灯已好转');
  if (kinds.has('problem_stale') || kinds.has('city_problem')) parts.push('问题已解决');
  if (kinds.has('level1_unresolved')) parts.push('包保领导层面事项已解决');
  return parts.join('，');
}

/**
 * Leaders with at least `from` escalations at one close get one digest card listing them;
 * fewer get one card each. Two is the default: a second card for the same leader at the same
 * moment is already the flood the digest is for.
 */
export const useDigest = (count: number, from: number): boolean => count >= from;
