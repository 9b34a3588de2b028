// Opening a cycle against the simulated tenant: real SDK, real Postgres, real Redis and BullMQ
// workers. One card per (owner, project), pre-filled from the previous report, each with a
// uuid; nothing sent twice when the cycle is opened again or the workers restart mid-way.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/platform/app-context.js';
import { openCycle } from '../../src/cycle/cycle.service.js';
import { runTick } from '../../src/cycle/cycle-tick.js';
import { sendOwnerPrompts } from '../../src/cycle/prompt.service.js';
import { cycleStatus, formatCycleStatus } from '../../src/cycle/cycle-status.js';
import { messageUuid } from '../../src/platform/feishu/outbound.js';
import { NO, REPORT_FIELDS, YES } from '../../src/cards/card-actions.js';
import { makePerson, makeProject } from '../helpers/factories.js';
import { selectedValue } from '../helpers/card-select.js';
import { drained, formField, seedFixtureRegistry, shanghai, startCycleEnv, waitFor, type CycleEnv, type FixtureProject, type SentCard } from './cycle-env.js';

describe('prompt fan-out against the simulated tenant', () => {
  let env: CycleEnv;
  /** The service calls of the test; the workers run in a separate instance that can be stopped. */
  let ctx: AppContext;
  let workers: AppContext;
  let registry: FixtureProject[];
  let weekly: FixtureProject[];

  const cards = (filter: { receive_id?: string } = {}) => env.fake.messages({ ...filter, msg_type: 'interactive' });
  const sendRequests = () => env.fake.requests().filter((r) => r.method === 'POST' && r.path === '/open-apis/im/v1/messages');
  const actionProject = (card: SentCard): number | undefined => {
    const json = JSON.stringify(card);
    const m = /"a":"report\.submit","projectId":(\d+)/.exec(json);
    return m ? Number(m[1]) : undefined;
  };

  beforeAll(async () => {
    env = await startCycleEnv({ start: '2026-11-16T09:00:30' });
    ctx = env.context({ workers: false });
    workers = env.context();
    registry = await seedFixtureRegistry(env.db, env.fake);
    weekly = registry.filter((p) => p.weekly);

    // Last week's cycle, closed, with a report for the first weekly project.
    const first = weekly[0];
    const w46 = await env.db
      .insertInto('cycles')
      .values({
        kind: 'weekly',
        period_key: '2026-W46',
        open_at: shanghai('2026-11-09T09:00'),
        remind_at: shanghai('2026-11-11T15:00'),
        due_at: shanghai('2026-11-13T18:00'),
        opened_at: shanghai('2026-11-09T09:00'),
        state: 'closed',
        closed_at: shanghai('2026-11-13T18:00'),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const project = await env.db.selectFrom('projects').select(['region_id']).where('id', '=', first.id).executeTakeFirstOrThrow();
    await env.db
      .insertInto('cycle_projects')
      .values({ cycle_id: w46.id, project_id: first.id, owner_id: first.ownerId, region_id: project.region_id, status: 'reported', reported_at: shanghai('2026-11-12T10:00') })
      .execute();
    await env.db
      .insertInto('reports')
      .values({
        cycle_id: w46.id,
        project_id: first.id,
        period_investment: '1200',
        ytd_investment: '48000',
        stage: '续建',
        started: true,
        completed: false,
        registered: true,
        progress: '2号机组汽轮机扣缸完成',
        submitted_by: first.ownerId,
        submitted_at: shanghai('2026-11-12T10:00'),
        via: 'card',
        source_message_id: null,
        source_event_id: null,
      })
      .execute();
  });
  afterAll(async () => {
    await env.close();
  });

  it('sends exactly one card per (owner, project) of the weekly registry, each with a uuid', async () => {
    expect(weekly.length).toBe(7);
    // The way the scheduler does it: a tick, which enqueues the open, which fans out.
    await ctx.queues.enqueue('cycle.tick', { kind: 'weekly', step: 'open' }, { jobId: 'tick-test-open-1' });
    await waitFor('seven prompt cards', () => cards().length >= 7);
    await drained(ctx);

    const sent = cards();
    expect(sent).toHaveLength(7);
    const pairs = sent.map((m) => `${m.receive_id}/${actionProject(m.content as SentCard)}`);
    expect(new Set(pairs).size).toBe(7);
    expect(pairs.sort()).toEqual(weekly.map((p) => `${p.openId}/${p.id}`).sort());
    const cycle = await env.db.selectFrom('cycles').selectAll().where('period_key', '=', '2026-W47').executeTakeFirstOrThrow();
    for (const m of sent) {
      expect(m.uuid).toBe(messageUuid(`prompt:c${cycle.id}:p${actionProject(m.content as SentCard)}`));
    }
    const log = await env.db.selectFrom('outbound_messages').selectAll().where('cycle_id', '=', cycle.id).execute();
    expect(log).toHaveLength(7);
    expect(log.every((r) => r.kind === 'prompt' && r.state === 'sent' && r.attempts === 1)).toBe(true);
    expect(log.map((r) => r.message_id).sort()).toEqual(sent.map((m) => m.message_id).sort());
    expect(log.map((r) => r.uuid).sort()).toEqual(sent.map((m) => m.uuid).sort());
  });

  it('pre-fills the form from the previous report, investment left empty', async () => {
    const first = weekly[0];
    const [message] = cards({ receive_id: first.openId });
    const card = message.content as SentCard;
    expect(card.header.title.content).toBe('巡检司电厂2×300MW机组扩建工程');
    const investment = formField(card, REPORT_FIELDS.periodInvestment)!;
    expect(investment.default_value).toBeUndefined();
    expect((investment.placeholder as { content: string }).content).toContain('上期 1,200 万元');
    expect(selectedValue(formField(card, REPORT_FIELDS.stage))).toBe('续建');
    expect(selectedValue(formField(card, REPORT_FIELDS.started))).toBe(YES);
    expect(selectedValue(formField(card, REPORT_FIELDS.completed))).toBe(NO);
    expect(selectedValue(formField(card, REPORT_FIELDS.registered))).toBe(YES);
    expect(formField(card, REPORT_FIELDS.progress)!.default_value).toBe('2号机组汽轮机扣缸完成');
    // 48,000 of a 60,000 plan by the end of W46 (~87.4% of the year): a yellow light.
    expect(JSON.stringify(card)).toContain('48,000 / 年度计划 60,000 万元（80.0%）');
    expect(JSON.stringify(card)).toMatch(/🟢 绿灯：低于序时进度7\.\d个百分点/); // under 10 points: green under yinchuan
  });

  it('sends nothing again when the cycle is opened again, by hand or by the next tick', async () => {
    const before = sendRequests().length;
    const again = await openCycle(ctx, 'weekly', '2026-W47');
    expect(again.created).toBe(false);
    expect(again.owners).toBe(7);
    await runTick(ctx, 'weekly', 'open');
    await drained(ctx);
    expect(cards()).toHaveLength(7);
    expect(sendRequests().length).toBe(before);
    expect(await env.db.selectFrom('cycles').select('id').where('kind', '=', 'weekly').where('period_key', '=', '2026-W47').execute()).toHaveLength(1);
  });

  it('sends nothing twice when the workers stop half-way and others finish the fan-out', async () => {
    // A slow worker instance (8 sends/s), stopped after a few cards; a second one takes over.
    await workers.close();
    const slow = env.context({ larkLimits: { sendPerSecond: 8 } });
    const idle = cards().length;
    const acceptedBefore = sendRequests().filter((r) => r.status === 200 && r.code === 0).length;
    await openCycle(slow, 'monthly', '2026-11');
    await waitFor('some monthly cards', () => cards().length >= idle + 10);
    await slow.close();
    const half = cards().length - idle;
    expect(half).toBeLessThan(40);
    workers = env.context();
    await waitFor('all monthly cards', () => cards().length >= idle + 40, 30_000);
    await drained(ctx);

    const cycle = await env.db.selectFrom('cycles').selectAll().where('period_key', '=', '2026-11').executeTakeFirstOrThrow();
    const monthly = cards().filter((m) => JSON.stringify(m.content).includes(`"cycleId":${cycle.id}`));
    expect(monthly).toHaveLength(40);
    expect(new Set(monthly.map((m) => actionProject(m.content as SentCard))).size).toBe(40);
    const log = await env.db.selectFrom('outbound_messages').select(['state', 'message_id']).where('cycle_id', '=', cycle.id).execute();
    expect(log).toHaveLength(40);
    expect(log.every((r) => r.state === 'sent')).toBe(true);
    expect(new Set(log.map((r) => r.message_id)).size).toBe(40);
    // The fake de-duplicates by uuid, so the cards alone would not show a card sent again after
    // the restart: count what reached Feishu — one accepted send per card, none repeated.
    const accepted = sendRequests().filter((r) => r.status === 200 && r.code === 0);
    expect(accepted.length - acceptedBefore).toBe(40);
  });

  it('does not send twice when a send reached Feishu but its record did not', async () => {
    // As if the process died between Feishu's answer and the UPDATE: the row says pending.
    const cycle = await env.db.selectFrom('cycles').selectAll().where('period_key', '=', '2026-W47').executeTakeFirstOrThrow();
    const owner = weekly[1];
    await env.db.updateTable('outbound_messages').set({ state: 'pending', message_id: null }).where('cycle_id', '=', cycle.id).where('person_id', '=', owner.ownerId).execute();
    const ofW47 = () => cards({ receive_id: owner.openId }).filter((m) => JSON.stringify(m.content).includes(`"cycleId":${cycle.id}`));
    const before = ofW47();
    expect(before).toHaveLength(1);
    const result = await sendOwnerPrompts(ctx, cycle.id, owner.ownerId);
    // Sent again with the same uuid: Feishu answers with the first message and creates none.
    expect(result.sent).toBe(1);
    expect(ofW47()).toHaveLength(1);
    const row = await env.db.selectFrom('outbound_messages').selectAll().where('cycle_id', '=', cycle.id).where('person_id', '=', owner.ownerId).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ state: 'sent', message_id: before[0].message_id, attempts: 2 });
  });

  it('sends one consolidated card to an owner with many projects, and prompts an unmatched owner once matched', async () => {
    const busyOpenId = env.fake.addUser({ name: '陈多项', mobile: '13600000001' });
    const busy = await makePerson(env.db, { name: '陈多项', mobile: '13600000001', openId: busyOpenId });
    const busyProjects = [];
    for (let i = 1; i <= 7; i++) busyProjects.push(await makeProject(env.db, { code: `XMBUSY${i}`, name: `陈多项负责的项目${i}`, region: '高新区', frequency: 'weekly', ownerId: busy.id }));
    const late = await makePerson(env.db, { name: '林未配', mobile: '13600000002', openId: null });
    await makeProject(env.db, { code: 'XMLATE1', name: '未匹配负责人的项目', region: '南湖县', frequency: 'weekly', ownerId: late.id });
    await makeProject(env.db, { code: 'XMNOBODY', name: '无负责人的项目', region: '南湖县', frequency: 'weekly', ownerId: null });

    env.clock.set('2026-11-23T09:00:10');
    await runTick(ctx, 'weekly', 'open');
    await drained(ctx);
    const cycle = await env.db.selectFrom('cycles').selectAll().where('period_key', '=', '2026-W48').executeTakeFirstOrThrow();
    const ofCycle = () => cards().filter((m) => JSON.stringify(m.content).includes(`"cycleId":${cycle.id}`));

    const toBusy = ofCycle().filter((m) => m.receive_id === busyOpenId);
    expect(toBusy).toHaveLength(1);
    const picks = JSON.stringify(toBusy[0].content).match(/"a":"report\.pick"/g) ?? [];
    expect(picks).toHaveLength(7);
    expect(JSON.stringify(toBusy[0].content)).not.toContain('"tag":"form"');
    // The fixture's weekly owners, one card each; nothing to the unmatched or ownerless.
    expect(ofCycle()).toHaveLength(7 + 1);

    const status = await cycleStatus(env.db, cycle);
    expect(status.totals).toEqual({ covered: 16, reported: 0, late: 0, pending: 16, missed: 0, unmatchedOwners: 1, ownerless: 1 });
    expect(status.unmatchedOwners).toEqual([{ personId: late.id, name: '林未配', projects: 1 }]);
    expect(status.regions.find((r) => r.region === '南湖县')).toMatchObject({ covered: 2, unmatchedOwners: 1, ownerless: 1 });
    const text = formatCycleStatus(status, 'Asia/Shanghai').join('\n');
    expect(text).toContain('未匹配飞书账号、无法推送的负责人（匹配后自动补发）：林未配（1个项目）');

    // Matched later (the people sync fills open_id): the next open tick prompts him.
    const lateOpenId = env.fake.addUser({ name: '林未配', mobile: '13600000002' });
    await env.db.updateTable('people').set({ open_id: lateOpenId, match_status: 'matched' }).where('id', '=', late.id).execute();
    env.clock.advance(60_000);
    await runTick(ctx, 'weekly', 'open');
    await waitFor('the late prompt', () => cards({ receive_id: lateOpenId }).length === 1);
    await drained(ctx);
    await runTick(ctx, 'weekly', 'open');
    await drained(ctx);
    expect(cards({ receive_id: lateOpenId })).toHaveLength(1);
    expect((await cycleStatus(env.db, cycle)).totals.unmatchedOwners).toBe(0);
  });
});
