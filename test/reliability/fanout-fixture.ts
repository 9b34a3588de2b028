// A city-sized weekly fan-out for the reliability scenarios that break things while prompts go
// out: N owners with one weekly project each (so one prompt card each), every owner a user of
// the sandbox tenant; and the count that matters, taken from what the sandbox stored per
// receiver, not from our own outbound log.
import type { Db } from '../../src/db/database.js';
import { parseConfig, type Config } from '../../src/config.js';
import { HARNESS_APP } from '../helpers/harness.js';
import { createAppContext, type AppContext } from '../../src/platform/app-context.js';
import { createLogger } from '../../src/logger.js';
import { DEFAULT_LIMITS, FakeFeishu } from '../../src/sandbox/index.js';
import { deleteKeysByPrefix } from '../../src/platform/jobs/redis-keys.js';
import { createTestDatabase, uniqueQueuePrefix, type TestDatabase } from '../helpers/test-db.js';
import { testRedisUrl } from '../helpers/services.js';

/** Feishu's send limits ×20 on both sides (a raised quota), so 2,000 prompts fit a test's time. */
export const FANOUT_LIMITS = { ...DEFAULT_LIMITS, appPerSecond: 1000, appPerMinute: 60_000 };
export const FANOUT_RATE_ENV = { SEND_RATE_PER_SECOND: '1000', SEND_RATE_PER_MINUTE: '60000' };

/** The configuration of a process in these scenarios: the harness app on the sandbox at `larkDomain`, raised send limits. */
export function fanoutConfig(o: { larkDomain: string; databaseUrl: string; redisUrl: string; queuePrefix: string }): Config {
  return parseConfig({
    LARK_APP_ID: HARNESS_APP.appId,
    LARK_APP_SECRET: HARNESS_APP.appSecret,
    LARK_VERIFICATION_TOKEN: HARNESS_APP.verificationToken,
    LARK_DOMAIN: o.larkDomain,
    DATABASE_URL: o.databaseUrl,
    REDIS_URL: o.redisUrl,
    QUEUE_PREFIX: o.queuePrefix,
    ...FANOUT_RATE_ENV,
  });
}

/** The cycle the fixture's projects are covered by, and a clock inside its open week. */
export const FANOUT_PERIOD = '2026-W47';
export const FANOUT_NOW = new Date('2026-11-16T09:00:30+08:00');

export type FanoutOwner = { ownerId: number; openId: string };

export async function seedFanout(db: Db, fake: FakeFeishu, owners: number, tag: string): Promise<FanoutOwner[]> {
  const regions = await db
    .insertInto('regions')
    .values(['天城县', '南湖县', '西山区'].map((name, i) => ({ name, sort_order: i })))
    .returning('id')
    .execute();
  const out: FanoutOwner[] = [];
  for (let start = 0; start < owners; start += 500) {
    const batch = Array.from({ length: Math.min(500, owners - start) }, (_, j) => {
      const i = start + j;
      const mobile = `157${String(i).padStart(8, '0')}`;
      const name = `${tag}负责人${i}`;
      return { name, mobile, openId: fake.addUser({ name, mobile }) };
    });
    const people = await db
      .insertInto('people')
      .values(batch.map((b) => ({ name: b.name, mobile: b.mobile, email: null, open_id: b.openId, user_id: null, match_status: 'matched' as const, matched_at: new Date(), prompted_at: null })))
      .returning('id')
      .execute();
    await db
      .insertInto('projects')
      .values(
        people.map((p, j) => ({
          code: `${tag}${start + j}`,
          name: `${tag}项目${start + j}`,
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
          owner_id: p.id,
          leader_id: null,
          vice_mayor_id: null,
          department_id: null,
          started: true,
          started_on: null,
          completed_on: null,
          registered_on: null,
          ytd_year: null,
          retired_at: null,
          updated_by: 'reliability',
        })),
      )
      .execute();
    people.forEach((p, j) => out.push({ ownerId: p.id, openId: batch[j].openId }));
  }
  return out;
}

export type PromptCount = { delivered: number; lost: number; duplicates: number };

/** Prompts the sandbox stored per owner: lost = owners with none, duplicates = cards beyond one. */
export function countPrompts(fake: FakeFeishu, owners: FanoutOwner[]): PromptCount {
  const per = new Map<string, number>();
  for (const m of fake.messages({ msg_type: 'interactive' })) {
    const to = m.open_id ?? m.receive_id;
    per.set(to, (per.get(to) ?? 0) + 1);
  }
  let lost = 0, duplicates = 0, delivered = 0;
  for (const o of owners) {
    const n = per.get(o.openId) ?? 0;
    if (n === 0) lost++;
    else delivered++;
    if (n > 1) duplicates += n - 1;
  }
  return { delivered, lost, duplicates };
}

/** Owners who received at least one card: cheap enough to poll while a fan-out runs. */
export function ownersReached(fake: FakeFeishu): number {
  return new Set(fake.messages({ msg_type: 'interactive' }).map((m) => m.open_id ?? m.receive_id)).size;
}

/**
 * What each scenario that breaks a fan-out starts with: its own database, a sandbox tenant with the
 * raised limits, `owners` seeded owners, and a context on this side that only opens the cycle and
 * watches the queues (a worker child does the work). `stop` undoes all of it, whatever was started.
 */
export type FanoutScenario = { database: TestDatabase; fake: FakeFeishu; config: Config; ctx: AppContext; owners: FanoutOwner[] };

export async function startFanoutScenario(o: { owners: number; tag: string; redisUrl?: string; queuePrefix?: string }): Promise<FanoutScenario> {
  const database = await createTestDatabase();
  const fake = new FakeFeishu({ apps: { [HARNESS_APP.appId]: HARNESS_APP.appSecret }, limits: FANOUT_LIMITS });
  const url = await fake.start();
  const config = fanoutConfig({ larkDomain: url, databaseUrl: database.url, redisUrl: o.redisUrl ?? testRedisUrl(), queuePrefix: o.queuePrefix ?? uniqueQueuePrefix() });
  const ctx = createAppContext(config, { logger: createLogger('silent'), now: () => FANOUT_NOW });
  const owners = await seedFanout(database.db, fake, o.owners, o.tag);
  return { database, fake, config, ctx, owners };
}

export async function stopFanoutScenario(s: Partial<FanoutScenario> | undefined): Promise<void> {
  await s?.ctx?.close().catch(() => undefined);
  await s?.fake?.stop();
  if (s?.config) await deleteKeysByPrefix(s.config.REDIS_URL, s.config.QUEUE_PREFIX).catch(() => undefined);
  await s?.database?.drop();
}

/** Jobs still to run on the queues a fan-out uses. */
export async function unfinishedJobs(ctx: AppContext): Promise<number> {
  let n = 0;
  for (const q of ['control', 'outbound'] as const) {
    const c = await ctx.queues.queue(q).getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
    n += Object.values(c).reduce((a, b) => a + b, 0);
  }
  return n;
}
