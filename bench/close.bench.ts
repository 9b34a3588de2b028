// Closing a week at province scale: BENCH_CLOSE_PROJECTS (10,000) weekly projects in 100 regions
// with BENCH_CLOSE_WEEKS (52) closed weekly cycles of history, then the close of the current week
// and what is read right after it: the status by region and every project's light/missed streak
// (the card data of the next week). Escalations and the league table are timed as well where their
// modules exist on the branch (they are built by other issues); absent parts are reported as such.
//
//   npx tsx bench/close.bench.ts
//   BENCH_CLOSE_PROJECTS=1000 BENCH_CLOSE_WEEKS=10 npx tsx bench/close.bench.ts
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { sql } from 'kysely';
import { parseConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { createDb } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { closeCycle } from '../src/cycle/cycle.service.js';
import { cycleStatus } from '../src/cycle/cycle-status.js';
import { findCycle } from '../src/cycle/cycle.repository.js';
import { loadReportCardInputs } from '../src/cycle/report-card.data.js';
import { cycleSettings } from '../src/cycle/cycle-config.js';
import { benchAdminUrl, cleanup, createBenchDatabase } from './bench-support.js';
import { envNumber, round, writeResults } from './results.js';

/** Parts built elsewhere; timed only when present (their entry points are named here when merged). */
const OPTIONAL_PARTS = [
  { name: 'escalations', module: '../src/escalation/index.ts' },
  { name: 'league', module: '../src/league/index.ts' },
];

export async function run(): Promise<Record<string, unknown>> {
  const projects = envNumber('BENCH_CLOSE_PROJECTS', 10_000);
  const weeks = envNumber('BENCH_CLOSE_WEEKS', 52);
  const benchDb = await createBenchDatabase(benchAdminUrl());
  const db = createDb(benchDb.url, { max: 4 });
  try {
    await migrateToLatest(db);
    const t0 = performance.now();
    const current = await seed(db, projects, weeks);
    const seedSeconds = (performance.now() - t0) / 1000;
    const config = parseConfig({ LARK_APP_ID: 'cli_bench', LARK_APP_SECRET: 's', LARK_VERIFICATION_TOKEN: 'v', DATABASE_URL: benchDb.url, REDIS_URL: 'redis://127.0.0.1:6379' });
    // A clock just after the current week's due time, whatever the date the bench runs on.
    const now = () => new Date('2026-06-27T18:05:00+08:00');
    const deps = { db, config, logger: createLogger('silent'), now } as unknown as Parameters<typeof closeCycle>[0];

    let peakRss = process.memoryUsage().rss;
    const sample = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
    const parts: Record<string, number | string> = {};
    const time = async (name: string, fn: () => Promise<unknown>) => {
      const s = performance.now();
      await fn();
      parts[name] = round((performance.now() - s) / 1000, 3) as number;
    };
    const all = performance.now();
    await time('close', () => closeCycle(deps, current));
    const cycle = (await findCycle(db, current))!;
    await time('statusByRegion', () => cycleStatus(db, cycle));
    const ids = (await db.selectFrom('projects').select('id').execute()).map((r) => r.id);
    await time('lightsAndStreaks', () => loadReportCardInputs(db, cycleSettings(config), { ...cycle, id: -1, open_at: new Date('2026-06-29T09:00:00+08:00') }, ids, now()));
    for (const p of OPTIONAL_PARTS) {
      if (!existsSync(fileURLToPath(new URL(p.module, import.meta.url)))) parts[p.name] = 'not on this branch';
    }
    const totalSeconds = (performance.now() - all) / 1000;
    clearInterval(sample);
    const figures = {
      projects,
      regions: 100,
      weeksOfHistory: weeks,
      cycleProjectRows: projects * (weeks + 1),
      seedSeconds: round(seedSeconds, 1),
      totalSeconds: round(totalSeconds, 3),
      parts,
      peakRssMb: Math.round(peakRss / 2 ** 20),
      target: { totalSeconds: '< 5' },
      note: 'the machine is shared; figures under contention are noisy',
    };
    writeResults('close', figures);
    console.log(`close: ${projects} projects, 100 regions, ${weeks} weeks of history (${figures.cycleProjectRows} cycle rows; seeded in ${figures.seedSeconds} s)`);
    console.log(`total ${figures.totalSeconds} s (target < 5 s); parts ${JSON.stringify(parts)}; peak RSS ${figures.peakRssMb} MB`);
    return figures;
  } finally {
    await cleanup('close bench', [() => db.destroy(), () => benchDb.drop()]);
  }
}

/** Regions, owners, projects, `weeks` closed weekly cycles with outcomes, and the open current week. */
async function seed(db: ReturnType<typeof createDb>, projects: number, weeks: number): Promise<number> {
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
