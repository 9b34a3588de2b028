import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as lark from '@larksuiteoapi/node-sdk';
import { describe, expect, it } from 'vitest';
import { decryptPayload, encryptPayload, FeishuDriver, signPayload, tamper } from '../../src/sandbox/index.js';
import { addPerson, APP_ID, noopLogger, onCleanup, sdkClient, sharedCard, startFake } from './sandbox-helpers.js';

const ENCRYPT_KEY = 'sandbox-encrypt-key';
const VERIFICATION_TOKEN = 'sandbox-verification-token';

type Handler = (data: Record<string, unknown>) => unknown;

/**
 * A bot endpoint made of the SDK alone: EventDispatcher + adaptDefault on node:http.
 * An empty encryptKey means none. autoChallenge makes the adapter decrypt *before*
 * the signature check, so a tampered ciphertext throws inside the SDK and the request
 * is never answered; the spoiled-delivery checks therefore run without it.
 */
async function sdkBot(handlers: Record<string, Handler>, encryptKey = ENCRYPT_KEY, autoChallenge = true) {
  const received: Array<Record<string, unknown>> = [];
  const dispatcher = new lark.EventDispatcher({ encryptKey, verificationToken: VERIFICATION_TOKEN, logger: noopLogger }).register(
    Object.fromEntries(
      Object.entries(handlers).map(([type, handler]) => [
        type,
        async (data: Record<string, unknown>) => {
          received.push(data);
          return handler(data);
        },
      ]),
    ),
  );
  const adapter = lark.adaptDefault('/lark/events', dispatcher, { autoChallenge });
  const server = createServer((req, res) => {
    void adapter(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/lark/events`, received };
}

describe('lark-crypto', () => {
  it('round-trips a payload and signs timestamp + nonce + key + body', () => {
    const json = JSON.stringify({ schema: '2.0', header: { event_id: 'e1' } });
    const encrypted = encryptPayload(json, ENCRYPT_KEY);
    expect(decryptPayload(encrypted, ENCRYPT_KEY)).toBe(json);
    expect(() => decryptPayload(encrypted, 'another-key')).toThrow();
    // The SDK's own AESCipher decrypts what we encrypt.
    expect(new lark.AESCipher(ENCRYPT_KEY).decrypt(encrypted)).toBe(json);
    expect(signPayload('1700000000', 'n1', ENCRYPT_KEY, '{}')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('tamper keeps the JSON valid but changes it', () => {
    const body = JSON.stringify({ encrypt: encryptPayload('{"a":1}', ENCRYPT_KEY) });
    const spoiled = tamper(body);
    expect(spoiled).not.toBe(body);
    expect(() => JSON.parse(spoiled) as unknown).not.toThrow();
  });
});

describe('FeishuDriver against the SDK EventDispatcher (encrypted)', () => {
  it('passes URL verification through autoChallenge', async () => {
    const bot = await sdkBot({});
    const driver = new FeishuDriver({ targetUrl: bot.url, appId: APP_ID, verificationToken: VERIFICATION_TOKEN, encryptKey: ENCRYPT_KEY });
    const result = await driver.urlVerification();
    expect(result.status).toBe(200);
    expect(result.body).toEqual({ challenge: result.challenge });
  });

  it('delivers a genuine message event the SDK accepts, and refuses spoiled ones', async () => {
    const fake = await startFake();
    const ou = addPerson(fake, '杜磊秀', '13900000001');
    const bot = await sdkBot({ 'im.message.receive_v1': () => undefined }, ENCRYPT_KEY, false);
    const driver = new FeishuDriver({ targetUrl: bot.url, appId: APP_ID, verificationToken: VERIFICATION_TOKEN, encryptKey: ENCRYPT_KEY, fake });

    const ok = await driver.sendMessageEvent({ senderOpenId: ou, text: '我的项目', chatType: 'p2p' });
    expect(ok.status).toBe(200);
    expect(bot.received).toHaveLength(1);
    expect(bot.received[0]).toMatchObject({
      event_id: ok.eventId,
      event_type: 'im.message.receive_v1',
      sender: { sender_id: { open_id: ou }, sender_type: 'user' },
      message: { message_id: ok.messageId, chat_type: 'p2p', message_type: 'text', content: JSON.stringify({ text: '我的项目' }) },
    });
    expect(ok.delivery.body).toMatch(/^\{"encrypt":"/);

    for (const spoil of [{ tamper: true }, { forgeSignature: true }, { unsigned: true }]) {
      const refused = await driver.sendMessageEvent({ senderOpenId: ou, text: 'x', chatType: 'p2p' }, spoil);
      // The SDK answers a failed check with HTTP 200 and an empty body.
      expect(refused.status).toBe(200);
      expect(refused.rawBody).toBe('');
    }
    expect(bot.received).toHaveLength(1);

    // The SDK never checks the Verification Token; a bot that wants that must compare `token` itself.
    await driver.sendMessageEvent({ senderOpenId: ou, text: 'x', chatType: 'p2p' }, { wrongToken: true });
    expect(bot.received[1]).toMatchObject({ token: 'wrong-verification-token' });
  });

  it('redelivers the identical payload with the same event_id', async () => {
    const bot = await sdkBot({ 'im.message.receive_v1': () => undefined });
    const driver = new FeishuDriver({ targetUrl: bot.url, appId: APP_ID, verificationToken: VERIFICATION_TOKEN, encryptKey: ENCRYPT_KEY });
    const first = await driver.sendMessageEvent({ senderOpenId: 'ou_abc', text: 'hi', chatType: 'group', chatId: 'oc_group' });
    const again = await driver.redeliver(first.delivery);
    expect(again.status).toBe(200);
    expect(again.delivery.body).toBe(first.delivery.body);
    expect(bot.received.map((d) => d.event_id)).toEqual([first.eventId, first.eventId]);
  });

  it('delivers a card action, applies the returned card and issues a working delayed-update token', async () => {
    const fake = await startFake();
    const ou = addPerson(fake, '杜磊秀', '13900000001');
    const client = sdkClient(fake);
    const sent = await client.im.message.create({
      params: { receive_id_type: 'open_id' },
      data: { receive_id: ou, msg_type: 'interactive', content: JSON.stringify(sharedCard('本周填报')) },
    });
    const messageId = sent.data?.message_id ?? '';
    const bot = await sdkBot({
      'card.action.trigger': () => ({ toast: { type: 'success', content: '已提交' }, card: { type: 'raw', data: sharedCard('已提交') } }),
    });
    const driver = new FeishuDriver({ targetUrl: bot.url, appId: APP_ID, verificationToken: VERIFICATION_TOKEN, encryptKey: ENCRYPT_KEY, fake });

    const result = await driver.cardAction({
      operatorOpenId: ou,
      messageId,
      value: { action: 'submit_report', project: 'XM2026001' },
      formValue: { invest: '500', progress: '主体施工' },
      name: 'submit',
    });
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({ toast: { type: 'success', content: '已提交' } });
    expect(result.elapsedMs).toBeLessThan(3000);
    // The SDK flattens header and event; event.token (the update token) wins over header.token.
    expect(bot.received[0]).toMatchObject({
      event_type: 'card.action.trigger',
      token: result.token,
      operator: { open_id: ou },
      action: { value: { action: 'submit_report', project: 'XM2026001' }, form_value: { invest: '500', progress: '主体施工' }, name: 'submit', timezone: 'Asia/Shanghai' },
      context: { open_message_id: messageId, open_chat_id: sent.data?.chat_id },
      host: 'im_message',
    });
    expect(fake.message(messageId)?.content).toEqual(sharedCard('已提交'));
    expect(fake.message(messageId)?.patches.map((p) => p.via)).toEqual(['callback']);

    const update = await client.request({ method: 'POST', url: '/open-apis/interactive/v1/card/update', data: { token: result.token, card: sharedCard('已审核') } });
    expect(update).toMatchObject({ code: 0 });
    expect(fake.message(messageId)?.content).toEqual(sharedCard('已审核'));
  });
});

describe('FeishuDriver without an Encrypt Key', () => {
  it('sends plaintext the SDK accepts without a signature check', async () => {
    const bot = await sdkBot({ 'im.message.receive_v1': () => undefined }, '');
    const driver = new FeishuDriver({ targetUrl: bot.url, appId: APP_ID, verificationToken: VERIFICATION_TOKEN });
    const result = await driver.sendMessageEvent({ senderOpenId: 'ou_abc', text: 'hi', chatType: 'p2p' }, { unsigned: true });
    expect(result.status).toBe(200);
    expect(JSON.parse(result.delivery.body)).toMatchObject({ schema: '2.0', header: { token: VERIFICATION_TOKEN } });
    expect(bot.received).toHaveLength(1);
  });
});
