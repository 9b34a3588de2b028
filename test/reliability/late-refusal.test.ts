// A refusal answered after the interim 「已收到，正在保存」 used to replace the clicked card with
// 「操作未完成」. When the clicker is not the card's recipient (a stranger clicking a forwarded
// card) that overwrote what the owner sees on their own card. The late refusal now goes to the
// clicker as a message of their own, and the card stays as it was.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KyselyPlugin } from 'kysely';
import type { AppContext } from '../../src/platform/app-context.js';
import { createIntakeHandlers } from '../../src/app/intake-handlers.js';
import { addPerson, addProject, openCycle, promptCards, reportForm, snapshot, startScenario, until, type Scenario, type TestPerson } from '../submission/scenario.js';

let h: Scenario;
let owner: TestPerson;
let stranger: TestPerson;
let october: number;
let project: { id: number; name: string };

beforeAll(async () => {
  h = await startScenario('2026-10-24T10:00');
  owner = await addPerson(h, '杜磊秀');
  stranger = await addPerson(h, '路人甲');
  project = await addProject(h.ctx.db, { name: '城南综合管廊', ownerId: owner.id });
  october = await openCycle(h.ctx.db, '2026-10');
}, 60_000);

afterAll(async () => {
  await h?.stop();
});

describe('a refusal answered late', () => {
  it('is told to the clicker in a message and leaves the owner’s card as it was', async () => {
    const cards = await promptCards(h, october, owner);
    const messageId = cards.get(project.name) ?? [...cards.values()][0];
    const shown = h.fake.message(messageId)!.raw_content;
    const token = h.fake.issueCardToken(messageId);
    // Every statement is slowed past the budget, so the refusal comes after the interim answer.
    const slow: KyselyPlugin = {
      transformQuery: (args) => args.node,
      transformResult: async (args) => {
        await new Promise((r) => setTimeout(r, 30));
        return args.result;
      },
    };
    const slowed: AppContext = { ...h.ctx, db: h.ctx.db.withPlugin(slow) };
    const handlers = createIntakeHandlers(slowed, { callbackBudgetMs: 0 });
    const before = await snapshot(h.ctx.db);
    const eventId = `late-refusal-${project.id}`;
    const answer = await handlers.onCardAction({
      event_id: eventId,
      token,
      operator: { open_id: stranger.openId },
      action: { value: { a: 'report.submit', projectId: project.id, cycleId: october }, form_value: reportForm() },
      context: { open_message_id: messageId },
    });
    expect(answer).toEqual({ toast: { type: 'info', content: '已收到，正在保存' } });

    const told = await until(() => h.fake.messages({ receive_id: stranger.openId, msg_type: 'text' }).find((m) => m.raw_content.includes('操作未完成')), 20_000);
    expect(told.raw_content).toMatch(/无权|不是|只有|负责人/);
    // The message is in before the job that sent it is marked done: wait for that, don't race it.
    const outbound = h.ctx.queues.queue('outbound');
    await until(async () => (await (await outbound.getJob(`late-answer-${eventId}`))?.isCompleted()) ?? false, 20_000);
    expect(await outbound.getJob(`card-update-${eventId}`)).toBeUndefined();
    const card = h.fake.message(messageId)!;
    expect(card.raw_content).toBe(shown);
    expect(card.patches).toEqual([]);
    expect(await snapshot(h.ctx.db)).toEqual(before);
  });
});
