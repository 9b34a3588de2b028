import { describe, expect, it } from 'vitest';
import { addPerson, failure, manualClock, sdkClient, sharedCard, startFake, textContent } from './sandbox-helpers.js';

describe('im/v1/messages create and reply', () => {
  it('sends once for a repeated uuid and answers with the same message_id', async () => {
    const fake = await startFake();
    const ou = addPerson(fake, '杜磊秀', '13900000001');
    const client = sdkClient(fake);
    const send = () =>
      client.im.message.create({
        params: { receive_id_type: 'open_id' },
        data: { receive_id: ou, msg_type: 'text', content: textContent('请填报本周进度'), uuid: 'prompt-2026-W10-XM001' },
      });
    const first = await send();
    const second = await send();
    expect(first.code).toBe(0);
    expect(first.data?.message_id).toMatch(/^om_/);
    expect(second.data?.message_id).toBe(first.data?.message_id);
    expect(fake.messages()).toHaveLength(1);
    expect(fake.messages()[0]).toMatchObject({ receive_id: ou, open_id: ou, uuid: 'prompt-2026-W10-XM001', content: { text: '请填报本周进度' } });
  });

  it('forgets a uuid after one hour', async () => {
    const clock = manualClock();
    const fake = await startFake({ now: clock.now });
    const ou = addPerson(fake, '杜磊秀', '13900000001');
    const client = sdkClient(fake);
    const send = () =>
      client.im.message.create({ params: { receive_id_type: 'open_id' }, data: { receive_id: ou, msg_type: 'text', content: textContent('x'), uuid: 'u-1' } });
    const a = await send();
    clock.advance(60 * 60 * 1000);
    const b = await send();
    expect(b.data?.message_id).not.toBe(a.data?.message_id);
    expect(fake.messages()).toHaveLength(2);
  });

  it('resolves receive_id_type email and chat_id, and returns the Feishu message shape', async () => {
    const fake = await startFake();
    const ou = addPerson(fake, '周敏', '13800002002', 'zhoumin@example.gov.cn');
    const chatId = fake.addChat({ name: '天城县调度群' });
    const client = sdkClient(fake);
    const byEmail = await client.im.message.create({
      params: { receive_id_type: 'email' },
      data: { receive_id: 'ZhouMin@example.gov.cn', msg_type: 'text', content: textContent('hello') },
    });
    expect(fake.message(byEmail.data?.message_id ?? '')).toMatchObject({ open_id: ou, receive_id_type: 'email' });
    const toChat = await client.im.message.create({
      params: { receive_id_type: 'chat_id' },
      data: { receive_id: chatId, msg_type: 'interactive', content: JSON.stringify(sharedCard('擂台')) },
    });
    expect(toChat.data).toMatchObject({
      chat_id: chatId,
      msg_type: 'interactive',
      deleted: false,
      updated: false,
      sender: { id: 'cli_5a4db0c0ffee0001', id_type: 'app_id', sender_type: 'app' },
      body: { content: JSON.stringify(sharedCard('擂台')) },
    });
    expect(fake.messages({ receive_id: chatId })).toHaveLength(1);
  });

  it('refuses unknown users (230013), unknown chats (230002) and a missing receive_id_type (99992402)', async () => {
    const fake = await startFake();
    const client = sdkClient(fake);
    const toUser = client.im.message.create({ params: { receive_id_type: 'open_id' }, data: { receive_id: 'ou_nobody', msg_type: 'text', content: textContent('x') } });
    expect(await failure(toUser)).toMatchObject({ status: 400, code: 230013 });
    const toChat = client.im.message.create({ params: { receive_id_type: 'chat_id' }, data: { receive_id: 'oc_nowhere', msg_type: 'text', content: textContent('x') } });
    expect(await failure(toChat)).toMatchObject({ status: 400, code: 230002 });
    const noType = client.request({ method: 'POST', url: '/open-apis/im/v1/messages', data: { receive_id: 'x', msg_type: 'text', content: '{}' } });
    expect(await failure(noType)).toMatchObject({ status: 400, code: 99992402 });
    expect(fake.messages()).toHaveLength(0);
  });

  it('validates content: JSON string, 30 KB card limit (230025)', async () => {
    const fake = await startFake();
    const ou = addPerson(fake, '杜磊秀', '13900000001');
    const client = sdkClient(fake);
    const send = (content: string, msg_type = 'interactive') =>
      client.im.message.create({ params: { receive_id_type: 'open_id' }, data: { receive_id: ou, msg_type, content } });
    expect(await failure(send('{"schema":"2.0",'))).toMatchObject({ status: 400, code: 230001 });
    const big = JSON.stringify(sharedCard('x'.repeat(31 * 1024)));
    expect(await failure(send(big))).toMatchObject({ status: 400, code: 230025 });
    // The same size is fine as text (150 KB limit).
    await expect(send(textContent('x'.repeat(31 * 1024)), 'text')).resolves.toMatchObject({ code: 0 });
  });

  it('threads a reply under its parent in the same chat', async () => {
    const fake = await startFake();
    const ou = addPerson(fake, '杜磊秀', '13900000001');
    const client = sdkClient(fake);
    const parent = await client.im.message.create({ params: { receive_id_type: 'open_id' }, data: { receive_id: ou, msg_type: 'text', content: textContent('q') } });
    const parentId = parent.data?.message_id ?? '';
    const reply = await client.im.message.reply({ path: { message_id: parentId }, data: { msg_type: 'text', content: textContent('a'), uuid: 'r-1' } });
    expect(reply.data).toMatchObject({ parent_id: parentId, root_id: parentId, chat_id: parent.data?.chat_id });
    expect(fake.message(reply.data?.message_id ?? '')).toMatchObject({ replyTo: parentId, open_id: ou });
  });
});

describe('im/v1/messages patch', () => {
  async function sentCard(card: Record<string, unknown>, now?: () => number) {
    const fake = await startFake(now ? { now } : {});
    const ou = addPerson(fake, '杜磊秀', '13900000001');
    const client = sdkClient(fake);
    const sent = await client.im.message.create({ params: { receive_id_type: 'open_id' }, data: { receive_id: ou, msg_type: 'interactive', content: JSON.stringify(card) } });
    return { fake, client, messageId: sent.data?.message_id ?? '' };
  }

  it('replaces a shared card and keeps the history', async () => {
    const { fake, client, messageId } = await sentCard(sharedCard('待填报'));
    await client.im.message.patch({ path: { message_id: messageId }, data: { content: JSON.stringify(sharedCard('已填报')) } });
    const message = fake.message(messageId);
    expect(message?.content).toEqual(sharedCard('已填报'));
    expect(message?.patches).toHaveLength(1);
    expect(message?.patches[0]).toMatchObject({ via: 'patch', content: sharedCard('已填报') });
  });

  it('refuses when update_multi is missing before or after the update', async () => {
    const notShared = { schema: '2.0', body: { elements: [] } };
    const before = await sentCard(notShared);
    const r1 = before.client.im.message.patch({ path: { message_id: before.messageId }, data: { content: JSON.stringify(sharedCard('x')) } });
    expect(await failure(r1)).toMatchObject({ status: 400, code: 230099 });

    const after = await sentCard(sharedCard('x'));
    const r2 = after.client.im.message.patch({ path: { message_id: after.messageId }, data: { content: JSON.stringify(notShared) } });
    expect(await failure(r2)).toMatchObject({ status: 400, code: 230099 });
    expect(after.fake.message(after.messageId)?.patches).toHaveLength(0);
  });

  it('refuses text messages and cards older than 14 days (230031)', async () => {
    const clock = manualClock();
    const { fake, messageId } = await sentCard(sharedCard('x'), clock.now);
    clock.advance(14 * 24 * 3600 * 1000 + 1000);
    // A fresh client: the old one's cached token expired on the fake's clock long ago.
    const client = sdkClient(fake);
    const late = client.im.message.patch({ path: { message_id: messageId }, data: { content: JSON.stringify(sharedCard('y')) } });
    expect(await failure(late)).toMatchObject({ status: 400, code: 230031 });

    const ou = fake.users()[0]?.open_id ?? '';
    const text = await client.im.message.create({ params: { receive_id_type: 'open_id' }, data: { receive_id: ou, msg_type: 'text', content: textContent('t') } });
    const patchText = client.im.message.patch({ path: { message_id: text.data?.message_id ?? '' }, data: { content: JSON.stringify(sharedCard('y')) } });
    expect(await failure(patchText)).toMatchObject({ status: 400, code: 230001 });
  });
});

describe('im/v1/messages urgent_app', () => {
  it('records the urgent and lists unknown ids as invalid', async () => {
    const fake = await startFake();
    const ou = addPerson(fake, '周敏', '13800002002');
    const client = sdkClient(fake);
    const sent = await client.im.message.create({ params: { receive_id_type: 'open_id' }, data: { receive_id: ou, msg_type: 'text', content: textContent('加急') } });
    const messageId = sent.data?.message_id ?? '';
    const res = await client.im.message.urgentApp({
      path: { message_id: messageId },
      params: { user_id_type: 'open_id' },
      data: { user_id_list: [ou, 'ou_ghost'] },
    });
    expect(res.data?.invalid_user_id_list).toEqual(['ou_ghost']);
    expect(fake.message(messageId)?.urgent).toEqual([expect.objectContaining({ kind: 'app', user_ids: [ou] })]);
  });
});
