// Card-callback answer time: how long the bot takes to answer a report submission delivered the
// way Feishu delivers it (encrypted with the Encrypt Key, signed, POSTed to /lark/events), through
// the real service — HTTP intake, signature check, decryption, routing, the filing transaction
// and the summary card. Feishu gives up on a callback after 3 s; the bot answers early at 2.5 s
// (CALLBACK_BUDGET_MS) with an interim toast, counted separately below.
//
// 300 projects with distinct owners, one monthly cycle opened with the workers running (the
// prompt cards are really sent to the simulated tenant), then:
//   (a) 300 first submissions, one after another
//   (b) 300 corrections (a second submission on the same card: revision 2), 20 at a time
//   (c) 100 re-deliveries of events already answered (Feishu's retry: same event_id, same bytes)
//   (d) 100 invalid forms (amount '五百'), refused with the form card
// Prints count, p50/p95/p99/max of the driver's elapsedMs, answers over 2,500 and 3,000 ms, SQL
// statements per request (counted at the pg driver while the request is handled, BEGIN/COMMIT
// included, jobs after commit not: bench/statement-counter.ts), and a final check that every
// valid submission is stored exactly once (exits non-zero if not). The side-by-side figures
// against a reference endpoint, the open-loop rates and memory are bench/load.bench.ts.
//
//   npx tsx bench/callback.bench.ts        (or import { run } from a bench runner)
//
// Needs PostgreSQL and Redis; BENCH_DATABASE_URL (an admin connection that may create
// databases; else TEST_DATABASE_URL) and BENCH_REDIS_URL override the local defaults. It
// creates and drops its own database and removes its own queue prefix's Redis keys.
import { deleteKeysByPrefix } from '../src/platform/jobs/redis-keys.js';
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { parseConfig } from '../src/config.js';
import { startService, type Service } from '../src/app/service.js';
import { createLogger } from '../src/logger.js';
import { createDb, type Db } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { openCycle } from '../src/cycle/cycle.service.js';
import { NO, REPORT_FIELDS as F, YES } from '../src/cards/card-actions.js';
import { FakeFeishu, FeishuDriver, type DeliveryResult } from '../src/sandbox/index.js';
import { benchAdminUrl, benchClock, benchRedisUrl, cleanup, createBenchDatabase, type BenchDatabase } from './bench-support.js';
import { installStatementCounter } from './statement-counter.js';

const APP = { id: 'cli_bench_callback', secret: 'bench-secret', verificationToken: 'bench-token', encryptKey: 'bench-encrypt-key' };
const PROJECTS = Number(process.env.BENCH_CALLBACK_PROJECTS ?? 300);
const CORRECTION_CONCURRENCY = 20;
const DUPLICATES = Math.min(100, PROJECTS);
const INVALID = Math.min(100, PROJECTS);
const FEISHU_LIMIT_MS = 3000;
const BOT_BUDGET_MS = 2500;
/** What the bot answers when the work outlives its budget (intake-handlers.ts); the real card follows. */
const INTERIM_TOAST = '已收到，正在保存';
const PERIOD = '2026-06';
const CLOCK_START = '2026-06-22T10:00:00+08:00';

type Body = { toast?: { type: string; content: string }; card?: unknown };
type Target = { projectId: number; openId: string; messageId: string };
type Phase = { name: string; results: DeliveryResult[]; wrong: number; statements?: number };

const form = (amount: string, progress: string): Record<string, string> => ({
  [F.periodInvestment]: amount,
  [F.stage]: '续建',
  [F.started]: YES,
  [F.completed]: NO,
  [F.registered]: NO,
  [F.progress]: progress,
});

export async function run(): Promise<void> {
  const adminUrl = benchAdminUrl();
  const redisUrl = benchRedisUrl();
  const queuePrefix = `bench-${randomBytes(4).toString('hex')}`;

  let benchDb: BenchDatabase | undefined;
  let setupDb: Db | undefined;
  let service: Service | undefined;
  const fake = new FakeFeishu({ apps: { [APP.id]: APP.secret } });
  let fakeStarted = false;
  const problems: string[] = [];
  try {
    benchDb = await createBenchDatabase(adminUrl);
    setupDb = createDb(benchDb.url, { max: 3 });
    await migrateToLatest(setupDb);
    const url = await fake.start();
    fakeStarted = true;

    // A fixed month and a clock inside its reporting window (opened the 20th, due the 25th at
    // 18:00): on the real clock the bench failed from each month's due date to its end.
    const periodKey = PERIOD;
    const year = Number(periodKey.slice(0, 4));
    const owners = await seed(setupDb, fake, year);

    const config = parseConfig({
      LARK_APP_ID: APP.id,
      LARK_APP_SECRET: APP.secret,
      LARK_VERIFICATION_TOKEN: APP.verificationToken,
      LARK_ENCRYPT_KEY: APP.encryptKey,
      LARK_DOMAIN: url,
      DATABASE_URL: benchDb.url,
      REDIS_URL: redisUrl,
      PORT: '0',
      LOG_LEVEL: 'silent',
      QUEUE_PREFIX: queuePrefix,
      RUN_WORKERS: 'true',
      RUN_SCHEDULER: 'false',
    });
    service = await startService(config, { logger: createLogger('silent'), now: benchClock(CLOCK_START) });
    const driver = new FeishuDriver({
      targetUrl: `http://127.0.0.1:${service.port}/lark/events`,
      appId: APP.id,
      verificationToken: APP.verificationToken,
      encryptKey: APP.encryptKey,
      fake,
    });

    const t0 = Date.now();
    const opened = await openCycle(service.ctx, 'monthly', periodKey);
    const cycleId = opened.cycle.id;
    const targets = await promptedCards(service, fake, owners);
    const promptSeconds = (Date.now() - t0) / 1000;

    // A late answer is what this benchmark measures against the 3 s deadline, not a reason to stop.
    const LATE_IS_MEASURED = { allowLate: true };
    const submit = (t: Target, body: Record<string, string>) =>
      driver.cardAction({
        operatorOpenId: t.openId,
        messageId: t.messageId,
        value: { a: 'report.submit', projectId: t.projectId, cycleId },
        formValue: body,
        name: 'report_submit',
      }, LATE_IS_MEASURED);

    // Statements sent while each phase's requests were handled, per request.
    const counted = installStatementCounter();
    const measured = async (run: () => Promise<Phase>): Promise<Phase> => {
      const before = counted().callbacks;
      const phase = await run();
      return { ...phase, statements: (counted().callbacks - before) / Math.max(1, phase.results.length) };
    };

    // (a) first submissions, one at a time.
    const first: DeliveryResult[] = [];
    const a = await measured(async () => {
      for (const t of targets) first.push(await submit(t, form('500', '主体结构施工')));
      return judge('(a) submit, sequential', first, (b) => isToast(b, 'success', '已提交'));
    });

    // (b) corrections: a second submission on the same card, 20 in flight at once.
    let second: DeliveryResult[] = [];
    const b = await measured(async () => {
      second = await inPool(targets, CORRECTION_CONCURRENCY, (t) => submit(t, form('450', '更正：主体结构封顶')));
      return judge(`(b) correct, ${CORRECTION_CONCURRENCY} at once`, second, (x) => isToast(x, 'success', '已更正'));
    });

    // (c) Feishu's retry of events already answered: the first answer comes back, nothing is written.
    const again: DeliveryResult[] = [];
    const c = await measured(async () => {
      for (const r of first.slice(0, DUPLICATES)) again.push(await driver.redeliver(r.delivery, LATE_IS_MEASURED));
      return judge('(c) duplicate re-delivery', again, (x, i) => {
      // The first answer again (the same toast and summary card).
      const original = first[i]?.body as Body | undefined;
      if (!isToast(x, 'success', '已提交')) return false;
      // Deep, not byte, equality: the answer is kept as jsonb, which orders keys its own way.
        return isInterim(original) || isDeepStrictEqual(x, original);
      });
    });

    // (d) invalid forms: refused with the form card, nothing written.
    const invalid: DeliveryResult[] = [];
    const d = await measured(async () => {
      for (const t of targets.slice(0, INVALID)) invalid.push(await submit(t, form('五百', '主体结构施工')));
      return judge('(d) invalid form', invalid, (x) => x.toast?.type === 'error' && /阿拉伯数字/.test(x.toast.content));
    });

    const phases = [a, b, c, d];
    console.log(
      `callback answers: ${targets.length} projects with distinct owners, monthly cycle ${periodKey}; ` +
        `encrypted + signed webhook deliveries; prompts sent in ${promptSeconds.toFixed(1)} s`,
    );
    printTable(phases);
    for (const p of phases) if (p.wrong > 0) problems.push(`${p.name}: ${p.wrong} unexpected answers`);

    const check = await storedOnce(setupDb, cycleId, targets.length, first, second, [...again, ...invalid], phases.some((p) => interimCount(p) > 0));
    console.log(check.line);
    problems.push(...check.problems);
  } finally {
    // Service, workers and pools before the database and the Redis keys.
    await cleanup('callback bench', [
      async () => service?.stop(),
      async () => (fakeStarted ? fake.stop() : undefined),
      async () => setupDb?.destroy(),
      async () => benchDb?.drop(),
      async () => deleteKeysByPrefix(redisUrl, queuePrefix),
    ]);
  }
  if (problems.length > 0) throw new Error(`callback bench: data or answers wrong:\n  ${problems.join('\n  ')}`);
}

function isToast(b: Body | undefined, type: string, content: string): boolean {
  return b?.toast?.type === type && b.toast.content === content;
}

function isInterim(b: Body | undefined): boolean {
  return b?.toast?.type === 'info' && b.toast.content === INTERIM_TOAST;
}

/** An answer is wrong unless it is a 200 with the expected toast, or the bot's interim answer. */
function judge(name: string, results: DeliveryResult[], ok: (body: Body, i: number) => boolean): Phase {
  const wrong = results.filter((r, i) => {
    const body = r.body as Body | undefined;
    return r.status !== 200 || !body || !(isInterim(body) || ok(body, i));
  }).length;
  return { name, results, wrong };
}

const interimCount = (p: Phase) => p.results.filter((r) => isInterim(r.body as Body | undefined)).length;

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function printTable(phases: Phase[]): void {
  const head = ['phase', 'n', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', `>${BOT_BUDGET_MS}`, `>${FEISHU_LIMIT_MS}`, 'interim', 'wrong', 'SQL/request'];
  const rows = phases.map((p) => {
    const ms = p.results.map((r) => r.elapsedMs).sort((x, y) => x - y);
    return [
      p.name,
      String(ms.length),
      String(percentile(ms, 50)),
      String(percentile(ms, 95)),
      String(percentile(ms, 99)),
      String(ms[ms.length - 1] ?? NaN),
      String(ms.filter((v) => v > BOT_BUDGET_MS).length),
      String(ms.filter((v) => v > FEISHU_LIMIT_MS).length),
      String(interimCount(p)),
      String(p.wrong),
      p.statements === undefined ? '-' : p.statements.toFixed(2),
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(head));
  for (const r of rows) console.log(line(r));
}

/**
 * Every valid submission stored exactly once: one report per project at revision 2, two
 * revisions each, each valid event_id on exactly one revision, and nothing from the duplicate
 * or invalid deliveries. If any answer was the interim one, its write may still be finishing, so
 * the counts are given a few seconds to settle.
 */
async function storedOnce(
  db: Db,
  cycleId: number,
  projects: number,
  first: DeliveryResult[],
  second: DeliveryResult[],
  others: DeliveryResult[],
  mayBeSettling: boolean,
): Promise<{ line: string; problems: string[] }> {
  const deadline = Date.now() + (mayBeSettling ? 10_000 : 0);
  for (;;) {
    const reports = await db.selectFrom('reports').select(['id', 'project_id', 'revision']).where('cycle_id', '=', cycleId).execute();
    const revisions = await db.selectFrom('report_revisions').select(['report_id', 'revision', 'source_event_id']).where('cycle_id', '=', cycleId).execute();
    const byEvent = new Map<string, number>();
    for (const r of revisions) byEvent.set(r.source_event_id ?? '', (byEvent.get(r.source_event_id ?? '') ?? 0) + 1);
    const valid = [...first, ...second].map((r) => r.delivery.eventId ?? '');
    const notOnce = valid.filter((e) => byEvent.get(e) !== 1).length;
    const strayFromOthers = others.filter((r) => byEvent.has(r.delivery.eventId ?? '') && !valid.includes(r.delivery.eventId ?? '')).length;
    const distinctProjects = new Set(reports.map((r) => r.project_id)).size;
    const atRevision2 = reports.filter((r) => r.revision === 2).length;
    const problems: string[] = [];
    if (reports.length !== projects) problems.push(`reports: ${reports.length}, expected ${projects}`);
    if (distinctProjects !== projects) problems.push(`projects with a report: ${distinctProjects}, expected ${projects}`);
    if (atRevision2 !== projects) problems.push(`reports at revision 2: ${atRevision2}, expected ${projects}`);
    if (revisions.length !== 2 * projects) problems.push(`report_revisions: ${revisions.length}, expected ${2 * projects}`);
    if (notOnce > 0) problems.push(`valid submissions not stored exactly once: ${notOnce}`);
    if (strayFromOthers > 0) problems.push(`revisions written by duplicate or invalid deliveries: ${strayFromOthers}`);
    if (problems.length === 0 || Date.now() >= deadline) {
      const line =
        `check: reports ${reports.length}/${projects} (all revision 2: ${atRevision2 === projects ? 'yes' : 'no'}), ` +
        `report_revisions ${revisions.length}/${2 * projects}, valid events stored exactly once ${valid.length - notOnce}/${valid.length}, ` +
        `written by duplicates/invalid ${strayFromOthers} → ${problems.length === 0 ? 'OK' : 'WRONG'}`;
      return { line, problems };
    }
    await sleep(250);
  }
}

/** Waits for every owner's prompt card and returns the card each submission is made on. */
async function promptedCards(service: Service, fake: FakeFeishu, owners: { projectId: number; openId: string }[]): Promise<Target[]> {
  const wanted = new Set(owners.map((o) => o.openId));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const byOwner = new Map<string, string>();
    for (const m of fake.messages({ msg_type: 'interactive' })) {
      const to = m.open_id ?? m.receive_id;
      if (wanted.has(to) && !byOwner.has(to)) byOwner.set(to, m.message_id);
    }
    if (byOwner.size === owners.length) return owners.map((o) => ({ ...o, messageId: byOwner.get(o.openId)! }));
    const failed = await service.ctx.queues.queue('outbound').getFailedCount();
    if (failed > 0) throw new Error(`${failed} prompt jobs failed; ${byOwner.size}/${owners.length} prompt cards sent`);
    if (Date.now() > deadline) throw new Error(`prompts not sent within 60 s: ${byOwner.size}/${owners.length}`);
    await sleep(100);
  }
}

/** Regions, one owner per project (each a tenant user), monthly projects with a year-to-date. */
async function seed(db: Db, fake: FakeFeishu, year: number): Promise<{ projectId: number; openId: string }[]> {
  const regions = await db
    .insertInto('regions')
    .values(['天城县', '南湖县', '西山区', '东城区', '高新区'].map((name, i) => ({ name, sort_order: i })))
    .returning('id')
    .execute();
  const owners = Array.from({ length: PROJECTS }, (_, i) => {
    const mobile = `157${String(i).padStart(8, '0')}`;
    const name = `负责人${i}`;
    return { name, mobile, openId: fake.addUser({ name, mobile }) };
  });
  const people = await db
    .insertInto('people')
    .values(owners.map((o) => ({ name: o.name, mobile: o.mobile, email: null, open_id: o.openId, user_id: null, match_status: 'matched' as const, matched_at: new Date(), prompted_at: null })))
    .returning('id')
    .execute();
  const projects = await db
    .insertInto('projects')
    .values(
      owners.map((_, i) => ({
        code: `CB${String(i).padStart(4, '0')}`,
        name: `回调基准项目${i}`,
        legal_entity: null,
        location: null,
        region_id: regions[i % regions.length].id,
        industry: null,
        stage: '续建' as const,
        dispatch_frequency: 'monthly' as const,
        total_investment: '10000',
        annual_plan: '6000',
        investor_type: null,
        planned_start: '2024-03-01',
        planned_finish: null,
        owner_id: people[i].id,
        leader_id: null,
        vice_mayor_id: null,
        department_id: null,
        started: true,
        started_on: null,
        completed_on: null,
        registered_on: null,
        ytd_year: year,
        ytd_investment: '3700',
        retired_at: null,
        updated_by: 'bench',
      })),
    )
    .returning('id')
    .execute();
  return projects.map((p, i) => ({ projectId: p.id, openId: owners[i].openId }));
}

/** Runs `fn` over `items` with at most `concurrency` in flight; results in input order. */
async function inPool<T, R>(items: T[], concurrency: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run().then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
