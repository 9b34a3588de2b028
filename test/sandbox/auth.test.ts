import * as lark from '@larksuiteoapi/node-sdk';
import { describe, expect, it } from 'vitest';
import { APP_ID, addPerson, failure, manualClock, noopLogger, sdkClient, startFake, textContent } from './sandbox-helpers.js';

const TOKEN_PATH = '/open-apis/auth/v3/tenant_access_token/internal';

async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('tenant_access_token', () => {
  it('issues a top-level token the SDK accepts and reuses it while it is fresh', async () => {
    const fake = await startFake();
    const ou = addPerson(fake, '杜磊秀', '13900000001');
    const client = sdkClient(fake);
    await client.im.message.create({ params: { receive_id_type: 'open_id' }, data: { receive_id: ou, msg_type: 'text', content: textContent('a') } });
    await client.im.message.create({ params: { receive_id_type: 'open_id' }, data: { receive_id: ou, msg_type: 'text', content: textContent('b') } });
    expect(fake.requests().filter((r) => r.path === TOKEN_PATH)).toHaveLength(1);

    const first = await postJson(`${fake.url}${TOKEN_PATH}`, { app_id: APP_ID, app_secret: 'sandbox-secret' });
    expect(first.body).toMatchObject({ code: 0, msg: 'ok', expire: expect.any(Number) });
    expect(first.body.tenant_access_token).toMatch(/^t-/);
    expect(first.body).not.toHaveProperty('data');
  });

  it('refuses a wrong secret with 10014 and an unknown app with 10003', async () => {
    const fake = await startFake();
    const wrong = await postJson(`${fake.url}${TOKEN_PATH}`, { app_id: APP_ID, app_secret: 'nope' });
    expect(wrong.body.code).toBe(10014);
    const unknown = await postJson(`${fake.url}${TOKEN_PATH}`, { app_id: 'cli_other', app_secret: 'x' });
    expect(unknown.body.code).toBe(10003);

    const client = sdkClient(fake, APP_ID, 'nope');
    await expect(client.im.message.create({ params: { receive_id_type: 'open_id' }, data: { receive_id: 'ou_x', msg_type: 'text', content: textContent('x') } })).rejects.toThrow();
  });

  it('answers 99991661 without a bearer token and 99991663 for an expired one', async () => {
    const clock = manualClock();
    const fake = await startFake({ now: clock.now, tokenTtlSeconds: 7200 });
    const url = `${fake.url}/open-apis/im/v1/messages?receive_id_type=open_id`;
    const missing = await postJson(url, {});
    expect(missing).toMatchObject({ status: 400, body: { code: 99991661 } });

    const { body } = await postJson(`${fake.url}${TOKEN_PATH}`, { app_id: APP_ID, app_secret: 'sandbox-secret' });
    const auth = { authorization: `Bearer ${String(body.tenant_access_token)}` };
    const ou = addPerson(fake, '赵辉敏', '13900000002');
    const okSend = await postJson(url, { receive_id: ou, msg_type: 'text', content: textContent('hi') }, auth);
    expect(okSend.body.code).toBe(0);

    clock.advance(7200 * 1000);
    const expired = await postJson(url, { receive_id: ou, msg_type: 'text', content: textContent('hi') }, auth);
    expect(expired).toMatchObject({ status: 400, body: { code: 99991663 } });
  });

  it('hands out a new token once less than 30 minutes remain, the old one still valid', async () => {
    const clock = manualClock();
    const fake = await startFake({ now: clock.now });
    const get = async () => (await postJson(`${fake.url}${TOKEN_PATH}`, { app_id: APP_ID, app_secret: 'sandbox-secret' })).body;
    const a = await get();
    clock.advance(60 * 60 * 1000);
    expect((await get()).tenant_access_token).toBe(a.tenant_access_token);
    clock.advance(31 * 60 * 1000);
    const b = await get();
    expect(b.tenant_access_token).not.toBe(a.tenant_access_token);
    expect(b.expire).toBe(7200);
  });

  it('shows what the SDK does after expireAllTokens: it keeps its cached token until the cache entry is cleared', async () => {
    const fake = await startFake();
    const ou = addPerson(fake, '孙飞丽', '13900000003');
    const cache = new lark.DefaultCache();
    const client = new lark.Client({ appId: APP_ID, appSecret: 'sandbox-secret', domain: fake.url, logger: noopLogger, cache });
    const send = () => client.im.message.create({ params: { receive_id_type: 'open_id' }, data: { receive_id: ou, msg_type: 'text', content: textContent('x') } });
    await send();

    fake.expireAllTokens();
    expect(await failure(send())).toMatchObject({ status: 400, code: 99991663 });
    // No refresh on 99991663: the second call reuses the same dead token.
    expect(await failure(send())).toMatchObject({ code: 99991663 });
    expect(fake.requests().filter((r) => r.path === TOKEN_PATH)).toHaveLength(1);

    // Dropping the cache entry (what a wrapper must do) makes the SDK fetch a new one.
    await cache.set(lark.CTenantAccessToken, '', 1, { namespace: APP_ID });
    await expect(send()).resolves.toMatchObject({ code: 0 });
    expect(fake.requests().filter((r) => r.path === TOKEN_PATH)).toHaveLength(2);
  });
});
