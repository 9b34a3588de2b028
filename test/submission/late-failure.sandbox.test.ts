// A submission that misses the callback budget and then fails: the owner was told "正在保存", so
// the card must then say that nothing was saved and how to try again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KyselyPlugin } from 'kysely';
import type { AppContext } from '../../src/platform/app-context.js';
import { createIntakeHandlers, LATE_FAILURE_TEXT } from '../../src/app/intake-handlers.js';
import { addPerson, addProject, openCycle, promptCards, reportForm, startScenario, until, type Scenario, type TestPerson } from './scenario.js';

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

describe('a slow submission that then fails', () => {
  it('answers "正在保存", then replaces the form with a notice that nothing was saved', async () => {
    const cards = await promptCards(h, october, owner);
    const messageId = cards.get(project.name) ?? [...cards.values()][0];
    // Every query runs, then fails 50 ms later: well after the zero budget, like a slow, failing database.
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
      event_id: `late-fail-${project.id}`,
      token: h.fake.issueCardToken(messageId),
      operator: { open_id: owner.openId },
      action: { value: { a: 'report.submit', projectId: project.id, cycleId: october }, form_value: reportForm() },
      context: { open_message_id: messageId },
    });
    expect(answer).toEqual({ toast: { type: 'info', content: '已收到，正在保存' } });
    const updated = await until(() => h.fake.message(messageId)?.patches.find((x) => x.via === 'card_update'));
    expect(updated.raw_content).toContain('保存失败');
    expect(updated.raw_content).toContain(LATE_FAILURE_TEXT);
    expect(updated.raw_content).not.toContain('"a":"report.submit"');
    expect(await h.ctx.db.selectFrom('reports').select('id').where('project_id', '=', project.id).execute()).toHaveLength(0);
  });
});
