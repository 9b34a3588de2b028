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
});
