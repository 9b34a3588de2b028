// Finding 4 (Redis outage): while Redis is down, every connection's error goes to the JSON log
// (once in a while, not per retry) and nothing prints raw multi-line ECONNREFUSED dumps.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { startService, type Service } from '../../src/app/service.js';
import { createLogger } from '../../src/logger.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-db.js';
import { startPrivateRedis, type PrivateRedis } from './private-services.js';
import { FakeFeishu } from '../../src/sandbox/index.js';
import { HARNESS_APP } from '../helpers/harness.js';

let redis: PrivateRedis;
let database: TestDatabase;
let fake: FakeFeishu;
let service: Service | undefined;
const logs: string[] = [];
const raw: string[] = [];
const origStderr = process.stderr.write.bind(process.stderr);
const origConsoleError = console.error;

beforeAll(async () => {
  redis = await startPrivateRedis();
  database = await createTestDatabase();
  fake = new FakeFeishu({ apps: { [HARNESS_APP.appId]: HARNESS_APP.appSecret } });
  const url = await fake.start();
  const config = parseConfig({
    LARK_APP_ID: HARNESS_APP.appId,
    LARK_APP_SECRET: HARNESS_APP.appSecret,
    LARK_VERIFICATION_TOKEN: HARNESS_APP.verificationToken,
    LARK_ENCRYPT_KEY: HARNESS_APP.encryptKey,
    LARK_DOMAIN: url,
    DATABASE_URL: database.url,
    REDIS_URL: redis.url,
    PORT: '0',
    QUEUE_PREFIX: 'outage',
    RUN_SCHEDULER: 'true',
  });
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  service = await startService(config, { logger: createLogger('info', { stream: sink }) });
}, 90_000);

afterAll(async () => {
  process.stderr.write = origStderr;
  console.error = origConsoleError;
  await service?.stop().catch(() => undefined);
  await fake?.stop();
  await database?.drop();
  await redis?.stop();
});

describe('a Redis outage', () => {
  it('is in the JSON log, and nowhere else', async () => {
    process.stderr.write = ((s: string | Uint8Array, ...rest: unknown[]) => {
      raw.push(String(s));
      return origStderr(s, ...(rest as []));
    });
    console.error = (...a: unknown[]) => raw.push(a.map(String).join(' '));
    const before = logs.length;
    await redis.restart({ downMs: 4000 });
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && !logs.slice(before).some((l) => /ECONNREFUSED|Connection is closed/.test(l))) await new Promise((r) => setTimeout(r, 100));
    process.stderr.write = origStderr;
    console.error = origConsoleError;
    expect(raw.filter((l) => /ECONNREFUSED|Unhandled error event/.test(l))).toEqual([]);
    const errors = logs.slice(before).filter((l) => /ECONNREFUSED/.test(l));
    expect(errors.length).toBeGreaterThan(0);
    // Throttled: a handful of lines for four seconds down, not one per reconnect attempt.
    expect(errors.length).toBeLessThan(40);
    expect(errors.every((l) => JSON.parse(l).level)).toBe(true);
  }, 60_000);
});
