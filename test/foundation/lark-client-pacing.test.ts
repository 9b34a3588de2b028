// The Feishu wrapper with a real pacer (Redis) against the simulated tenant: what it does when the
// calls it paced reach the tenant bunched (a busy event loop), and with a rate-limit answer.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { FakeFeishu } from '../../src/sandbox/index.js';
import { LarkClient } from '../../src/platform/feishu/lark-client.js';
import { RedisSendPacer } from '../../src/platform/feishu/send-pacer.js';
import { createLogger } from '../../src/logger.js';
import { testRedisUrl } from '../helpers/services.js';
import { uniqueQueuePrefix } from '../helpers/test-db.js';

const APP = { appId: 'cli_pacing', appSecret: 'pacing-secret' };
const SEND = '/open-apis/im/v1/messages';

/** Keeps the event loop busy, as a burst of other work would: no timer or reply runs meanwhile. */
function busyFor(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // spin
  }
}

describe('LarkClient with a pacer', () => {
  const fake = new FakeFeishu({ apps: { [APP.appId]: APP.appSecret } });
  const redis = new Redis(testRedisUrl());
  const prefix = uniqueQueuePrefix();
  let url: string;
  let users: string[];

  beforeAll(async () => {
    url = await fake.start();
    users = Array.from({ length: 12 }, (_, i) => fake.addUser({ name: `节奏${i}`, mobile: `1370000${String(i).padStart(4, '0')}` }));
  });
  afterEach(() => fake.setLimits({ appPerSecond: 50, perReceiverPerSecond: 5 }));
  afterAll(async () => {
    await fake.stop();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  const client = (name: string, limits: ConstructorParameters<typeof LarkClient>[0]['limits'] = {}) =>
    new LarkClient({ ...APP, domain: url, logger: createLogger('silent'), pacer: new RedisSendPacer(redis, `${prefix}:${name}`), limits });

  it('holds a call back until the calls this process sent a window earlier are a window behind, however late they left', async () => {
    fake.setLimits({ appPerSecond: 5 });
    const lark = client('late', { sendPerSecond: 5 });
    // The tenant token fetched and Redis connected, so what follows is only the pacing.
    await lark.lookupUsers({ mobiles: ['13700000000'] });
    await redis.ping();
    const limitedBefore = fake.stats().rateLimited;
    // Five calls get their slots spread over the second; the pacer's answers then wait behind a
    // busy event loop, so the five leave most of a second after their slots.
    const first = users.slice(0, 5).map((u, i) => lark.sendText({ receiveId: u, text: `第${i}条`, uuid: `late-a-${i}` }));
    busyFor(900);
    await Promise.all(first);
    // The next five: the pacer, counting by slots, has room again at once.
    await Promise.all(users.slice(5, 10).map((u, i) => lark.sendText({ receiveId: u, text: `第${i}条`, uuid: `late-b-${i}` })));
    expect(fake.stats().rateLimited).toBe(limitedBefore);
    const admitted = fake.requests().filter((r) => r.path === SEND && r.status === 200 && typeof r.body?.uuid === 'string' && r.body.uuid.startsWith('late-')).map((r) => r.at);
    expect(admitted).toHaveLength(10);
    for (let i = 0; i + 5 < admitted.length; i++) expect(admitted[i + 5] - admitted[i]).toBeGreaterThanOrEqual(1000);
  });

  it('retries a paced call at its next slot after a rate-limit answer, and obeys the reset header after a second one', async () => {
    // The tenant allows one send per receiver per second where the bot paces five: its pacer
    // cannot know, so every rate-limit answer here is one the pacer did not foresee.
    fake.setLimits({ perReceiverPerSecond: 1 });
    const lark = client('retry');
    const bob = users[11];
    await Promise.all([1, 2].map((i) => lark.sendText({ receiveId: bob, text: `第${i}条`, uuid: `retry-bob-${i}` })));
    const toBob = fake.requests().filter((r) => r.path === SEND && r.receiveId === bob);
    expect(toBob.filter((r) => r.status === 200)).toHaveLength(2);
    const limited = toBob.filter((r) => r.status === 429);
    expect(limited).toHaveLength(2);
    // The first answer said "within a second": the next attempt went at the pacer's next slot …
    expect(limited[1].at - limited[0].at).toBeLessThan(500);
    // … and after the second, the header's second was waited out in full.
    const last = toBob.find((r) => r.status === 200 && r.at > limited[1].at);
    expect(last).toBeDefined();
    expect(last!.at - limited[1].at).toBeGreaterThanOrEqual(1000);
    expect(fake.messages({ receive_id: bob })).toHaveLength(2);
  });
});
