// A late callback answer whose update token Feishu no longer takes (both uses spent — e.g. by
// tries whose answers were lost — or its 30 minutes over while the job waited) still reaches the
// card: the job patches the message the callback came from instead (found by feishu-faults).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KyselyPlugin } from 'kysely';
import type { AppContext } from '../../src/platform/app-context.js';
import { createIntakeHandlers, LATE_FAILURE_TEXT } from '../../src/app/intake-handlers.js';
import { addPerson, addProject, openCycle, promptCards, reportForm, startScenario, until, type Scenario, type TestPerson } from '../submission/scenario.js';

let h: Scenario;
let owner: TestPerson;
let october: number;
let project: { id: number; name: string };

beforeAll(async () => {
  h = await startScenario('2026-10-24T10:00');
  owner = await addPerson(h, '杜磊秀');
  project = await addProject(h.ctx.db, { name: '城南综合管廊', ownerId: owner.id });
  october = await openCycle(h.ctx.db, '2026-10');
}, 60_000);

afterAll(async () => {
  await h?.stop();
});

describe('a late answer whose update token is spent', () => {
  it('patches the card instead', async () => {
    const cards = await promptCards(h, october, owner);
    const messageId = cards.get(project.name) ?? [...cards.values()][0];
    const token = h.fake.issueCardToken(messageId);
    const interim = { schema: '2.0', config: { update_multi: true }, header: { title: { tag: 'plain_text', content: '处理中' } }, body: { elements: [{ tag: 'markdown', content: '处理中' }] } };
    await h.ctx.lark.delayedUpdateCard({ token, card: interim });
    await h.ctx.lark.delayedUpdateCard({ token, card: interim });
    const failLate: KyselyPlugin = {
      transformQuery: (args) => args.node,
      transformResult: async () => {
        await new Promise((r) => setTimeout(r, 50));
        throw new Error('forced failure');
      },
    };
    const failing: AppContext = { ...h.ctx, db: h.ctx.db.withPlugin(failLate) };
    const handlers = createIntakeHandlers(failing, { callbackBudgetMs: 0 });
    const answer = await handlers.onCardAction({
      event_id: `late-spent-${project.id}`,
      token,
      operator: { open_id: owner.openId },
      action: { value: { a: 'report.submit', projectId: project.id, cycleId: october }, form_value: reportForm() },
      context: { open_message_id: messageId },
    });
    expect(answer).toEqual({ toast: { type: 'info', content: '已收到，正在保存' } });
    const patched = await until(() => h.fake.message(messageId)?.patches.find((x) => x.via === 'patch'));
    expect(patched.raw_content).toContain(LATE_FAILURE_TEXT);
    expect(h.fake.message(messageId)?.raw_content).toContain(LATE_FAILURE_TEXT);
  });
});
