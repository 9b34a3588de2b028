// What the meeting spreadsheet and the 通报 draft show besides the league: the cycle's problems
// still open (those needing city-level coordination first) and the escalations with the leaders'
// instructions. Loaded once; both files take the same figures.
import type { Kysely } from 'kysely';
import type { Database, ProblemStatus } from '../db/schema.js';
import { OPEN_STATUSES } from '../domain/problem-state.js';
import { computeLeague, type LeagueOptions, type LeagueResult } from './league.data.js';
import { openEscalations } from './league.post.js';
import type { OpenEscalation } from './league.view.js';

export type OpenProblem = {
  number: string; projectCode: string; projectName: string; regionName: string; category: string; description: string;
  department: string | null; status: ProblemStatus; needsCityCoordination: boolean; raisedAt: Date;
};

export type MeetingPapers = { league: LeagueResult; problems: OpenProblem[]; escalations: OpenEscalation[]; problemsByProject: Map<number, OpenProblem[]> };

export async function loadMeetingPapers(db: Kysely<Database>, cycleRef: Parameters<typeof computeLeague>[1], opts: LeagueOptions = {}): Promise<MeetingPapers> {
  const league = await computeLeague(db, cycleRef, opts);
  const ids = league.projects.map((p) => p.projectId);
  const rows = ids.length === 0 ? [] : await db
    .selectFrom('problems as q')
    .innerJoin('projects as p', 'p.id', 'q.project_id')
    .innerJoin('regions as g', 'g.id', 'p.region_id')
    .leftJoin('departments as d', 'd.id', 'q.department_id')
    .select(['q.number', 'q.project_id', 'p.code', 'p.name', 'g.name as region_name', 'q.category', 'q.description', 'd.name as department', 'q.status', 'q.needs_city_coordination', 'q.raised_at'])
    .where('q.project_id', 'in', ids)
    .where('q.status', 'in', [...OPEN_STATUSES])
    .orderBy('q.needs_city_coordination', 'desc')
    .orderBy('q.raised_at')
    .execute();
  const problemsByProject = new Map<number, OpenProblem[]>();
  const problems = rows.map((r) => {
    const p: OpenProblem = {
      number: r.number, projectCode: r.code, projectName: r.name, regionName: r.region_name, category: r.category, description: r.description,
      department: r.department, status: r.status, needsCityCoordination: r.needs_city_coordination, raisedAt: r.raised_at,
    };
    problemsByProject.set(r.project_id, [...(problemsByProject.get(r.project_id) ?? []), p]);
    return p;
  });
  return { league, problems, escalations: await openEscalations(db, league), problemsByProject };
}
