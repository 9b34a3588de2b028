// The fault variants the reliability matrix needs beyond status/code/slow/drop: a bare proxy
// answer with no Feishu body, and a request that takes effect while its answer is lost.
import { describe, expect, it } from 'vitest';
import { addPerson, failure, sdkClient, startFake, textContent } from './sandbox-helpers.js';

const SEND_PATH = '/open-apis/im/v1/messages';

async function setup() {
  const fake = await startFake();
  const ou = addPerson(fake, '杜磊秀', '13900000001');
  const client = sdkClient(fake);
  const send = (uuid?: string) =>
    client.im.message.create({ params: { receive_id_type: 'open_id' }, data: { receive_id: ou, msg_type: 'text', content: textContent('x'), uuid } });
  return { fake, send };
}

describe('fault variants', () => {
  it('answers a bare text body with no Feishu code', async () => {
    const { fake, send } = await setup();
    fake.injectFault({ match: { path: SEND_PATH }, kind: 'status', status: 429, text: 'Too Many Requests', times: 1 });
    const f = await failure(send());
    expect(f.status).toBe(429);
    expect(f.code).toBeUndefined();
    expect(fake.messages()).toHaveLength(0);
    expect(fake.requests().find((r) => r.path === SEND_PATH)).toMatchObject({ status: 429 });
    await expect(send()).resolves.toMatchObject({ code: 0 });
  });

  it('drop after: the message is sent, the answer lost, and a retry with the same uuid sends nothing more', async () => {
    const { fake, send } = await setup();
    fake.injectFault({ match: { path: SEND_PATH }, kind: 'drop', after: true, times: 1 });
    await expect(send('lost-ack-1')).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(fake.messages()).toHaveLength(1);
    const again = await send('lost-ack-1');
    expect(again).toMatchObject({ code: 0, data: { message_id: fake.messages()[0].message_id } });
    expect(fake.messages()).toHaveLength(1);
    expect(fake.requests().filter((r) => r.path === SEND_PATH).map((r) => r.status)).toEqual([200, 200]);
  });

  it('takes text and after over HTTP', async () => {
    const { fake, send } = await setup();
    await fetch(`${fake.url}/_sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ match: { path: SEND_PATH }, kind: 'drop', after: true, times: 1 }),
    });
    await expect(send('http-1')).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(fake.messages()).toHaveLength(1);
    await fetch(`${fake.url}/_sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ match: { path: SEND_PATH }, kind: 'status', status: 502, text: '<html>bad gateway</html>', times: 1 }),
    });
    expect(await failure(send())).toMatchObject({ status: 502, code: undefined });
  });

  it('a token expired early is refused with 99991663 and a new one works', async () => {
    const { fake, send } = await setup();
    await expect(send()).resolves.toMatchObject({ code: 0 });
    await fetch(`${fake.url}/_sandbox/tokens/expire`, { method: 'POST' });
    expect(await failure(send())).toMatchObject({ status: 400, code: 99991663 });
  });

  it('expire: the token in use expires as the request arrives (99991663); one fetched anew works', async () => {
    const { fake, send } = await setup();
    await expect(send()).resolves.toMatchObject({ code: 0 });
    fake.injectFault({ match: { path: SEND_PATH }, kind: 'expire', times: 1 });
    expect(await failure(send())).toMatchObject({ status: 400, code: 99991663 });
    const fresh = await (await fetch(`${fake.url}/open-apis/auth/v3/tenant_access_token/internal`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ app_id: 'cli_5a4db0c0ffee0001', app_secret: 'sandbox-secret' }),
    })).json() as { tenant_access_token: string };
    const res = await fetch(`${fake.url}${SEND_PATH}?receive_id_type=open_id`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${fresh.tenant_access_token}` },
      body: JSON.stringify({ receive_id: fake.users()[0].open_id, msg_type: 'text', content: JSON.stringify({ text: 'y' }) }),
    });
    expect(((await res.json()) as { code: number }).code).toBe(0);
  });
});
