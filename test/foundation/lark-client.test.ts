// The Feishu wrapper against the simulated tenant, through the real SDK.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeFeishu } from '../../src/sandbox/index.js';
import { LARK_HTTP_TIMEOUT_MS, LarkClient, setLarkHttpTimeout } from '../../src/platform/feishu/lark-client.js';
import { createLogger } from '../../src/logger.js';
import { isAppError } from '../../src/errors.js';

const APP = { appId: 'cli_wrapper', appSecret: 'wrapper-secret' };
const logger = createLogger('silent');

describe('LarkClient against the sandbox', () => {
  const fake = new FakeFeishu({ apps: { [APP.appId]: APP.appSecret } });
  let lark: LarkClient;
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    const url = await fake.start();
    lark = new LarkClient({ ...APP, domain: url, logger, retry: { baseDelayMs: 20, maxDelayMs: 100 } });
    alice = fake.addUser({ name: '杜磊秀', mobile: '13900000001', email: 'du@example.gov.cn' });
    bob = fake.addUser({ name: '赵辉敏', mobile: '13900000002' });
  });
  afterEach(() => {
    fake.clearFaults();
    fake.setMonthlyQuotaExceeded(false);
    fake.setLimits({ appPerSecond: 50, perReceiverPerSecond: 5 });
  });
  afterAll(async () => {
    await fake.stop();
  });

  const sends = () => fake.requests().filter((r) => r.method === 'POST' && r.path === '/open-apis/im/v1/messages');

  it('sends with a uuid, and a repeated uuid sends once', async () => {
    const before = fake.messages({ receive_id: alice }).length;
    const a = await lark.sendText({ receiveId: alice, text: '你好', uuid: 'greet-alice-1' });
    const b = await lark.sendText({ receiveId: alice, text: '你好', uuid: 'greet-alice-1' });
    expect(b.messageId).toBe(a.messageId);
    const mine = fake.messages({ receive_id: alice });
    expect(mine).toHaveLength(before + 1);
    expect(mine.at(-1)).toMatchObject({ uuid: 'greet-alice-1', msg_type: 'text', content: { text: '你好' } });
  });

  it('sends cards by email and replies in a thread', async () => {
    const { messageId } = await lark.sendCard({
      receiveId: 'du@example.gov.cn',
      receiveIdType: 'email',
      card: { schema: '2.0', config: { update_multi: true }, body: { elements: [] } },
      uuid: 'card-by-email',
    });
    expect(fake.messages().find((m) => m.message_id === messageId)?.msg_type).toBe('interactive');
    const chat = fake.messages().find((m) => m.message_id === messageId)!.chat_id;
    const reply = await lark.reply({ messageId, chatId: chat, msgType: 'text', content: { text: '收到' }, uuid: 'reply-1' });
    expect(reply.messageId).not.toBe(messageId);
  });

  it('waits out a 429 with x-ogw-ratelimit-reset and retries', async () => {
    fake.setLimits({ perReceiverPerSecond: 1 });
    const limitedBefore = fake.stats().rateLimited;
    // No pacer on this client, so it runs into the tenant's limit and must recover by itself.
    const results = await Promise.all([1, 2].map((i) => lark.sendText({ receiveId: bob, text: `第${i}条`, uuid: `burst-bob-${i}` })));
    expect(new Set(results.map((r) => r.messageId)).size).toBe(2);
    expect(fake.stats().rateLimited).toBeGreaterThan(limitedBefore);
    const toBob = fake.requests().filter((r) => r.receiveId === bob && r.path === '/open-apis/im/v1/messages');
    const limited = toBob.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited.every((r) => r.code === 99991400)).toBe(true);
    // The header said "1 second": no retry came back before that second was over.
    const first429 = limited[0];
    const nextAttempt = toBob.find((r) => r.at > first429.at && r.status !== 429);
    expect(nextAttempt).toBeDefined();
    const gaps = toBob.filter((r) => r.at > first429.at).map((r) => r.at - first429.at);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(900);
  });

  it('does not retry the monthly quota answer (99991403)', async () => {
    fake.setMonthlyQuotaExceeded(true);
    const before = sends().length;
    const err = await lark.sendText({ receiveId: alice, text: 'x', uuid: 'quota-1' }).catch((e: unknown) => e);
    expect(isAppError(err, 'LARK_QUOTA_EXCEEDED')).toBe(true);
    expect(sends().length).toBe(before + 1);
  });

  it('retries 5xx answers and dropped connections, then succeeds', async () => {
    fake.injectFault({ match: { method: 'POST', path: '/open-apis/im/v1/messages' }, kind: 'status', status: 502, times: 2 });
    fake.injectFault({ match: { method: 'POST', path: '/open-apis/im/v1/messages' }, kind: 'drop', times: 1 });
    const before = sends().length;
    const { messageId } = await lark.sendText({ receiveId: alice, text: '重试', uuid: 'retry-1' });
    expect(messageId).toMatch(/^om_/);
    expect(sends().length - before).toBe(4);
    expect(fake.messages().filter((m) => m.uuid === 'retry-1')).toHaveLength(1);
  });

  it('gives up on a stalled answer after the HTTP timeout and retries', async () => {
    setLarkHttpTimeout(300);
    try {
      fake.injectFault({ match: { method: 'POST', path: '/open-apis/im/v1/messages' }, kind: 'slow', delayMs: 1500, times: 1 });
      const before = sends().length;
      const { messageId } = await lark.sendText({ receiveId: alice, text: '超时重试', uuid: 'stall-1' });
      expect(messageId).toMatch(/^om_/);
      expect(sends().length - before).toBeGreaterThanOrEqual(1);
      // The stalled request may still be answered late; Feishu's uuid keeps it one message.
      await new Promise((r) => setTimeout(r, 1500));
      expect(fake.messages().filter((m) => m.uuid === 'stall-1')).toHaveLength(1);
    } finally {
      setLarkHttpTimeout(LARK_HTTP_TIMEOUT_MS);
    }
  });

  it('does not retry permanent errors such as an unknown receiver', async () => {
    const before = sends().length;
    const err = await lark.sendText({ receiveId: 'ou_nobody', text: 'x', uuid: 'nobody-1' }).catch((e: unknown) => e);
    expect(isAppError(err, 'LARK_PERMANENT')).toBe(true);
    expect((err as { details: { larkCode?: number } }).details.larkCode).toBe(230013);
    expect(sends().length).toBe(before + 1);
  });

  it('fetches a new tenant token when the old one is rejected', async () => {
    await lark.sendText({ receiveId: alice, text: 'a', uuid: 'tok-1' });
    const tokenCalls = () => fake.requests().filter((r) => r.path.endsWith('/tenant_access_token/internal')).length;
    const before = tokenCalls();
    fake.expireAllTokens();
    await lark.sendText({ receiveId: alice, text: 'b', uuid: 'tok-2' });
    expect(tokenCalls()).toBe(before + 1);
    expect(fake.messages().filter((m) => m.uuid === 'tok-2')).toHaveLength(1);
  });

  it('patches a card, uploads an image and buzzes a user', async () => {
    const card = (text: string) => ({ schema: '2.0', config: { update_multi: true }, body: { elements: [{ tag: 'markdown', content: text }] } });
    const { messageId } = await lark.sendCard({ receiveId: alice, card: card('旧'), uuid: 'patch-me' });
    await lark.patchCard({ messageId, card: card('新') });
    expect(JSON.stringify(fake.messages().find((m) => m.message_id === messageId)!.content)).toContain('新');
    const key = await lark.uploadImage(Buffer.from('\x89PNG\r\n\x1a\nfake-image-bytes'));
    expect(key).toMatch(/^img_/);
    const { invalid } = await lark.urgentApp({ messageId, openIds: [alice, 'ou_nobody'] });
    expect(invalid).toEqual(['ou_nobody']);
  });

  it('looks users up by mobile in batches of at most 50', async () => {
    const mobiles = Array.from({ length: 120 }, (_, i) => `1370000${String(i).padStart(4, '0')}`);
    mobiles.slice(0, 60).forEach((m, i) => fake.addUser({ name: `用户${i}`, mobile: m }));
    const before = fake.requests().filter((r) => r.path.endsWith('/batch_get_id')).length;
    const found = await lark.lookupUsers({ mobiles });
    const calls = fake.requests().filter((r) => r.path.endsWith('/batch_get_id')).length - before;
    expect(calls).toBe(3);
    expect(found.filter((u) => u.openId)).toHaveLength(60);
    expect(found.filter((u) => !u.openId).map((u) => u.mobile)).toEqual(mobiles.slice(60));
  });
});
