// Inbound deliveries: the driver signs and encrypts exactly as Feishu does; the bot accepts
// genuine ones through the SDK's dispatcher and refuses forged, tampered and unsigned ones.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { FakeFeishu, FeishuDriver } from '../../src/sandbox/index.js';
import { HttpServer } from '../../src/platform/http-server.js';
import { createMetrics } from '../../src/platform/metrics.js';
import { createEventDispatcher, startLongConnection, type LarkCardActionEvent, type LarkMessageEvent } from '../../src/platform/feishu/lark-intake.js';
import { createLogger } from '../../src/logger.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-db.js';
import { testRedisUrl } from '../helpers/services.js';

const APP_ID = 'cli_intake';
const TOKEN = 'verification-token-intake';
const KEY = 'encrypt-key-intake';

type Seen = { messages: LarkMessageEvent[]; cards: LarkCardActionEvent[] };

async function startBot(t: TestDatabase, redis: Redis, encryptKey: string, seen: Seen) {
  const logger = createLogger('silent');
  const dispatcher = createEventDispatcher({
    encryptKey,
    verificationToken: TOKEN,
    logger,
    handlers: {
      onMessage: async (e) => {
        seen.messages.push(e);
      },
      onCardAction: async (e) => {
        seen.cards.push(e);
        return { toast: { type: 'success', content: '已收到' } };
      },
    },
  });
  const server = new HttpServer({ db: t.db, redis, logger, metrics: createMetrics(), dispatcher, encryptKey, verificationToken: TOKEN });
  const port = await server.start(0, '127.0.0.1');
  return { server, url: `http://127.0.0.1:${port}` };
}

describe.each([
  { mode: 'encrypted and signed', encryptKey: KEY },
  { mode: 'plain with verification token', encryptKey: '' },
])('webhook intake, $mode', ({ encryptKey }) => {
  let t: TestDatabase;
  let redis: Redis;
  let bot: Awaited<ReturnType<typeof startBot>>;
  let driver: FeishuDriver;
  const fake = new FakeFeishu({ apps: { [APP_ID]: 's' } });
  const seen: Seen = { messages: [], cards: [] };

  beforeAll(async () => {
    t = await createTestDatabase();
    redis = new Redis(testRedisUrl());
    await fake.start();
    bot = await startBot(t, redis, encryptKey, seen);
    driver = new FeishuDriver({ targetUrl: `${bot.url}/lark/events`, appId: APP_ID, verificationToken: TOKEN, encryptKey: encryptKey || undefined, fake });
  });
  afterAll(async () => {
    await bot.server.stop();
    await fake.stop();
    redis.disconnect();
    await t.drop();
  });

  it('answers the url_verification challenge', async () => {
    const r = await driver.urlVerification();
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ challenge: r.challenge });
  });

  it('accepts a genuine message event and hands it to the handler', async () => {
    const before = seen.messages.length;
    const r = await driver.sendMessageEvent({ senderOpenId: 'ou_a', text: '帮助', chatType: 'p2p' });
    expect(r.status).toBe(200);
    expect(seen.messages.length).toBe(before + 1);
    const e = seen.messages.at(-1)!;
    expect(e.event_id).toBe(r.eventId);
    expect(JSON.parse(e.message.content)).toEqual({ text: '帮助' });
    expect(e.sender.sender_id?.open_id).toBe('ou_a');
  });

  it('accepts a genuine card callback and returns the handler answer', async () => {
    const before = seen.cards.length;
    const r = await driver.cardAction({ operatorOpenId: 'ou_a', messageId: 'om_card', value: { a: 'report.submit', projectId: 1, cycleId: 1 }, formValue: { period_investment: '500' } });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ toast: { type: 'success', content: '已收到' } });
    const e = seen.cards.at(-1)!;
    expect(seen.cards.length).toBe(before + 1);
    expect(e.operator.open_id).toBe('ou_a');
    expect(e.action.form_value).toEqual({ period_investment: '500' });
    expect(e.token).toBe(r.token);
  });

  it.each([
    ['wrong verification token', { wrongToken: true }],
    ...(encryptKey ? [['tampered body', { tamper: true }], ['forged signature', { forgeSignature: true }], ['unsigned', { unsigned: true }]] : []),
  ] as [string, Record<string, boolean>][])('refuses a %s delivery and does not run the handler', async (_label, spoil) => {
    const before = { m: seen.messages.length, c: seen.cards.length };
    const m = await driver.sendMessageEvent({ senderOpenId: 'ou_evil', text: '填报', chatType: 'p2p' }, spoil);
    const c = await driver.cardAction({ operatorOpenId: 'ou_evil', messageId: 'om_x', value: { a: 'report.submit', projectId: 1, cycleId: 1 } }, spoil);
    expect(m.status).toBe(401);
    expect(c.status).toBe(401);
    expect({ m: seen.messages.length, c: seen.cards.length }).toEqual(before);
  });

  it('refuses a body that is not JSON', async () => {
    const res = await fetch(`${bot.url}/lark/events`, { method: 'POST', body: 'not json', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
  });
});

describe('long-connection intake (LARK_MODE=ws)', () => {
  // WSClient only accepts app ids shaped like real ones: cli_ + 16 hex digits.
  const WS_APP = 'cli_0123456789abcdef';
  const fake = new FakeFeishu({ apps: { [WS_APP]: 'ws-secret' } });
  const seen: Seen = { messages: [], cards: [] };
  let conn: { ready: Promise<void>; close: () => void };

  beforeAll(async () => {
    await fake.start();
    const logger = createLogger('silent');
    const dispatcher = createEventDispatcher({
      encryptKey: '',
      verificationToken: TOKEN,
      logger,
      handlers: {
        onMessage: async (e) => {
          seen.messages.push(e);
        },
        onCardAction: async (e) => {
          seen.cards.push(e);
          return { toast: { type: 'info', content: '长连接已收到' } };
        },
      },
    });
    conn = startLongConnection({ appId: WS_APP, appSecret: 'ws-secret', domain: fake.url, logger, dispatcher });
    await conn.ready;
  });
  afterAll(async () => {
    conn.close();
    await fake.stop();
  });

  it('receives events and answers card callbacks through the same handlers', async () => {
    const driver = new FeishuDriver({ targetUrl: 'unused', appId: WS_APP, verificationToken: TOKEN, fake });
    driver.viaWebSocket = true;
    const m = await driver.sendMessageEvent({ senderOpenId: 'ou_ws', text: '我的项目', chatType: 'p2p' });
    expect(m.status).toBe(200);
    expect(seen.messages.map((e) => e.event_id)).toEqual([m.eventId]);
    const c = await driver.cardAction({ operatorOpenId: 'ou_ws', messageId: 'om_ws', value: { a: 'report.submit', projectId: 1, cycleId: 1 } });
    expect(c.body).toEqual({ toast: { type: 'info', content: '长连接已收到' } });
    expect(seen.cards).toHaveLength(1);
  });
});
