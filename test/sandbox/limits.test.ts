import { describe, expect, it } from 'vitest';
import type { FakeFeishu } from '../../src/sandbox/index.js';
import { addPerson, failure, manualClock, sdkClient, sharedCard, startFake, textContent } from './sandbox-helpers.js';

type Outcome = { ok: true } | { ok: false; status: number; code: number | undefined; headers: Record<string, string> };

async function attempt(call: Promise<unknown>): Promise<Outcome> {
  try {
    await call;
    return { ok: true };
  } catch (e) {
    const response = (e as { response?: { status: number; data?: { code?: number }; headers: Record<string, string> } }).response;
    if (!response) throw e;
    return { ok: false, status: response.status, code: response.data?.code, headers: response.headers };
  }
}

function people(fake: FakeFeishu, count: number): string[] {
  return Array.from({ length: count }, (_, i) => addPerson(fake, `人员${i}`, `1390000${String(i).padStart(4, '0')}`));
}

describe('frequency control', () => {
  it('answers 429 / 99991400 with x-ogw-ratelimit headers past 5 sends per second to one user', async () => {
    // A frozen clock puts every request in the same second.
    const clock = manualClock();
    const fake = await startFake({ now: clock.now });
    const [ou = ''] = people(fake, 1);
    const client = sdkClient(fake);
    const outcomes: Outcome[] = [];
    for (let i = 0; i < 6; i++) {
      outcomes.push(
        await attempt(client.im.message.create({ params: { receive_id_type: 'open_id' }, data: { receive_id: ou, msg_type: 'text', content: textContent(`#${i}`) } })),
      );
    }
    expect(outcomes.slice(0, 5).every((o) => o.ok)).toBe(true);
    expect(outcomes[5]).toMatchObject({ ok: false, status: 429, code: 99991400 });
    const headers = (outcomes[5] as { headers: Record<string, string> }).headers;
    expect(headers['x-ogw-ratelimit-limit']).toBe('5');
    expect(Number(headers['x-ogw-ratelimit-reset'])).toBeGreaterThanOrEqual(1);
    expect(fake.stats().rateLimited).toBe(1);
    expect(fake.messages()).toHaveLength(5);

    clock.advance(1000);
    await expect(
      client.im.message.create({ params: { receive_id_type: 'open_id' }, data: { receive_id: ou, msg_type: 'text', content: textContent('later') } }),
    ).resolves.toMatchObject({ code: 0 });
  });

  it('limits the app to 50 sends per second across receivers, create and reply together', async () => {
    const clock = manualClock();
    const fake = await startFake({ now: clock.now });
    const receivers = people(fake, 11);
    const client = sdkClient(fake);
    const outcomes: Outcome[] = [];
    for (let i = 0; i < 50; i++) {
      const ou = receivers[i % receivers.length] ?? '';
      outcomes.push(
        await attempt(client.im.message.create({ params: { receive_id_type: 'open_id' }, data: { receive_id: ou, msg_type: 'text', content: textContent(`${i}`) } })),
      );
    }
    expect(outcomes.every((o) => o.ok)).toBe(true);
    // Receiver 6 has had 4 messages, so only the app-wide limit can refuse this reply.
    const parent = fake.messages()[6]?.message_id ?? '';
    const over = await failure(client.im.message.reply({ path: { message_id: parent }, data: { msg_type: 'text', content: textContent('r') } }));
    expect(over).toMatchObject({ status: 429, code: 99991400 });
    expect(over.headers['x-ogw-ratelimit-limit']).toBe('50');
    // Contact lookups are a different API with their own bucket.
    await expect(client.contact.user.batchGetId({ params: { user_id_type: 'open_id' }, data: { mobiles: ['13900000000'] } })).resolves.toMatchObject({ code: 0 });
  });

  it('takes new limits from setLimits, including the per-minute ceiling', async () => {
    const clock = manualClock();
    const fake = await startFake({ now: clock.now });
    fake.setLimits({ appPerSecond: 2, appPerMinute: 3 });
    const receivers = people(fake, 4);
    const client = sdkClient(fake);
    const send = (i: number) =>
      attempt(client.im.message.create({ params: { receive_id_type: 'open_id' }, data: { receive_id: receivers[i] ?? '', msg_type: 'text', content: textContent('x') } }));
    expect(await send(0)).toEqual({ ok: true });
    expect(await send(1)).toEqual({ ok: true });
    expect(await send(2)).toMatchObject({ status: 429, headers: { 'x-ogw-ratelimit-limit': '2' } });
    clock.advance(1100);
    expect(await send(2)).toEqual({ ok: true });
    clock.advance(1100);
    const perMinute = await send(3);
    expect(perMinute).toMatchObject({ status: 429, headers: { 'x-ogw-ratelimit-limit': '3' } });
    // The minute window frees 60 s after the first send: 57.8 s from now, rounded up.
    expect((perMinute as { headers: Record<string, string> }).headers['x-ogw-ratelimit-reset']).toBe('58');
  });

  it('allows 5 patches per second per message', async () => {
    const clock = manualClock();
    const fake = await startFake({ now: clock.now });
    const [ou = ''] = people(fake, 1);
    const client = sdkClient(fake);
    const sent = await client.im.message.create({ params: { receive_id_type: 'open_id' }, data: { receive_id: ou, msg_type: 'interactive', content: JSON.stringify(sharedCard('0')) } });
    const messageId = sent.data?.message_id ?? '';
    const outcomes: Outcome[] = [];
    for (let i = 1; i <= 6; i++) {
      outcomes.push(await attempt(client.im.message.patch({ path: { message_id: messageId }, data: { content: JSON.stringify(sharedCard(String(i))) } })));
    }
    expect(outcomes.filter((o) => o.ok)).toHaveLength(5);
    expect(outcomes[5]).toMatchObject({ status: 429, code: 99991400, headers: { 'x-ogw-ratelimit-limit': '5' } });
    expect(fake.message(messageId)?.patches).toHaveLength(5);
  });
});

describe('monthly quota', () => {
  it('answers IM calls with 429 / 99991403 while exceeded, and leaves contact calls alone', async () => {
    const fake = await startFake();
    const [ou = ''] = people(fake, 1);
    const client = sdkClient(fake);
    fake.setMonthlyQuotaExceeded(true);
    const refused = await failure(client.im.message.create({ params: { receive_id_type: 'open_id' }, data: { receive_id: ou, msg_type: 'text', content: textContent('x') } }));
    expect(refused).toMatchObject({ status: 429, code: 99991403 });
    expect(refused.headers['x-ogw-ratelimit-reset']).toBeUndefined();
    await expect(client.contact.user.batchGetId({ params: { user_id_type: 'open_id' }, data: { mobiles: ['13900000000'] } })).resolves.toMatchObject({ code: 0 });
    expect(fake.stats()).toMatchObject({ quotaRejected: 1, rateLimited: 0, messages: 0 });

    fake.setMonthlyQuotaExceeded(false);
    await expect(
      client.im.message.create({ params: { receive_id_type: 'open_id' }, data: { receive_id: ou, msg_type: 'text', content: textContent('x') } }),
    ).resolves.toMatchObject({ code: 0 });
  });
});
