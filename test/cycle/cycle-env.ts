// A cycle test environment: a fresh database, the simulated Feishu tenant, and AppContexts
// (one per simulated service instance) with unique queue names, real Redis and real BullMQ.
// Only the cycle's processors are real; the other catalogued jobs get processors that fail
// loudly, since QueueRegistry.startWorkers insists every job has one.
import { maintenanceProcessors } from '../../src/platform/jobs/maintenance.processors.js';
import { escalationProcessors } from '../../src/escalation/escalation.processors.js';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { parseConfig, type Config } from '../../src/config.js';
import { createAppContext, type AppContext } from '../../src/platform/app-context.js';
import { jobCatalogue, type JobName } from '../../src/platform/jobs/catalogue.js';
import type { Processors } from '../../src/platform/jobs/queue-registry.js';
import { cycleProcessors } from '../../src/cycle/cycle.processors.js';
import { leagueProcessors } from '../../src/league/league.processors.js';
import { FakeFeishu } from '../../src/sandbox/index.js';
import { createTestDatabase, uniqueQueuePrefix, deleteRedisKeys, type TestDatabase } from '../helpers/test-db.js';
import { testRedisUrl } from '../helpers/services.js';
import { makePerson, makeProject } from '../helpers/factories.js';
import type { Db } from '../../src/db/database.js';
import type { Stage } from '../../src/db/schema.js';

export const APP_ID = 'cli_cycle_tests';
const APP_SECRET = 'cycle-secret';

/** A clock the test moves by hand; every context of an environment reads it. */
export class ManualClock {
  constructor(private t: Date) {}
  now = (): Date => new Date(this.t);
  set(local: string): void {
    this.t = shanghai(local);
  }
  advance(ms: number): void {
    this.t = new Date(this.t.getTime() + ms);
  }
}

/** "2026-11-16T09:00" in Asia/Shanghai → Date. */
export const shanghai = (local: string): Date => new Date(`${local.length === 16 ? `${local}:00` : local}+08:00`);

export type LogLine = { level: string; msg: string; [k: string]: unknown };

export type CycleEnv = {
  db: Db;
  fake: FakeFeishu;
  clock: ManualClock;
  prefix: string;
  config: Config;
  logs: LogLine[];
  /** A new service instance on the same database, queues and tenant. */
  context(opts?: { workers?: boolean; larkLimits?: { sendPerSecond?: number } }): AppContext;
  close(): Promise<void>;
};

export async function startCycleEnv(opts: { start: string; env?: Record<string, string> }): Promise<CycleEnv> {
  const testDb: TestDatabase = await createTestDatabase();
  const fake = new FakeFeishu({ apps: { [APP_ID]: APP_SECRET } });
  const url = await fake.start();
  const prefix = uniqueQueuePrefix();
  const clock = new ManualClock(shanghai(opts.start));
  const logs: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) logs.push(JSON.parse(line) as LogLine);
      cb();
    },
  });
  const logger = pino({ level: 'info', formatters: { level: (label) => ({ level: label }) } }, sink);
  const config = parseConfig({
    NODE_ENV: 'test',
    LARK_APP_ID: APP_ID,
    LARK_APP_SECRET: APP_SECRET,
    LARK_DOMAIN: url,
    LARK_VERIFICATION_TOKEN: 'cycle-verification',
    DATABASE_URL: testDb.url,
    REDIS_URL: testRedisUrl(),
    QUEUE_PREFIX: prefix,
    ...opts.env,
  });
  const contexts: AppContext[] = [];
  return {
    db: testDb.db,
    fake,
    clock,
    prefix,
    config,
    logs,
    context(o = {}) {
      const ctx = createAppContext(config, {
        logger,
        now: clock.now,
        larkRetry: { baseDelayMs: 20, maxDelayMs: 200 },
        larkLimits: o.larkLimits,
      });
      contexts.push(ctx);
      if (o.workers !== false) ctx.queues.startWorkers(cycleOnlyProcessors(ctx));
      return ctx;
    },
    async close() {
      for (const ctx of contexts.splice(0)) await ctx.close();
      await fake.stop();
      await deleteRedisKeys(prefix);
      await testDb.drop();
    },
  };
}

export function cycleOnlyProcessors(ctx: AppContext): Processors {
  const others = Object.fromEntries(
    (Object.keys(jobCatalogue) as JobName[]).map((name) => [
      name,
      async () => {
        throw new Error(`job ${name} is not part of the cycle tests`);
      },
    ]),
  );
  // The daily prune is enqueued by the scheduler's tick, and the escalation run and the league post by the close, so they run for real here too.
  return { ...others, ...cycleProcessors(ctx), ...maintenanceProcessors(ctx), ...escalationProcessors(ctx), ...leagueProcessors(ctx) } as Processors;
}

export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Waits until no job of the context's queues is waiting, delayed or active. */
export async function drained(ctx: AppContext, timeoutMs = 30_000): Promise<void> {
  await waitFor(
    'queues to drain',
    async () => {
      for (const q of ['control', 'outbound'] as const) {
        const c = await ctx.queues.queue(q).getJobCounts('waiting', 'active', 'delayed', 'prioritized');
        if (Object.values(c).some((n) => n > 0)) return false;
      }
      return true;
    },
    timeoutMs,
  );
}

export type FixtureProject = { id: number; code: string; ownerId: number; openId: string; owner: string; region: string; weekly: boolean };

/** The office's sample sheet, as kept in the repository (a copy of the shared fixture). */
export const FIXTURE_CSV = fileURLToPath(new URL('../fixtures/registry/projects-sample.csv', import.meta.url));

/**
 * The fixture registry as rows made with the factories, 调度频次 read as the importer reads it
 * (每周 → weekly): the cycle's tests need the rows, not the import. Every owner becomes a user
 * of the simulated tenant.
 */
export async function seedFixtureRegistry(db: Db, fake: FakeFeishu, path = FIXTURE_CSV): Promise<FixtureProject[]> {
  const [header, ...lines] = readFileSync(path, 'utf8').trim().split(/\r?\n/);
  const cols = header.split(',');
  const at = (cells: string[], name: string) => cells[cols.indexOf(name)] ?? '';
  const owners = new Map<string, { id: number; openId: string }>();
  const out: FixtureProject[] = [];
  for (const line of lines) {
    const cells = line.split(',');
    const name = at(cells, '项目负责人');
    const mobile = at(cells, '负责人手机');
    let owner = owners.get(mobile);
    if (!owner) {
      const openId = fake.addUser({ name, mobile });
      const person = await makePerson(db, { name, mobile, openId });
      owner = { id: person.id, openId };
      owners.set(mobile, owner);
    }
    const weekly = at(cells, '调度频次') === '每周';
    const region = at(cells, '所属地区');
    const stage = at(cells, '项目阶段') as Stage;
    const project = await makeProject(db, {
      code: at(cells, '项目编号'),
      name: at(cells, '项目名称'),
      region,
      stage,
      frequency: weekly ? 'weekly' : 'monthly',
      total: at(cells, '总投资(万元)'),
      annualPlan: at(cells, '年度计划投资(万元)'),
      ownerId: owner.id,
      plannedStart: at(cells, '计划开工日期'),
      started: stage === '续建' || stage === '新开工',
      lists: [at(cells, '所属清单')],
    });
    out.push({ id: project.id, code: project.code, ownerId: owner.id, openId: owner.openId, owner: name, region, weekly });
  }
  return out;
}

/** The card JSON of a message the bot sent. */
export type SentCard = { header: { title: { content: string } }; body: { elements: Record<string, unknown>[] } };

/** A form component of a sent report card, by field name. */
export function formField(card: SentCard, name: string): Record<string, unknown> | undefined {
  const form = card.body.elements.find((e) => e.tag === 'form') as { elements: Record<string, unknown>[] } | undefined;
  return form?.elements.find((e) => e.name === name);
}
