// sendOnce: one Feishu message per key, whatever retries, repeats or failures happen around it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeFeishu } from '../../src/sandbox/index.js';
import { LarkClient } from '../../src/platform/feishu/lark-client.js';
import { messageUuid, sendOnce } from '../../src/platform/feishu/outbound.js';
import { createLogger } from '../../src/logger.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-db.js';
import { makePerson } from '../helpers/factories.js';

describe('sendOnce', () => {
  const fake = new FakeFeishu({ apps: { cli_out: 's' } });
  let t: TestDatabase;
  let lark: LarkClient;
  let ou: string;
  let personId: number;

  beforeAll(async () => {
    t = await createTestDatabase();
    lark = new LarkClient({ appId: 'cli_out', appSecret: 's', domain: await fake.start(), logger: createLogger('silent'), retry: { maxAttempts: 2, baseDelayMs: 10 } });
    ou = fake.addUser({ name: '孟丽', mobile: '13900000005' });
    personId = (await makePerson(t.db, { openId: ou, mobile: '13900000005' })).id;
  });
  afterAll(async () => {
    await fake.stop();
    await t.drop();
  });

  it('derives a Feishu-sized uuid that is stable per key and differs between keys', () => {
    const a = messageUuid('prompt:c12:p345');
    expect(a.length).toBeLessThanOrEqual(50);
    expect(messageUuid('prompt:c12:p345')).toBe(a);
    expect(messageUuid('prompt:c12:p346')).not.toBe(a);
    expect(messageUuid('x'.repeat(500)).length).toBeLessThanOrEqual(50);
  });

  it('sends once and records the Feishu message id, however often it is called', async () => {
    const msg = { key: 'notice:1', kind: 'notice', receiveId: ou, personId, text: '本周调度已开始' };
    const results = await Promise.all([sendOnce({ db: t.db, lark }, msg), sendOnce({ db: t.db, lark }, msg)]);
    const again = await sendOnce({ db: t.db, lark }, msg);
    expect(again.alreadySent).toBe(true);
    expect(new Set([...results, again].map((r) => r.messageId)).size).toBe(1);
    expect(fake.messages({ receive_id: ou }).filter((m) => m.uuid === messageUuid('notice:1'))).toHaveLength(1);
    const row = await t.db.selectFrom('outbound_messages').selectAll().where('uuid', '=', messageUuid('notice:1')).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ state: 'sent', message_id: again.messageId, kind: 'notice', person_id: personId });
  });

  it('records a failure, and a later retry sends it exactly once', async () => {
    fake.injectFault({ match: { method: 'POST', path: '/open-apis/im/v1/messages' }, kind: 'status', status: 500, times: 2 });
    const msg = { key: 'notice:2', kind: 'notice', receiveId: ou, text: '提醒' };
    await expect(sendOnce({ db: t.db, lark }, msg)).rejects.toThrow(/HTTP 500/);
    const failed = await t.db.selectFrom('outbound_messages').selectAll().where('uuid', '=', messageUuid('notice:2')).executeTakeFirstOrThrow();
    expect(failed.state).toBe('failed');
    expect(failed.last_error).toContain('500');
    const ok = await sendOnce({ db: t.db, lark }, msg);
    expect(ok.alreadySent).toBe(false);
    expect(fake.messages().filter((m) => m.uuid === messageUuid('notice:2'))).toHaveLength(1);
    const sent = await t.db.selectFrom('outbound_messages').select(['state', 'attempts']).where('uuid', '=', messageUuid('notice:2')).executeTakeFirstOrThrow();
    expect(sent).toEqual({ state: 'sent', attempts: 2 });
  });
});
