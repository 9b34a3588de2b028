// The simulated tenant is as strict as the real one about card interactions: the 3 s callback
// deadline (200341), non-200 answers (200671), bad cards in answers (200673, 200830), the 14-day
// lifetime of a 2.0 card (clicks refused, updates 230031), the lock while a callback is in flight
// (230099 "card action is lock") and urgent notices to people outside the chat (230001).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { CallbackRefusedError, FeishuDriver, type FakeFeishu } from '../../src/sandbox/index.js';
import { addPerson, APP_ID, failure, manualClock, onCleanup, sdkClient, sharedCard, startFake } from './sandbox-helpers.js';

const TOKEN = 'strict-verification-token';
const DAY = 24 * 60 * 60 * 1000;

type Answer = { status?: number; body?: unknown; delayMs?: number; during?: () => Promise<void> };

/** A bot endpoint that answers card callbacks exactly as told (no SDK: any status, any delay). */
async function rawBot(answer: () => Answer) {
  const received: unknown[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      const a = answer();
      void (async () => {
        if (a.during) await a.during();
        if (a.delayMs) await new Promise((r) => setTimeout(r, a.delayMs));
        res.writeHead(a.status ?? 200, { 'content-type': 'application/json' });
        res.end(a.body === undefined ? '{}' : JSON.stringify(a.body));
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/lark/events`, received };
}

async function sentCard(fake: FakeFeishu) {
  const ou = addPerson(fake, '杜磊秀', '13900000001');
  const sent = await sdkClient(fake).im.message.create({
    params: { receive_id_type: 'open_id' },
    data: { receive_id: ou, msg_type: 'interactive', content: JSON.stringify(sharedCard('待填报')) },
  });
  return { ou, messageId: sent.data?.message_id ?? '' };
}

const replaced = (title: string) => ({ card: { type: 'raw', data: sharedCard(title) } });

describe('card callback answers', () => {
  it('fails the driving test when the bot answers after 3 s, and drops the answer', async () => {
    const fake = await startFake();
    const { ou, messageId } = await sentCard(fake);
    const bot = await rawBot(() => ({ delayMs: 3200, body: replaced('太晚了') }));
    const driver = new FeishuDriver({ targetUrl: bot.url, appId: APP_ID, verificationToken: TOKEN, fake });
    const late = driver.cardAction({ operatorOpenId: ou, messageId, value: { a: 'x' } });
    await expect(late).rejects.toBeInstanceOf(CallbackRefusedError);
    await expect(late).rejects.toThrow(/200341/);
    expect(fake.message(messageId)?.content).toEqual(sharedCard('待填报'));
  }, 10_000);

  it('reports 200341 instead of throwing when told a late answer is expected', async () => {
    const fake = await startFake();
    const { ou, messageId } = await sentCard(fake);
    const bot = await rawBot(() => ({ delayMs: 150, body: replaced('太晚了') }));
    const driver = new FeishuDriver({ targetUrl: bot.url, appId: APP_ID, verificationToken: TOKEN, fake, callbackDeadlineMs: 50 });
    const result = await driver.cardAction({ operatorOpenId: ou, messageId, value: { a: 'x' } }, { allowLate: true });
    expect(result.clientError?.code).toBe(200341);
    expect(fake.message(messageId)?.patches).toHaveLength(0);
  });

  it('applies a valid card answered in time', async () => {
    const fake = await startFake();
    const { ou, messageId } = await sentCard(fake);
    const bot = await rawBot(() => ({ body: { toast: { type: 'success', content: '好' }, ...replaced('已填报') } }));
    const driver = new FeishuDriver({ targetUrl: bot.url, appId: APP_ID, verificationToken: TOKEN, fake });
    const result = await driver.cardAction({ operatorOpenId: ou, messageId, value: { a: 'x' } });
    expect(result.clientError).toBeUndefined();
    expect(fake.message(messageId)?.content).toEqual(sharedCard('已填报'));
  });

  it.each([
    ['a non-200 answer', { status: 500, body: { error: 'boom' } }, 200671],
    ['a body that is not an object', { body: ['x'] }, 200672],
    ['a card with an unknown property', { body: { card: { type: 'raw', data: { ...sharedCard('x'), elements: [] } } } }, 200673],
    ['a card with the 1.0 action module', { body: { card: { type: 'raw', data: { schema: '2.0', body: { elements: [{ tag: 'action', actions: [] }] } } } } }, 200673],
    ['a card object without type', { body: { card: sharedCard('x') } }, 200673],
    ['a 1.0 card replacing a 2.0 card', { body: { card: { type: 'raw', data: { elements: [{ tag: 'div', text: { tag: 'plain_text', content: 'x' } }] } } } }, 200830],
  ])('shows the user an error for %s and keeps the card', async (_name, answer, code) => {
    const fake = await startFake();
    const { ou, messageId } = await sentCard(fake);
    const bot = await rawBot(() => answer);
    const driver = new FeishuDriver({ targetUrl: bot.url, appId: APP_ID, verificationToken: TOKEN, fake });
    const result = await driver.cardAction({ operatorOpenId: ou, messageId, value: { a: 'x' } });
    expect(result.clientError?.code).toBe(code);
    expect(fake.message(messageId)?.content).toEqual(sharedCard('待填报'));
  });
});

describe('the 14-day lifetime of a 2.0 card', () => {
  it('refuses a click on a 15-day-old card; the bot hears nothing', async () => {
    const clock = manualClock();
    const fake = await startFake({ now: clock.now });
    const { ou, messageId } = await sentCard(fake);
    const bot = await rawBot(() => ({ body: {} }));
    const driver = new FeishuDriver({ targetUrl: bot.url, appId: APP_ID, verificationToken: TOKEN, fake });
    clock.advance(14 * DAY - 60_000);
    await driver.cardAction({ operatorOpenId: ou, messageId, value: { a: 'x' } });
    expect(bot.received).toHaveLength(1);
    clock.advance(DAY);
    await expect(driver.cardAction({ operatorOpenId: ou, messageId, value: { a: 'x' } })).rejects.toThrow(/14 days/);
    expect(bot.received).toHaveLength(1);
  });

  it('refuses a delayed update once the card is 14 days old, even with a fresh token (230031)', async () => {
    const clock = manualClock();
    const fake = await startFake({ now: clock.now });
    const { ou, messageId } = await sentCard(fake);
    const bot = await rawBot(() => ({ body: {} }));
    const driver = new FeishuDriver({ targetUrl: bot.url, appId: APP_ID, verificationToken: TOKEN, fake });
    clock.advance(14 * DAY - 10 * 60_000);
    const { token } = await driver.cardAction({ operatorOpenId: ou, messageId, value: { a: 'x' } });
    clock.advance(20 * 60_000);
    // A fresh client: the old one's token expired on the fake's clock.
    const update = sdkClient(fake).request({ method: 'POST', url: '/open-apis/interactive/v1/card/update', data: { token, card: sharedCard('晚了') } });
    expect(await failure(update)).toMatchObject({ status: 400, code: 230031 });
    expect(fake.message(messageId)?.patches).toHaveLength(0);
  });
});

describe('a card with an action in flight', () => {
  it('answers patches and delayed updates with "card action is lock" until the callback is answered', async () => {
    const fake = await startFake();
    const { ou, messageId } = await sentCard(fake);
    const client = sdkClient(fake);
    const seen: Array<{ code: number | undefined; msg: string | undefined }> = [];
    let token = '';
    const bot = await rawBot(() => ({
      during: async () => {
        seen.push(await failure(client.im.message.patch({ path: { message_id: messageId }, data: { content: JSON.stringify(sharedCard('抢先')) } })));
        seen.push(await failure(client.request({ method: 'POST', url: '/open-apis/interactive/v1/card/update', data: { token, card: sharedCard('抢先') } })));
      },
      body: {},
    }));
    const driver = new FeishuDriver({ targetUrl: bot.url, appId: APP_ID, verificationToken: TOKEN, fake });
    // The token is minted with the click; grab it from the payload the bot receives.
    const originalIssue = fake.issueCardToken.bind(fake);
    fake.issueCardToken = (id: string) => (token = originalIssue(id));
    await driver.cardAction({ operatorOpenId: ou, messageId, value: { a: 'x' } });
    expect(seen).toEqual([
      expect.objectContaining({ code: 230099, msg: expect.stringContaining('card action is lock') }),
      expect.objectContaining({ code: 230099, msg: expect.stringContaining('card action is lock') }),
    ]);
    // Answered: the card is free again, and the refused update did not spend the token.
    await client.im.message.patch({ path: { message_id: messageId }, data: { content: JSON.stringify(sharedCard('之后')) } });
    await client.request({ method: 'POST', url: '/open-apis/interactive/v1/card/update', data: { token, card: sharedCard('再之后') } });
    await client.request({ method: 'POST', url: '/open-apis/interactive/v1/card/update', data: { token, card: sharedCard('第二次') } });
    expect(fake.message(messageId)?.content).toEqual(sharedCard('第二次'));
  });
});

describe('cards the tenant refuses on the message APIs', () => {
  it('refuses an invalid card on send, reply, patch and delayed update with 230099 and the card code', async () => {
    const fake = await startFake();
    const { ou, messageId } = await sentCard(fake);
    const client = sdkClient(fake);
    const bad = { ...sharedCard('x'), body: { elements: [{ tag: 'note', elements: [] }] } };
    const content = JSON.stringify(bad);
    const send = client.im.message.create({ params: { receive_id_type: 'open_id' }, data: { receive_id: ou, msg_type: 'interactive', content } });
    expect(await failure(send)).toMatchObject({ status: 400, code: 230099, msg: expect.stringContaining('ErrCode: 200861') });
    const reply = client.im.message.reply({ path: { message_id: messageId }, data: { msg_type: 'interactive', content } });
    expect(await failure(reply)).toMatchObject({ code: 230099 });
    const patch = client.im.message.patch({ path: { message_id: messageId }, data: { content } });
    expect(await failure(patch)).toMatchObject({ code: 230099 });
    const bot = await rawBot(() => ({ body: {} }));
    const { token } = await new FeishuDriver({ targetUrl: bot.url, appId: APP_ID, verificationToken: TOKEN, fake }).cardAction({ operatorOpenId: ou, messageId, value: { a: 'x' } });
    const update = client.request({ method: 'POST', url: '/open-apis/interactive/v1/card/update', data: { token, card: bad } });
    expect(await failure(update)).toMatchObject({ code: 230099 });
    expect(fake.message(messageId)?.content).toEqual(sharedCard('待填报'));
    expect(fake.messages()).toHaveLength(1);
  });
});

describe('urgent notices', () => {
  it('answers 230001 when no id is in the chat of the message, and lists outsiders as invalid otherwise', async () => {
    const fake = await startFake();
    const { ou, messageId } = await sentCard(fake);
    const outsider = addPerson(fake, '周敏', '13800002002');
    const client = sdkClient(fake);
    const none = client.im.message.urgentApp({ path: { message_id: messageId }, params: { user_id_type: 'open_id' }, data: { user_id_list: [outsider] } });
    expect(await failure(none)).toMatchObject({ status: 400, code: 230001 });
    const mixed = await client.im.message.urgentApp({ path: { message_id: messageId }, params: { user_id_type: 'open_id' }, data: { user_id_list: [ou, outsider] } });
    expect(mixed.data?.invalid_user_id_list).toEqual([outsider]);
    expect(fake.message(messageId)?.urgent).toEqual([expect.objectContaining({ user_ids: [ou] })]);
  });
});
