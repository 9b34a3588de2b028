// (a) Every callback delivered 1 to 5 times (seeded), all deliveries shuffled together and sent
// concurrently: one report, one revision, one problem per submission, and every delivery of an
// event gets the same answer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPORT_FIELDS as F } from '../../src/cards/card-actions.js';
import { addDepartment, addPerson, addProject, openCycle, promptCards, reportForm, startScenario, type Scenario, type TestPerson } from '../submission/scenario.js';
import { printFigures } from './figures.js';

const SUBJECTS = 30;
const CONCURRENCY = 8;

/** mulberry32: a small seeded generator, so a failure can be replayed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const SEED = Number(process.env.RELIABILITY_SEED ?? 20261129);

let h: Scenario;
let cycleId: number;
const subjects: { owner: TestPerson; projectId: number; messageId: string }[] = [];

beforeAll(async () => {
  h = await startScenario('2026-10-24T10:00');
  const contact = await addPerson(h, '自然资源局联络人');
  await addDepartment(h.ctx.db, '市自然资源局', contact.id);
  cycleId = await openCycle(h.ctx.db, '2026-10');
  for (let i = 0; i < SUBJECTS; i++) {
    const owner = await addPerson(h, `重复${i}`);
    const p = await addProject(h.ctx.db, { code: `XMDUP${i}`, name: `重复项目${i}`, ownerId: owner.id });
    await h.ctx.db.insertInto('cycle_projects').values({ cycle_id: cycleId, project_id: p.id, owner_id: owner.id, region_id: (await h.ctx.db.selectFrom('projects').select('region_id').where('id', '=', p.id).executeTakeFirstOrThrow()).region_id }).execute().catch(() => undefined);
    const cards = await promptCards(h, cycleId, owner);
    subjects.push({ owner, projectId: p.id, messageId: cards.get(p.name)! });
  }
}, 120_000);
afterAll(async () => {
  await h?.stop();
});

describe('(a) repeated, interleaved, concurrent deliveries', () => {
  it('store each submission, its revision and its problem once, and answer every repeat alike', async () => {
    const rnd = seeded(SEED);
    const deliveries: { subject: number; eventId: string }[] = [];
    for (const [i] of subjects.entries()) {
      const times = 1 + Math.floor(rnd() * 5);
      for (let k = 0; k < times; k++) deliveries.push({ subject: i, eventId: `dup-${SEED}-${i}` });
    }
    for (let i = deliveries.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [deliveries[i], deliveries[j]] = [deliveries[j], deliveries[i]];
    }
    const answers = new Map<number, string[]>();
    let failures = 0;
    let next = 0;
    const lane = async () => {
      while (next < deliveries.length) {
        const d = deliveries[next++];
        const s = subjects[d.subject];
        const r = await h.driver.cardAction({
          operatorOpenId: s.owner.openId,
          messageId: s.messageId,
          value: { a: 'report.submit', projectId: s.projectId, cycleId },
          formValue: reportForm({ [F.problemCategory]: '用地', [F.problemDescription]: `用地指标未落实${d.subject}`, [F.problemDepartment]: '市自然资源局' }),
          eventId: d.eventId,
        });
        if (r.status !== 200) failures++;
        const t = (r.body as { toast?: { type?: string; content?: string } }).toast;
        const toast = `${t?.type}:${t?.content}`;
        answers.set(d.subject, [...(answers.get(d.subject) ?? []), toast]);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, lane));

    const count = async (table: 'reports' | 'problems', col: 'project_id') =>
      new Map((await h.ctx.db.selectFrom(table).select([col, (eb) => eb.fn.countAll<string>().as('n')]).groupBy(col).execute()).map((r) => [r[col], Number(r.n)]));
    const reports = await count('reports', 'project_id');
    const problems = await count('problems', 'project_id');
    const revisions = new Map(
      (await h.ctx.db.selectFrom('report_revisions as rv').innerJoin('reports as r', 'r.id', 'rv.report_id').select(['r.project_id', (eb) => eb.fn.countAll<string>().as('n')]).groupBy('r.project_id').execute()).map((r) => [r.project_id, Number(r.n)]),
    );
    let lost = 0, duplicates = 0, differing = 0;
    for (const [i, s] of subjects.entries()) {
      for (const m of [reports, problems, revisions]) {
        const n = m.get(s.projectId) ?? 0;
        if (n === 0) lost++;
        if (n > 1) duplicates++;
      }
      const a = answers.get(i) ?? [];
      // On a loaded machine a repeat waiting on the first one's claim may pass the 2.5 s budget
      // and get the interim 「已收到」 (the card follows); any other answer, or two different
      // final answers, is a failure.
      const finals = new Set(a.filter((x) => !x.startsWith('info:已收到')));
      if (finals.size > 1 || (finals.size === 1 && ![...finals][0].startsWith('success:已提交'))) differing++;
    }
    const interim = [...answers.values()].flat().filter((x) => x.startsWith('info:已收到')).length;
    printFigures('(a) duplicate deliveries', { cases: deliveries.length, events: SUBJECTS, seed: SEED, failures: failures + differing, lost, duplicates, interim });
    expect(failures).toBe(0);
    expect(differing).toBe(0);
    expect(lost).toBe(0);
    expect(duplicates).toBe(0);
  }, 120_000);
});
