import * as lark from '@larksuiteoapi/node-sdk';
import { describe, expect, it } from 'vitest';
import { FeishuDriver } from '../../src/sandbox/index.js';
import { decodeFrame, encodeFrame } from '../../src/sandbox/ws-frame.js';
import { noopLogger, onCleanup, sdkClient, sharedCard, startFake } from './sandbox-helpers.js';

// WSClient.start() refuses app ids that are not "cli_" + 16 hex digits.
const WS_APP_ID = 'cli_a1b2c3d4e5f60789';
const WS_APP_SECRET = 'ws-secret';

async function connectedFake(handlers: Record<string, (data: Record<string, unknown>) => unknown>) {
  const fake = await startFake({ apps: { [WS_APP_ID]: WS_APP_SECRET } });
  const received: Array<Record<string, unknown>> = [];
  const dispatcher = new lark.EventDispatcher({ logger: noopLogger }).register(
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
  let markReady = (): void => undefined;
  let markFailed = (_e: Error): void => undefined;
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    markFailed = reject;
  });
  const client = new lark.WSClient({
    appId: WS_APP_ID,
    appSecret: WS_APP_SECRET,
    domain: fake.url,
    logger: noopLogger,
    autoReconnect: false,
    onReady: () => markReady(),
    onError: (e) => markFailed(e),
  });
  await client.start({ eventDispatcher: dispatcher });
  await ready;
  // Registered after startFake's cleanup, so it runs first: the client goes before the server.
  onCleanup(() => client.close({ force: true }));
  const driver = new FeishuDriver({ targetUrl: 'unused', appId: WS_APP_ID, verificationToken: 'vt', fake });
  driver.viaWebSocket = true;
  return { fake, received, driver };
}

describe('ws frame codec', () => {
  it('round-trips a frame, keeping zero-valued required fields', () => {
    const frame = {
      SeqID: 0,
      LogID: 2 ** 40,
      service: 7,
      method: 1,
      headers: [{ key: 'type', value: 'event' }, { key: 'message_id', value: 'm1' }],
      payload: Buffer.from('{"a":"中文"}'),
    };
    const decoded = decodeFrame(encodeFrame(frame));
    expect(decoded).toMatchObject({ SeqID: 0, LogID: 2 ** 40, service: 7, method: 1, headers: frame.headers });
    expect(Buffer.from(decoded.payload ?? []).toString()).toBe('{"a":"中文"}');
  });
});

describe('long connection (SDK WSClient)', () => {
  it('connects and receives a message event, acknowledging it', async () => {
    const { fake, received, driver } = await connectedFake({ 'im.message.receive_v1': () => undefined });
    expect(fake.webSocketClients(WS_APP_ID)).toBe(1);
    const result = await driver.sendMessageEvent({ senderOpenId: 'ou_abc', text: '我的项目', chatType: 'p2p' });
    expect(result.status).toBe(200);
    expect(received[0]).toMatchObject({ event_id: result.eventId, message: { message_id: result.messageId, content: JSON.stringify({ text: '我的项目' }) } });
  });

  it('returns the card callback answer from the ACK and applies the returned card', async () => {
    const { fake, received, driver } = await connectedFake({
      'card.action.trigger': () => ({ toast: { type: 'info', content: '收到' }, card: { type: 'raw', data: sharedCard('已确认') } }),
    });
    const ou = fake.addUser({ name: '周敏', mobile: '13800002002' });
    const client = sdkClient(fake, WS_APP_ID, WS_APP_SECRET);
    const sent = await client.im.message.create({
      params: { receive_id_type: 'open_id' },
      data: { receive_id: ou, msg_type: 'interactive', content: JSON.stringify(sharedCard('请确认')) },
    });
    const messageId = sent.data?.message_id ?? '';
    const result = await driver.cardAction({ operatorOpenId: ou, messageId, value: { action: 'ack' } });
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({ toast: { content: '收到' } });
    expect(received[0]).toMatchObject({ token: result.token, operator: { open_id: ou }, context: { open_message_id: messageId } });
    expect(fake.message(messageId)?.content).toEqual(sharedCard('已确认'));
  });

  it('reports a handler failure as ACK code 500', async () => {
    const { driver } = await connectedFake({
      'im.message.receive_v1': () => {
        throw new Error('boom');
      },
    });
    const result = await driver.sendMessageEvent({ senderOpenId: 'ou_abc', text: 'x', chatType: 'p2p' });
    expect(result.status).toBe(500);
  });

  it('refuses the endpoint for a wrong secret', async () => {
    const fake = await startFake({ apps: { [WS_APP_ID]: WS_APP_SECRET } });
    const res = await fetch(`${fake.url}/callback/ws/endpoint`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ AppID: WS_APP_ID, AppSecret: 'wrong' }),
    });
    expect(await res.json()).toMatchObject({ code: 514 });
    await expect(fake.deliverOverWebSocket(WS_APP_ID, {})).rejects.toThrow(/no long connection/);
  });
});
