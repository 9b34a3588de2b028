// LARK_MODE=ws: the same service receives card callbacks and messages over the SDK's long
// connection (no public URL), stores a submission once, and answers chat.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HARNESS_APP, startHarness, type Harness } from '../helpers/harness.js';
import { makePerson, makeProject } from '../helpers/factories.js';
import { openCycle } from '../../src/cycle/cycle.service.js';
import { REPORT_FIELDS as F, NO, YES } from '../../src/cards/card-actions.js';

async function until<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('long-connection mode', () => {
  let h: Harness;
  let ownerOpenId: string;
  let projectId: number;
  let cycleId: number;

  beforeAll(async () => {
    h = await startHarness({ env: { LARK_MODE: 'ws' } });
    await until(() => h.fake.webSocketClients(HARNESS_APP.appId) > 0);
    h.driver.viaWebSocket = true;
    ownerOpenId = h.fake.addUser({ name: '苏芳', mobile: '13900000014' });
    const owner = await makePerson(h.ctx.db, { name: '苏芳', mobile: '13900000014', openId: ownerOpenId });
    projectId = (await makeProject(h.ctx.db, { name: '智能制造产业园', frequency: 'monthly', ownerId: owner.id })).id;
    cycleId = (await openCycle(h.ctx, 'monthly', '2026-11')).cycle.id;
  }, 60_000);
  afterAll(async () => {
    await h?.stop();
  });

  it('answers a card callback over the connection and stores the report once', async () => {
    const card = await until(() => h.fake.messages({ receive_id: ownerOpenId, msg_type: 'interactive' })[0]);
    const form = { [F.periodInvestment]: '2,000万', [F.stage]: '续建', [F.started]: YES, [F.completed]: NO, [F.registered]: NO, [F.progress]: '厂房主体完工' };
    const r = await h.driver.cardAction({ operatorOpenId: ownerOpenId, messageId: card.message_id, value: { a: 'report.submit', projectId, cycleId }, formValue: form });
    expect(r.status).toBe(200);
    const body = r.body as { toast?: { type: string }; card?: { data: unknown } };
    expect(body.toast?.type).toBe('success');
    expect(JSON.stringify(body.card?.data)).toContain('本期完成 2,000 万元');
    await h.driver.redeliver(r.delivery);
    const reports = await h.ctx.db.selectFrom('reports').select(['period_investment', 'revision']).where('project_id', '=', projectId).execute();
    expect(reports).toEqual([{ period_investment: '2000.0000', revision: 1 }]);
  });

  it('answers a chat message received over the connection', async () => {
    const m = await h.driver.sendMessageEvent({ senderOpenId: ownerOpenId, text: '帮助', chatType: 'p2p' });
    const reply = await until(() => h.fake.messages().find((x) => x.replyTo === m.messageId));
    expect(reply.raw_content).toContain('使用说明');
  });
});
