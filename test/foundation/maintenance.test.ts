import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/test-db.js';
import { pruneInboundEvents } from '../../src/platform/jobs/maintenance.processors.js';

describe('pruneInboundEvents', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => {
    await t.drop();
  });

  it('forgets de-duplication keys older than the retention, keeps the recent ones', async () => {
    const now = new Date('2026-11-21T02:00:00Z');
    const day = 24 * 3600 * 1000;
    await t.db
      .insertInto('inbound_events')
      .values([
        { dedupe_key: 'evt:old', kind: 'card', received_at: new Date(now.getTime() - 8 * day), payload: null },
        { dedupe_key: 'evt:edge', kind: 'card', received_at: new Date(now.getTime() - 7 * day + 60_000), payload: null },
        { dedupe_key: 'msg:new', kind: 'message', received_at: new Date(now.getTime() - 3600_000), payload: null },
      ])
      .execute();
    expect(await pruneInboundEvents(t.db, now)).toBe(1);
    const left = await t.db.selectFrom('inbound_events').select('dedupe_key').orderBy('dedupe_key').execute();
    expect(left.map((r) => r.dedupe_key)).toEqual(['evt:edge', 'msg:new']);
  });
});
