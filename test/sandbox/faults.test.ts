import { describe, expect, it } from 'vitest';
import { addPerson, failure, sdkClient, startFake, textContent } from './sandbox-helpers.js';

const SEND_PATH = '/open-apis/im/v1/messages';

async function setup() {
  const fake = await startFake();
  const ou = addPerson(fake, '杜磊秀', '13900000001');
  const client = sdkClient(fake);
  const send = (uuid?: string) =>
    client.im.message.create({ params: { receive_id_type: 'open_id' }, data: { receive_id: ou, msg_type: 'text', content: textContent('x'), uuid } });
  return { fake, client, send };
}

describe('fault injection', () => {
  it('answers an injected 500 the given number of times, then recovers', async () => {
    const { fake, send } = await setup();
    fake.injectFault({ match: { method: 'POST', path: SEND_PATH }, kind: 'status', status: 500, times: 2 });
    expect(await failure(send())).toMatchObject({ status: 500 });
    expect(await failure(send())).toMatchObject({ status: 500 });
    await expect(send()).resolves.toMatchObject({ code: 0 });
    expect(fake.stats().faultsFired).toBe(2);
    expect(fake.requests().filter((r) => r.path === SEND_PATH).map((r) => r.status)).toEqual([500, 500, 200]);
  });

  it('injects a business code', async () => {
    const { fake, send } = await setup();
    fake.injectFault({ match: { path: /\/im\/v1\/messages$/ }, kind: 'code', code: 230020, times: 1 });
    expect(await failure(send())).toMatchObject({ status: 400, code: 230020 });
  });

  it('slows a request down and still answers it', async () => {
    const { fake, send } = await setup();
    fake.injectFault({ match: { path: SEND_PATH }, kind: 'slow', delayMs: 300, times: 1 });
    const started = Date.now();
    await expect(send()).resolves.toMatchObject({ code: 0 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('drops the connection without an answer, and a retry with the same uuid sends once', async () => {
    const { fake, send } = await setup();
    fake.injectFault({ match: { path: SEND_PATH }, kind: 'drop', times: 1 });
    await expect(send('retry-1')).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(fake.messages()).toHaveLength(0);
    await expect(send('retry-1')).resolves.toMatchObject({ code: 0 });
    expect(fake.messages()).toHaveLength(1);
    expect(fake.requests().find((r) => r.path === SEND_PATH)?.status).toBe(0);
  });

  it('hits only a share of requests', async () => {
    const { fake, send } = await setup();
    fake.setLimits({ perReceiverPerSecond: 1000 });
    fake.injectFault({ match: { path: SEND_PATH }, kind: 'status', share: 0 });
    await expect(send()).resolves.toMatchObject({ code: 0 });
    fake.clearFaults();
    fake.injectFault({ match: { path: SEND_PATH }, kind: 'status', share: 1 });
    expect(await failure(send())).toMatchObject({ status: 500 });
  });

  it('is reachable over HTTP: POST and DELETE /_sandbox/faults', async () => {
    const { fake, send } = await setup();
    const post = await fetch(`${fake.url}/_sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ match: { method: 'POST', pathRegex: '^/open-apis/im/' }, kind: 'status', status: 503 }),
    });
    expect(((await post.json()) as { data: { id: string } }).data.id).toBeTruthy();
    expect(await failure(send())).toMatchObject({ status: 503 });
    await fetch(`${fake.url}/_sandbox/faults`, { method: 'DELETE' });
    await expect(send()).resolves.toMatchObject({ code: 0 });
  });
});

describe('control plane over HTTP', () => {
  it('lists messages and requests, adds users and resets', async () => {
    const { fake, send } = await setup();
    await send();
    const get = async (path: string) => ((await (await fetch(`${fake.url}${path}`)).json()) as { data: Record<string, unknown[]> }).data;
    expect((await get('/_sandbox/messages?msg_type=text')).items).toHaveLength(1);
    expect((await get('/_sandbox/messages?msg_type=interactive')).items).toHaveLength(0);
    expect((await get('/_sandbox/requests')).items?.length).toBeGreaterThanOrEqual(2);

    await fetch(`${fake.url}/_sandbox/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ name: '周敏', mobile: '13800002002' }]),
    });
    expect((await get('/_sandbox/users')).items).toHaveLength(2);

    await fetch(`${fake.url}/_sandbox/reset`, { method: 'POST' });
    expect(fake.messages()).toHaveLength(0);
    expect(fake.requests()).toHaveLength(0);
    expect(fake.users()).toHaveLength(2);
  });

  it('answers unknown Open API routes with 404', async () => {
    const { fake } = await setup();
    const res = await fetch(`${fake.url}/open-apis/nope/v1/things`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: 404 });
  });
});
