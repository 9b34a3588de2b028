import { describe, expect, it } from 'vitest';
import { addPerson, failure, manualClock, sdkClient, sharedCard, startFake } from './sandbox-helpers.js';

describe('im/v1/images', () => {
  it('stores an upload and the SDK unwraps it to {image_key}', async () => {
    const fake = await startFake();
    const client = sdkClient(fake);
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    const res = await client.im.image.create({ data: { image_type: 'message', image: png } });
    expect(res?.image_key).toMatch(/^img_v3_/);
    expect(fake.uploadedImages()).toEqual([expect.objectContaining({ image_key: res?.image_key, bytes: png.length, image_type: 'message' })]);
  });

  it('refuses an empty image and one over 10 MB', async () => {
    const fake = await startFake();
    const client = sdkClient(fake);
    expect(await failure(client.im.image.create({ data: { image_type: 'message', image: Buffer.alloc(0) } }))).toMatchObject({ status: 400, code: 234010 });
    const huge = Buffer.alloc(10 * 1024 * 1024 + 1, 1);
    expect(await failure(client.im.image.create({ data: { image_type: 'message', image: huge } }))).toMatchObject({ status: 400, code: 234006 });
    expect(fake.uploadedImages()).toHaveLength(0);
  });
});

describe('contact/v3/users/batch_get_id', () => {
  it('matches +86 and bare mobiles and emails, leaving unmatched entries without user_id', async () => {
    const fake = await startFake({ unmatchedMobiles: ['13800009999'] });
    const ou = addPerson(fake, '王建国', '13800001001', 'wangjg@example.gov.cn');
    addPerson(fake, '不可见', '+86 138 0000 9999');
    const client = sdkClient(fake);
    const res = await client.contact.user.batchGetId({
      params: { user_id_type: 'open_id' },
      data: { mobiles: ['+8613800001001', '13800009999', '13700000000'], emails: ['WangJG@example.gov.cn', 'nobody@example.gov.cn'] },
    });
    expect(res.data?.user_list).toEqual([
      expect.objectContaining({ mobile: '+8613800001001', user_id: ou }),
      { mobile: '13800009999' },
      { mobile: '13700000000' },
      expect.objectContaining({ email: 'WangJG@example.gov.cn', user_id: ou }),
      { email: 'nobody@example.gov.cn' },
    ]);
  });

  it('hides resigned users unless include_resigned, and leaveOut works after the fact', async () => {
    const fake = await startFake();
    fake.addUser({ name: '已离职', mobile: '13900000011', resigned: true });
    const visible = addPerson(fake, '在职', '13900000012');
    fake.leaveOut('13900000012');
    const client = sdkClient(fake);
    const lookup = (include_resigned: boolean) =>
      client.contact.user.batchGetId({ params: { user_id_type: 'open_id' }, data: { mobiles: ['13900000011', '13900000012'], include_resigned } });
    expect((await lookup(false)).data?.user_list?.every((u) => !u.user_id)).toBe(true);
    expect((await lookup(true)).data?.user_list?.[0]?.user_id).toMatch(/^ou_/);
    expect(visible).toMatch(/^ou_/);
  });

  it('refuses more than 50 mobiles with 99992402', async () => {
    const fake = await startFake();
    const client = sdkClient(fake);
    const mobiles = Array.from({ length: 51 }, (_, i) => `1390000${String(i).padStart(4, '0')}`);
    const refused = await failure(client.contact.user.batchGetId({ params: { user_id_type: 'open_id' }, data: { mobiles } }));
    expect(refused).toMatchObject({ status: 400, code: 99992402 });
  });
});

describe('interactive/v1/card/update (delayed update)', () => {
  async function cardWithToken(now: () => number) {
    const fake = await startFake({ now });
    const ou = addPerson(fake, '杜磊秀', '13900000001');
    const client = sdkClient(fake);
    const sent = await client.im.message.create({
      params: { receive_id_type: 'open_id' },
      data: { receive_id: ou, msg_type: 'interactive', content: JSON.stringify(sharedCard('待填报')) },
    });
    const messageId = sent.data?.message_id ?? '';
    return { fake, client, messageId, token: fake.issueCardToken(messageId) };
  }

  const update = (client: ReturnType<typeof sdkClient>, token: string, title: string) =>
    client.request({ method: 'POST', url: '/open-apis/interactive/v1/card/update', data: { token, card: sharedCard(title) } });

  it('accepts a token twice, then refuses it', async () => {
    const clock = manualClock();
    const { fake, client, messageId, token } = await cardWithToken(clock.now);
    await expect(update(client, token, '处理中')).resolves.toMatchObject({ code: 0 });
    await expect(update(client, token, '已提交')).resolves.toMatchObject({ code: 0 });
    expect(await failure(update(client, token, '第三次'))).toMatchObject({ status: 400, code: 300100 });
    const message = fake.message(messageId);
    expect(message?.content).toEqual(sharedCard('已提交'));
    expect(message?.patches.map((p) => p.via)).toEqual(['card_update', 'card_update']);
  });

  it('expires a token after 30 minutes', async () => {
    const clock = manualClock();
    const { client, token } = await cardWithToken(clock.now);
    clock.advance(29 * 60 * 1000);
    await expect(update(client, token, 'ok')).resolves.toMatchObject({ code: 0 });
    clock.advance(60 * 1000);
    expect(await failure(update(client, token, 'late'))).toMatchObject({ status: 400, code: 300100 });
  });

  it('refuses an unknown token', async () => {
    const fake = await startFake();
    const client = sdkClient(fake);
    expect(await failure(update(client, 'c-unknown', 'x'))).toMatchObject({ code: 300100 });
    expect(fake.messages()).toHaveLength(0);
  });
});
