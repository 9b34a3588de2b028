// A submission that misses the callback budget and then fails: the owner was told "正在保存", so
// the card must then say that nothing was saved and how to try again — by the callback's update
// token while Feishu still takes it, else (both uses spent, e.g. by tries whose answers were lost,
// or its 30 minutes over while the job waited) by patching the message the callback came from.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KyselyPlugin } from 'kysely';
import type { AppContext } from '../../src/platform/app-context.js';
import { createIntakeHandlers, LATE_FAILURE_TEXT } from '../../src/app/intake-handlers.js';
import { addPerson, addProject, openCycle, promptCards, reportForm, startScenario, until, type Scenario, type TestPerson } from './scenario.js';

type OwnerProject = { owner: TestPerson; project: { id: number; name: string } };
let h: Scenario;
let october: number;
let first: OwnerProject;
let second: OwnerProject;

beforeAll(async () => {
  h = await startScenario('2026-10-24T10:00');
  const ownerWith = async (name: string, projectName: string): Promise<OwnerProject> => {
    const owner = await addPerson(h, name);
    return { owner, project: await addProject(h.ctx.db, { name: projectName, ownerId: owner.id }) };
  };
  first = await ownerWith('杜磊秀', '城南综合管廊');
  second = await ownerWith('范卫东', '北郊污水处理厂');
  october = await openCycle(h.ctx.db, '2026-10');
}, 60_000);

afterAll(async () => {
  await h?.stop();
});

/** Every query runs, then fails 50 ms later: well after a zero budget, like a slow, failing database. */
const failLate: KyselyPlugin = {
  transformQuery: (args) => args.node,
  transformResult: async () => {
    await new Promise((r) => setTimeout(r, 50));
    throw new Error('forced failure');
  },
};

/** The owner's prompt card for the project. */
async function ownerCard(o: OwnerProject): Promise<OwnerProject & { messageId: string }> {
  const cards = await promptCards(h, october, o.owner);
  return { ...o, messageId: cards.get(o.project.name) ?? [...cards.values()][0] };
}

/** The submission from that card, answered after a zero budget and failing. */
async function submitFailingLate(o: { eventId: string; token: string; owner: TestPerson; projectId: number; messageId: string }): Promise<unknown> {
  const failing: AppContext = { ...h.ctx, db: h.ctx.db.withPlugin(failLate) };
  return createIntakeHandlers(failing, { callbackBudgetMs: 0 }).onCardAction({
    event_id: o.eventId,
    token: o.token,
    operator: { open_id: o.owner.openId },
    action: { value: { a: 'report.submit', projectId: o.projectId, cycleId: october }, form_value: reportForm() },
    context: { open_message_id: o.messageId },
  });
}

describe('a slow submission that then fails', () => {
  it('answers "正在保存", then replaces the form with a notice that nothing was saved', async () => {
    const { owner, project, messageId } = await ownerCard(first);
    const answer = await submitFailingLate({ eventId: `late-fail-${project.id}`, token: h.fake.issueCardToken(messageId), owner, projectId: project.id, messageId });
    expect(answer).toEqual({ toast: { type: 'info', content: '已收到，正在保存' } });
    const updated = await until(() => h.fake.message(messageId)?.patches.find((x) => x.via === 'card_update'));
    expect(updated.raw_content).toContain('保存失败');
    expect(updated.raw_content).toContain(LATE_FAILURE_TEXT);
    expect(updated.raw_content).not.toContain('"a":"report.submit"');
    expect(await h.ctx.db.selectFrom('reports').select('id').where('project_id', '=', project.id).execute()).toHaveLength(0);
  });

  it('patches the card instead when its update token is spent', async () => {
    const { owner, project, messageId } = await ownerCard(second);
    const token = h.fake.issueCardToken(messageId);
    const interim = { schema: '2.0', config: { update_multi: true }, header: { title: { tag: 'plain_text', content: '处理中' } }, body: { elements: [{ tag: 'markdown', content: '处理中' }] } };
    await h.ctx.lark.delayedUpdateCard({ token, card: interim });
    await h.ctx.lark.delayedUpdateCard({ token, card: interim });
    const answer = await submitFailingLate({ eventId: `late-spent-${project.id}`, token, owner, projectId: project.id, messageId });
    expect(answer).toEqual({ toast: { type: 'info', content: '已收到，正在保存' } });
    const patched = await until(() => h.fake.message(messageId)?.patches.find((x) => x.via === 'patch'));
    expect(patched.raw_content).toContain(LATE_FAILURE_TEXT);
    expect(h.fake.message(messageId)?.raw_content).toContain(LATE_FAILURE_TEXT);
    expect(await h.ctx.db.selectFrom('reports').select('id').where('project_id', '=', project.id).execute()).toHaveLength(0);
  });
});
