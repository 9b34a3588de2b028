// What the two statements of a card submission cost PostgreSQL, apart from everything else the
// load bench measures at once: submissions go through a real service (in this process, workers
// off) to give the projects a history, the read (filing.read.ts) and the write (report.write.ts)
// are captured at the pg driver, then each is run again many times on one connection while its
// backend's CPU is read from /proc (Linux, server on this host), and EXPLAIN (ANALYZE, BUFFERS)
// prints where the time goes.
//
//   npx tsx bench/submission-statements.ts            (BENCH_STMT_PROJECTS 500, BENCH_STMT_N 2000, BENCH_STMT_REPEAT 500)
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { parseConfig } from '../src/config.js';
import { createAppContext } from '../src/platform/app-context.js';
import { startService } from '../src/app/service.js';
import { createLogger } from '../src/logger.js';
import { createDb } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { openCycle } from '../src/cycle/cycle.service.js';
import { NO, REPORT_FIELDS as F, YES } from '../src/cards/card-actions.js';
import { deleteKeysByPrefix } from '../src/platform/jobs/redis-keys.js';
import { FeishuDriver } from '../src/sandbox/index.js';
import { benchAdminUrl, benchClock, benchRedisUrl, createBenchDatabase } from './bench-support.js';
import { envNumber } from './results.js';
import { installStatementTimer, processCpuMs } from './statement-timer.js';
import { seed } from './load.bench.js';
import { sql } from 'kysely';
import { readSubmission } from '../src/submission/filing.read.js';
import { planReport } from '../src/submission/report.store.js';
import { writeReportOnce } from '../src/submission/report.write.js';
import { readTypedForm, validateReportForm } from '../src/submission/report-form.js';
import { filingBasis } from '../src/submission/filing-basis.js';

const APP = { id: 'cli_bench_stmt', secret: 's', verificationToken: 'bench-token', encryptKey: 'bench-encrypt-key' };
const CLOCK_START = '2026-06-22T10:00:00+08:00';
const projects = envNumber('BENCH_STMT_PROJECTS', 500);
const n = envNumber('BENCH_STMT_N', 2000);
const repeat = envNumber('BENCH_STMT_REPEAT', 500);

// Every statement at the pg driver, with its values: the read and the write are taken from there.
const timer = installStatementTimer();
const lastMatching = (...patterns: RegExp[]): { text: string; values: unknown[] } => {
  const found = timer.statements.findLast((t) => patterns.every((re) => re.test(t.text)));
  if (!found) throw new Error(`no statement matching ${patterns.join(' and ')}`);
  return { text: found.text, values: [...found.params] };
};

const benchDb = await createBenchDatabase(benchAdminUrl());
const prefix = `bench-stmt-${randomBytes(4).toString('hex')}`;
const db = createDb(benchDb.url, { max: 3 });
try {
  await migrateToLatest(db);
  const targets = await seed(db, projects);
  const env = {
    LARK_APP_ID: APP.id, LARK_APP_SECRET: APP.secret, LARK_VERIFICATION_TOKEN: APP.verificationToken, LARK_ENCRYPT_KEY: APP.encryptKey,
    LARK_DOMAIN: 'http://127.0.0.1:9', DATABASE_URL: benchDb.url, REDIS_URL: benchRedisUrl(), PORT: '0', LOG_LEVEL: 'silent',
    QUEUE_PREFIX: prefix, RUN_WORKERS: 'false', RUN_SCHEDULER: 'false',
  };
  const opener = createAppContext(parseConfig({ ...env, QUEUE_PREFIX: `${prefix}-open` }), { logger: createLogger('silent'), now: benchClock(CLOCK_START) });
  const cycleId = (await openCycle(opener, 'monthly', '2026-06')).cycle.id;
  await opener.close();
  const service = await startService(parseConfig(env), { logger: createLogger('silent'), now: benchClock(CLOCK_START) });
  const driver = new FeishuDriver({ targetUrl: `http://127.0.0.1:${service.port}/lark/events`, appId: APP.id, verificationToken: APP.verificationToken, encryptKey: APP.encryptKey });
  let i = 0;
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (i < n) {
      const k = i++;
      const t = targets[k % targets.length];
      const form = { [F.periodInvestment]: String(100 + k), [F.stage]: '续建', [F.started]: YES, [F.completed]: NO, [F.registered]: NO, [F.progress]: `第${k}次填报` };
      await driver.cardAction({ operatorOpenId: t.openId, messageId: `om_${t.projectId}`, value: { a: 'report.submit', projectId: t.projectId, cycleId }, formValue: form, name: 'report_submit' });
    }
  }));
  await service.stop();
  const read = lastMatching(/with pe as/);
  const write = lastMatching(/gate as \(update projects/, /rep as \(update reports/);
  console.log(`captured read (${read.values.length} values), correction write (${write.values.length} values)`);

  const client = new pg.Client({ connectionString: benchDb.url });
  await client.connect();
  // The database is dropped with (force) at the end, even after a failure here.
  client.on('error', () => undefined);
  const pid = (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0].pid;
  const cpuPer = async (label: string, run: () => Promise<unknown>) => {
    for (let k = 0; k < 20; k++) await run();
    const c0 = processCpuMs(pid)!;
    const t0 = performance.now();
    for (let k = 0; k < repeat; k++) await run();
    const ms = (performance.now() - t0) / repeat;
    const cpu = (processCpuMs(pid)! - c0) / repeat;
    console.log(`${label}: backend CPU ${cpu.toFixed(3)} ms, round trip ${ms.toFixed(3)} ms (${repeat} runs)`);
  };
  const plan = async (label: string, text: string, values: unknown[]) => {
    const rows = (await client.query(`explain (analyze, buffers) ${text}`, values)).rows.map((r: Record<string, string>) => r['QUERY PLAN']);
    console.log(`${label}: ${rows.filter((r) => /Planning Time|Execution Time/.test(r)).join(', ')}`);
    if (process.env.BENCH_STMT_PLANS) console.log(rows.join('\n'));
  };
  await plan('read', read.text, read.values);
  await cpuPer('read, unnamed (planned every time)', () => client.query(read.text, read.values));
  await cpuPer('read, named (prepared once)', () => client.query({ name: 'r', text: read.text, values: read.values }));
  // The write in a rolled-back transaction, so each run stores (same version, same event key).
  const txn = async (q: () => Promise<unknown>) => {
    await client.query('begin');
    try {
      await q();
    } finally {
      await client.query('rollback');
    }
  };
  await txn(() => plan('write (correction)', write.text, write.values));
  await cpuPer('begin + rollback alone', () => txn(() => Promise.resolve()));
  await cpuPer('write, unnamed', () => txn(() => client.query(write.text, write.values)));
  await cpuPer('write, named', () => txn(() => client.query({ name: 'w', text: write.text, values: write.values })));
  // A whole submission's statements as the service sends them (the read, then the write,
  // committed: its WAL flush included), on a one-connection pool of the service's own making.
  const one = createDb(benchDb.url, { max: 1 });
  const onePid = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(one)).rows[0].pid;
  const target = targets[0];
  let seq = 0;
  const submitOnce = async () => {
    const k = seq++;
    const eventKey = `card:measure-${k}`;
    const r0 = processCpuMs(onePid)!;
    const read = await readSubmission(one, { eventKey, operator: { openId: target.openId }, projectId: target.projectId, cycleId });
    const r1 = processCpuMs(onePid)!;
    parts.read += r1 - r0;
    const ctx = read.ctx!;
    const check = validateReportForm(readTypedForm({ [F.periodInvestment]: String(1000 + k), [F.stage]: '续建', [F.started]: YES, [F.completed]: NO, [F.registered]: NO, [F.progress]: `测量${k}` }), filingBasis(ctx));
    if (!check.ok) throw new Error('form refused');
    const plan = planReport({ ctx, report: check.report, noChange: false, personId: read.person!.id, at: new Date(), tz: 'Asia/Shanghai', via: 'card', late: false, sourceMessageId: null, sourceEventId: `measure-${k}` });
    const written = await writeReportOnce(one, { eventKey, kind: 'report.submit', answer: { toast: { type: 'success', content: '已更正' } }, cycleId, projectId: target.projectId, late: false, version: read.version!, plan });
    parts.write += processCpuMs(onePid)! - r1;
    if (written.kind !== 'stored') throw new Error(`not stored: ${written.kind}`);
  };
  const parts = { read: 0, write: 0 };
  for (let k = 0; k < 20; k++) await submitOnce();
  parts.read = parts.write = 0;
  const c0 = processCpuMs(onePid)!;
  for (let k = 0; k < repeat; k++) await submitOnce();
  console.log(`one submission (read + committed write, prepared): backend CPU ${((processCpuMs(onePid)! - c0) / repeat).toFixed(3)} ms: read ${(parts.read / repeat).toFixed(3)}, write ${(parts.write / repeat).toFixed(3)} (${repeat} runs)`);
  await one.destroy();
  // Updates that stayed on their page without touching the indexes (HOT), per table written.
  const hot = await client.query(`select relname, n_tup_upd as updated, n_tup_hot_upd as hot from pg_stat_user_tables where relname in ('projects', 'reports', 'cycle_projects') order by 1`);
  console.log('updates (HOT):', hot.rows.map((r: Record<string, unknown>) => `${String(r.relname)} ${String(r.updated)} (${String(r.hot)})`).join(', '));
  // What a stored answer (the card a repeated delivery gets back) weighs, as text and as stored.
  const sizes = (await client.query<{ text: number; stored: number }>(`select avg(length(payload::text))::int as text, avg(pg_column_size(payload))::int as stored from inbound_events`)).rows[0];
  console.log(`recorded answer: ${sizes.text} characters as text, ${sizes.stored} bytes stored`);
  await client.end();
} finally {
  await db.destroy();
  await benchDb.drop();
  await deleteKeysByPrefix(benchRedisUrl(), prefix);
}
process.exit(0);
