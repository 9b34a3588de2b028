// Closing a week at province scale: BENCH_CLOSE_PROJECTS (10,000) weekly projects in 100 regions
// with BENCH_CLOSE_WEEKS (52) closed weekly cycles of history (their reports, their stored lights, and the
// level-1 cases the last close left open), then what the close runs, through the real entry points:
// the close itself, the escalation close job's service function (escalateAtClose: the lights judged
// and stored, open cases rechecked, new ones decided and stored), the league post (computeLeague,
// its snapshot, the posts), and what is read right after it: the status by region and every
// project's light and missed streak (the card data of the next week). Nobody has a reachable leader
// or a bound group here, so no card is sent: what is timed is the database and the judging.
//
//   npx tsx bench/close.bench.ts
//   BENCH_CLOSE_PROJECTS=1000 BENCH_CLOSE_WEEKS=10 npx tsx bench/close.bench.ts
import { existsSync, statSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { sql } from 'kysely';
import { parseConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { createDb } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import type { AppContext } from '../src/platform/app-context.js';
import { closeCycle } from '../src/cycle/cycle.service.js';
import { cycleStatus } from '../src/cycle/cycle-status.js';
import { findCycle } from '../src/cycle/cycle.repository.js';
import { loadReportCardInputs } from '../src/cycle/report-card.data.js';
import { cycleSettings } from '../src/cycle/cycle-config.js';
import { escalateAtClose } from '../src/escalation/escalation.service.js';
import { postLeague } from '../src/league/league.post.js';
import { adminQuery, benchAdminUrl, cleanup, createBenchDatabase } from './bench-support.js';
import { envNumber, round, writeResults } from './results.js';
import { installStatementTimer, serverDurations, statementReport, timingPart } from './statement-timer.js';

/** Records what the close enqueues (the worker's jobs are called directly below, in the worker's order). */
function recordingQueues(): { queues: AppContext['queues']; jobs: { name: string; payload: unknown }[] } {
  const jobs: { name: string; payload: unknown }[] = [];
  const queues = {
    enqueue: async (name: string, payload: unknown) => void jobs.push({ name, payload }),
    enqueueBulk: async (name: string, items: { payload: unknown }[]) => void items.forEach((i) => jobs.push({ name, payload: i.payload })),
  } as unknown as AppContext['queues'];
  return { queues, jobs };
}

export async function run(): Promise<Record<string, unknown>> {
  const projects = envNumber('BENCH_CLOSE_PROJECTS', 10_000);
  const weeks = envNumber('BENCH_CLOSE_WEEKS', 52);
  const benchDb = await createBenchDatabase(benchAdminUrl());
  // BENCH_CLOSE_STATEMENTS=1: every statement timed at the driver, and (with BENCH_PG_LOG, the
  // server's log file, readable) Postgres's own durations of them summed per part.
  const timer = process.env.BENCH_CLOSE_STATEMENTS ? installStatementTimer() : null;
  const pgLog = process.env.BENCH_PG_LOG;
  const logOffset = pgLog && existsSync(pgLog) ? statSync(pgLog).size : 0;
  if (timer && pgLog) {
    // Durations only: the lights' and escalations' JSON parameters would otherwise be logged in full.
    await adminQuery(benchAdminUrl(), `alter database "${benchDb.name}" set log_min_duration_statement = 0`);
    await adminQuery(benchAdminUrl(), `alter database "${benchDb.name}" set log_parameter_max_length = 0`);
  }
  const windows: { part: string; from: number; to: number }[] = [];
  const db = createDb(benchDb.url, { max: 4 });
  try {
    await migrateToLatest(db);
    const t0 = performance.now();
    const current = await seed(db, projects, weeks);
    const seedSeconds = (performance.now() - t0) / 1000;
    const config = parseConfig({ LARK_APP_ID: 'cli_bench', LARK_APP_SECRET: 's', LARK_VERIFICATION_TOKEN: 'v', DATABASE_URL: benchDb.url, REDIS_URL: 'redis://127.0.0.1:6379' });
    // A clock just after the current week's due time, whatever the date the bench runs on.
    const now = () => new Date('2026-06-27T18:05:00+08:00');
    const { queues, jobs } = recordingQueues();
    // No lark client: nothing here has a leader or a group to send to, and a send would throw.
    const ctx = { db, config, logger: createLogger('silent'), now, queues, lark: undefined } as unknown as AppContext;

    let peakRss = process.memoryUsage().rss;
    const sample = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
    const parts: Record<string, number | null> = {};
    const time = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
      timingPart(name);
      const from = Date.now();
      const s = performance.now();
      const r = await fn();
      parts[name] = round((performance.now() - s) / 1000, 3);
      windows.push({ part: name, from, to: Date.now() });
      timingPart('-');
      return r;
    };
    const all = performance.now();
    await time('close', () => closeCycle(ctx, current));
    if (!jobs.some((j) => j.name === 'escalation.close')) throw new Error('the close enqueued no escalation.close job');
    const escalation = await time('lightsAndEscalations', () => escalateAtClose(ctx, current));
    parts.lights = round(escalation.ms.lights / 1000, 3);
    parts.escalations = round((escalation.ms.total - escalation.ms.lights) / 1000, 3);
    delete parts.lightsAndEscalations;
    await time('league', () => postLeague(ctx, current));
    const closeSeconds = (performance.now() - all) / 1000;
    const cycle = (await findCycle(db, current))!;
    await time('statusByRegion', () => cycleStatus(db, cycle));
    const ids = (await db.selectFrom('projects').select('id').execute()).map((r) => r.id);
    await time('nextWeekCards', () => loadReportCardInputs(db, cycleSettings(config), { ...cycle, id: -1, open_at: new Date('2026-06-29T09:00:00+08:00') }, ids, now()));
    const totalSeconds = (performance.now() - all) / 1000;
    clearInterval(sample);
    const figures = {
      projects,
      regions: 100,
      weeksOfHistory: weeks,
      cycleProjectRows: projects * (weeks + 1),
      seedSeconds: round(seedSeconds, 1),
      closeSeconds: round(closeSeconds, 3),
      totalSeconds: round(totalSeconds, 3),
      parts,
      escalations: { lights: escalation.lights, created: escalation.created, resolved: escalation.resolved },
      peakRssMb: Math.round(peakRss / 2 ** 20),
      target: { closeSeconds: '< 5 (close + lights + escalations + league)' },
      note: 'the machine is shared; figures under contention are noisy',
    };
    writeResults('close', figures);
    console.log(`close: ${projects} projects, 100 regions, ${weeks} weeks of history (${figures.cycleProjectRows} cycle rows; seeded in ${figures.seedSeconds} s)`);
    console.log(`close + lights + escalations + league ${figures.closeSeconds} s (target < 5 s); with the reads after it ${figures.totalSeconds} s`);
    console.log(`parts (s): ${Object.entries(parts).map(([k, v]) => `${k} ${v}`).join(', ')}; escalations ${JSON.stringify(figures.escalations)}; peak RSS ${figures.peakRssMb} MB`);
    if (timer) {
      for (const line of statementReport(timer.statements.filter((x) => x.part !== '-'))) console.log(line);
      if (pgLog) {
        // The log is written a moment after each statement ends.
        await new Promise((r) => setTimeout(r, 500));
        const server = serverDurations(pgLog, logOffset, timer.pids, windows);
        console.log(`postgres (logged durations, summed): ${Object.entries(server).map(([k, v]) => `${k} ${v.ms.toFixed(0)} ms / ${v.statements}`).join(', ')}`);
      }
    }
    return figures;
  } finally {
    await cleanup('close bench', [() => db.destroy(), () => benchDb.drop()]);
  }
}

/** Regions, owners, projects, `weeks` closed weekly cycles with outcomes, and the open current week. */
export async function seed(db: ReturnType<typeof createDb>, projects: number, weeks: number): Promise<number> {
  await sql`insert into regions (name, sort_order) select '区域' || g, g from generate_series(1, 100) g`.execute(db);
  await sql`insert into people (name, mobile, open_id, match_status, matched_at)
            select '负责人' || g, '156' || lpad(g::text, 8, '0'), 'ou_close_' || g, 'matched', now() from generate_series(1, ${Math.ceil(projects / 5)}) g`.execute(db);
  await sql`insert into projects (code, name, region_id, stage, dispatch_frequency, total_investment, annual_plan, planned_start, owner_id, started, updated_by)
            select 'CL' || lpad(g::text, 6, '0'), '关闭基准项目' || g, (select id from regions order by id offset (g % 100) limit 1),
                   '续建', 'weekly', 100000, 12000, date '2024-03-01', (select id from people order by id offset ((g - 1) / 5) limit 1), true, 'bench'
            from generate_series(1, ${projects}) g`.execute(db);
  // Weeks ending with the current one (2026-W26, due Friday 26 June 18:00 Shanghai).
  await sql`insert into cycles (kind, period_key, open_at, remind_at, due_at, state, opened_at, closed_at)
            select 'weekly', to_char(due at time zone 'Asia/Shanghai', 'IYYY-"W"IW'), due - interval '4 days 9 hours', due - interval '2 days 3 hours', due,
                   case when w = 0 then 'open' else 'closed' end, due - interval '4 days 9 hours', case when w = 0 then null else due end
            from (select w, timestamptz '2026-06-26 18:00+08' - (w * interval '7 days') as due from generate_series(0, ${weeks}) w) s`.execute(db);
  await sql`insert into cycle_projects (cycle_id, project_id, owner_id, region_id, status, reported_at)
            select c.id, p.id, p.owner_id, p.region_id,
                   case when c.state = 'open' then (case when p.id % 3 = 0 then 'reported' else 'pending' end)
                        when (p.id + c.id) % 7 = 0 then 'missed' when (p.id + c.id) % 11 = 0 then 'late' else 'reported' end,
                   case when c.state = 'closed' and (p.id + c.id) % 7 <> 0 then c.due_at - interval '1 hour' end
            from cycles c cross join projects p`.execute(db);
  // The reports behind every 'reported'/'late' row (a year of them, as a real database holds): the
  // year-to-date the lights are judged on is read from these, so leaving them out would time an
  // empty table. 10 万元 a week, the year-to-date running within each calendar year.
  await sql`insert into reports (cycle_id, project_id, period_investment, ytd_investment, stage, started, completed, registered, submitted_by, submitted_at, via)
            select cp.cycle_id, cp.project_id, 10,
                   10 * row_number() over (partition by cp.project_id, extract(year from c.due_at at time zone 'Asia/Shanghai') order by c.due_at),
                   '续建', true, false, true, cp.owner_id, c.due_at - interval '1 hour', 'import'
            from cycle_projects cp join cycles c on c.id = cp.cycle_id
            where c.state = 'closed' and cp.status in ('reported', 'late')`.execute(db);
  // The lights stored at each past close, and the level-1 cases of last week's misses still open.
  await sql`insert into project_lights (project_id, cycle_id, preset, light, reasons, inputs, judged_at)
            select cp.project_id, cp.cycle_id, 'yinchuan',
                   case when cp.status = 'missed' then 'yellow' when cp.project_id % 13 = 0 then 'red' else 'green' end,
                   '{}', '{}', c.due_at
            from cycle_projects cp join cycles c on c.id = cp.cycle_id where c.state = 'closed'`.execute(db);
  await sql`insert into escalations (project_id, cycle_id, level, reasons, reason_text, causes)
            select cp.project_id, cp.cycle_id, 1, '{missed}', '未报送',
                   jsonb_build_array(jsonb_build_object('kind', 'missed', 'cycleId', cp.cycle_id, 'text', '未报送'))
            from cycle_projects cp
            where cp.status = 'missed' and cp.cycle_id = (select id from cycles where state = 'closed' order by due_at desc limit 1)`.execute(db);
  await sql`analyze`.execute(db);
  const current = await db.selectFrom('cycles').select('id').where('state', '=', 'open').executeTakeFirstOrThrow();
  return current.id;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run().then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
