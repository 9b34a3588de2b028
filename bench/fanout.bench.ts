// Prompt fan-out at city scale against the simulated tenant with Feishu's send limits (50/s and
// 1000/min per app, 5/s per receiving user): 2,000 projects, ~380 owners with 5 projects each
// and a few with 25 (those get one consolidated card). Prints the elapsed time against the
// minimum the limits allow, the ratio, and the rate-limit answers (429) seen.
//
//   npx tsx bench/fanout.bench.ts        (or import { run } from a bench runner)
//
// Needs PostgreSQL and Redis; BENCH_DATABASE_URL (an admin connection that may create
// databases; else TEST_DATABASE_URL) and BENCH_REDIS_URL override the local defaults. It
// creates and drops its own database and uses its own queue prefix.
import { deleteKeysByPrefix } from '../src/platform/jobs/redis-keys.js';
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { parseConfig } from '../src/config.js';
import { createAppContext } from '../src/platform/app-context.js';
import { createLogger } from '../src/logger.js';
import { createDb } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { jobCatalogue, type JobName } from '../src/platform/jobs/catalogue.js';
import { cycleProcessors } from '../src/cycle/cycle.processors.js';
import { openCycle } from '../src/cycle/cycle.service.js';
import { FakeFeishu, DEFAULT_LIMITS } from '../src/sandbox/index.js';
import { benchAdminUrl, benchRedisUrl, cleanup, createBenchDatabase } from './bench-support.js';
import { envNumber, round, writeResults } from './results.js';

const APP = { id: 'cli_bench_fanout', secret: 'bench-secret' };

export type FanoutShape = { regularOwners: number; projectsEach: number; busyOwners: number; busyProjects: number };
/** BENCH_FANOUT_PROJECTS (default 10,000): owners of 5 projects each, and 4 owners of 25. */
export function shapeFor(projects: number): FanoutShape {
  return { regularOwners: Math.max(1, Math.floor((projects - 100) / 5)), projectsEach: 5, busyOwners: 4, busyProjects: 25 };
}

export type FanoutResult = {
  projects: number;
  messages: number;
  elapsedSeconds: number;
  minimumSeconds: number;
  ratio: number;
  rateLimited: number;
  failedJobs: number;
  multiplier: number;
  allowedPerSecond: number;
  achievedPerSecond: number;
  shareOfAllowed: number;
  duplicates: number;
};

/**
 * The earliest the last of `n` sends can go out under a sliding `perSecond`/1 s and
 * `perMinute`/60 s window: in bursts of `perSecond` at whole seconds until `perMinute` are used,
 * then nothing until the minute since the first has passed. (With ≤ 5 cards per owner and the
 * owners interleaved, the 5/s per-user limit does not bind.)
 */
export function minimumSeconds(n: number, perSecond: number, perMinute: number): number {
  if (n <= 0) return 0;
  const i = n - 1;
  return 60 * Math.floor(i / perMinute) + Math.floor((i % perMinute) / perSecond);
}

/** Both runs: at Feishu's published limits and at ten times them (a tenant with a raised quota). */
export async function run(): Promise<FanoutResult[]> {
  const shape = shapeFor(envNumber('BENCH_FANOUT_PROJECTS', 10_000));
  const results = [await runAt(1, shape), await runAt(10, shape)];
  writeResults('fanout', {
    note: 'the machine is shared (worker, sandbox, Postgres, Redis); achieved rates under contention are noisy',
    target: { shareOfAllowed: '≥ 0.95', duplicates: 0, failedJobs: 0 },
    runs: results.map((r) => ({ ...r, elapsedSeconds: round(r.elapsedSeconds, 1), ratio: round(r.ratio, 3), achievedPerSecond: round(r.achievedPerSecond, 1), shareOfAllowed: round(r.shareOfAllowed, 3) })),
  });
  return results;
}

/** One fan-out with the tenant's limits and the bot's configured limits both `multiplier` × Feishu's. */
export async function runAt(multiplier: number, shape: FanoutShape): Promise<FanoutResult> {
  const limits = { ...DEFAULT_LIMITS, appPerSecond: DEFAULT_LIMITS.appPerSecond * multiplier, appPerMinute: DEFAULT_LIMITS.appPerMinute * multiplier };
  const redisUrl = benchRedisUrl();
  const benchDb = await createBenchDatabase(benchAdminUrl());

  const fake = new FakeFeishu({ apps: { [APP.id]: APP.secret }, limits });
  const url = await fake.start();
  const setupDb = createDb(benchDb.url);
  const config = parseConfig({
    LARK_APP_ID: APP.id,
    LARK_APP_SECRET: APP.secret,
    LARK_DOMAIN: url,
    LARK_VERIFICATION_TOKEN: 'bench',
    DATABASE_URL: benchDb.url,
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: `bench-${randomBytes(4).toString('hex')}`,
    SEND_RATE_PER_SECOND: String(limits.appPerSecond),
    SEND_RATE_PER_MINUTE: String(limits.appPerMinute),
  });
  const ctx = createAppContext(config, { logger: createLogger('warn'), now: () => new Date('2026-11-16T09:00:30+08:00') });
  try {
    await migrateToLatest(setupDb);
    const projects = await seed(setupDb, fake, shape);
    const failing = Object.fromEntries(
      (Object.keys(jobCatalogue) as JobName[]).map((n) => [n, async () => { throw new Error(`${n} is not part of this bench`); }]),
    );
    ctx.queues.startWorkers({ ...failing, ...cycleProcessors(ctx) });

    const expected = shape.regularOwners * shape.projectsEach + shape.busyOwners;
    const t0 = Date.now();
    await openCycle(ctx, 'weekly', '2026-W47');
    let failedJobs = 0;
    for (;;) {
      failedJobs = await ctx.queues.queue('outbound').getFailedCount();
      const pending = await ctx.queues.queue('outbound').getJobCounts('waiting', 'active', 'delayed');
      if (fake.stats().messages >= expected || (failedJobs > 0 && Object.values(pending).every((n) => n === 0))) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const last = Math.max(...fake.messages().map((m) => m.created_at));
    const elapsedSeconds = (last - t0) / 1000;
    // Whole-second bursts make the minimum 0 for fewer cards than one second's worth; the even
    // spread the pacer keeps needs n / perSecond at least.
    const min = Math.max(minimumSeconds(expected, limits.appPerSecond, limits.appPerMinute), expected / limits.appPerSecond);
    const uuids = new Set(fake.messages().map((m) => m.uuid));
    // A duplicate is a second card for the same (receiver, cycle prompt): same receiver and same card body.
    const seen = new Set<string>();
    let duplicates = 0;
    for (const m of fake.messages()) {
      const key = `${m.open_id ?? m.receive_id}|${JSON.stringify(m.content)}`;
      if (seen.has(key)) duplicates++;
      seen.add(key);
    }
    const messages = fake.stats().messages;
    const result: FanoutResult = {
      projects,
      messages,
      elapsedSeconds,
      minimumSeconds: min,
      ratio: elapsedSeconds / min,
      rateLimited: fake.stats().rateLimited,
      failedJobs,
      multiplier,
      allowedPerSecond: messages / Math.max(min, 1e-9),
      achievedPerSecond: messages / elapsedSeconds,
      shareOfAllowed: min / elapsedSeconds,
      duplicates: Math.max(duplicates, messages - uuids.size),
    };
    const causes = rateLimitCauses(fake, limits);
    console.log(`fan-out ×${multiplier} (${limits.appPerSecond}/s, ${limits.appPerMinute}/min): ${result.projects} projects, ${result.messages} cards (${expected} expected, ${uuids.size} distinct uuids, ${result.duplicates} duplicates)`);
    console.log(`elapsed ${elapsedSeconds.toFixed(1)} s vs minimum ${min} s → ${result.achievedPerSecond.toFixed(1)}/s of ${result.allowedPerSecond.toFixed(1)}/s allowed = ${(100 * result.shareOfAllowed).toFixed(1)}% (target ≥ 95%)`);
    console.log(`rate-limit answers (429) seen: ${result.rateLimited} (${Object.entries(causes).map(([k, v]) => `${k} ${v}`).join(', ')}), all retried after x-ogw-ratelimit-reset; failed jobs: ${failedJobs}`);
    return result;
  } finally {
    // Workers and pools first; then this run's queues and pacing windows, so Redis is left as
    // found; the database last (dropping it under a pool's idle connections crashes the process).
    await cleanup('fanout bench', [
      () => ctx.close(),
      () => setupDb.destroy(),
      () => deleteKeysByPrefix(redisUrl, config.QUEUE_PREFIX),
      () => fake.stop(),
      () => benchDb.drop(),
    ]);
  }
}

/** Which window each 429 hit, judged from the sends the tenant had admitted just before it. */
function rateLimitCauses(fake: FakeFeishu, limits: typeof DEFAULT_LIMITS): Record<string, number> {
  const sends = fake.requests().filter((r) => r.method === 'POST' && r.path === '/open-apis/im/v1/messages');
  const admitted = sends.filter((r) => r.status === 200);
  const causes: Record<string, number> = { 'app per second': 0, 'app per minute': 0, 'user 5/s': 0, other: 0 };
  for (const r of sends.filter((s) => s.status === 429)) {
    const within = (ms: number) => admitted.filter((a) => a.at > r.at - ms && a.at <= r.at);
    if (within(1000).filter((a) => a.receiveId === r.receiveId).length >= limits.perReceiverPerSecond) causes['user 5/s']++;
    else if (within(1000).length >= limits.appPerSecond) causes['app per second']++;
    else if (within(60_000).length >= limits.appPerMinute) causes['app per minute']++;
    else causes.other++;
  }
  return causes;
}

/** Regions, owners (each a tenant user) and weekly projects, inserted in bulk. */
async function seed(db: ReturnType<typeof createDb>, fake: FakeFeishu, shape: FanoutShape): Promise<number> {
  const regions = await db
    .insertInto('regions')
    .values(['天城县', '南湖县', '西山区', '东城区', '高新区'].map((name, i) => ({ name, sort_order: i })))
    .returning('id')
    .execute();
  const owners = [
    ...Array.from({ length: shape.regularOwners }, () => shape.projectsEach),
    ...Array.from({ length: shape.busyOwners }, () => shape.busyProjects),
  ];
  let count = 0;
  for (let start = 0; start < owners.length; start += 200) {
    const batch = owners.slice(start, start + 200).map((projects, j) => {
      const i = start + j;
      const mobile = `158${String(i).padStart(8, '0')}`;
      const name = `负责人${i}`;
      return { name, mobile, projects, openId: fake.addUser({ name, mobile }) };
    });
    const people = await db
      .insertInto('people')
      .values(batch.map((b) => ({ name: b.name, mobile: b.mobile, email: null, open_id: b.openId, user_id: null, match_status: 'matched' as const, matched_at: new Date(), prompted_at: null })))
      .returning('id')
      .execute();
    const rows = batch.flatMap((b, j) =>
      Array.from({ length: b.projects }, (_, k) => ({
        code: `BENCH${start + j}-${k}`,
        name: `基准测试项目${start + j}-${k}`,
        legal_entity: null,
        location: null,
        region_id: regions[(start + j) % regions.length].id,
        industry: null,
        stage: '续建' as const,
        dispatch_frequency: 'weekly' as const,
        total_investment: '100000',
        annual_plan: '12000',
        investor_type: null,
        planned_start: '2024-03-01',
        planned_finish: null,
        owner_id: people[j].id,
        leader_id: null,
        vice_mayor_id: null,
        department_id: null,
        started: true,
        started_on: null,
        completed_on: null,
        registered_on: null,
        ytd_year: null,
        retired_at: null,
        last_import_id: null,
        updated_by: 'bench',
      })),
    );
    await db.insertInto('projects').values(rows).execute();
    count += rows.length;
  }
  return count;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run().then(
    (rs) => process.exit(rs.every((r) => r.messages > 0 && r.failedJobs === 0 && r.duplicates === 0) ? 0 : 1),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
