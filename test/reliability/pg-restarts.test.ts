// (c) PostgreSQL restarted several times during a stream of card submissions, against a private
// instance: the process survives; every submission is either stored and answered 已提交, or
// answered 请稍后重试 and not stored (an interim 已收到 is followed by the card saying what
// happened); every answer that said stored is in the database; retried later, all are stored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import type { TestDatabase } from '../helpers/test-db.js';
import { addPerson, addProject, openCycle, promptCards, reportForm, TestClock, shanghai, type TestPerson } from '../submission/scenario.js';
import { startPrivatePostgres, type PrivatePostgres } from './private-services.js';
import { printFigures } from './figures.js';

const SUBMISSIONS = 48;
const RESTARTS = 3;

let pgp: PrivatePostgres;
let h: Harness;
let cycleId: number;
const subjects: { owner: TestPerson; projectId: number; messageId: string }[] = [];

beforeAll(async () => {
  pgp = await startPrivatePostgres();
  const url = await pgp.createDatabase('reliability_c');
  const db = createDb(url, { max: 10 });
  await migrateToLatest(db);
  const database: TestDatabase = { db, url, name: 'reliability_c', drop: () => db.destroy() };
  const clock = new TestClock(shanghai('2026-10-24T10:00'));
  h = await startHarness({ database, now: clock.now });
  cycleId = await openCycle(db, '2026-10');
  for (let i = 0; i < SUBMISSIONS; i++) {
    const owner = await addPerson(h, `重启${i}`);
    const p = await addProject(db, { code: `XMPGR${i}`, name: `重启项目${i}`, ownerId: owner.id });
    await db.insertInto('cycle_projects').values({ cycle_id: cycleId, project_id: p.id, owner_id: owner.id, region_id: (await db.selectFrom('projects').select('region_id').where('id', '=', p.id).executeTakeFirstOrThrow()).region_id, status: 'pending' }).execute().catch(() => undefined);
    const cards = await promptCards(h, cycleId, owner);
    subjects.push({ owner, projectId: p.id, messageId: cards.get(p.name)! });
  }
}, 150_000);

afterAll(async () => {
  try {
    await h?.stop();
  } finally {
    await h?.database.drop().catch(() => undefined);
    await pgp?.stop();
  }
});

type Body = { toast?: { content?: string } };

describe('(c) Postgres restarts under a stream of submissions', () => {
  it('answers each one truthfully and stores exactly what it said it stored', async () => {
    const submit = (s: (typeof subjects)[number]) =>
      h.driver
        .cardAction({ operatorOpenId: s.owner.openId, messageId: s.messageId, value: { a: 'report.submit', projectId: s.projectId, cycleId }, formValue: reportForm() })
        .then((r) => ({ status: r.status, text: (r.body as Body).toast?.content ?? '' }))
        .catch((e: Error) => ({ status: 0, text: `transport: ${e.message}` }));

    const answers: { status: number; text: string }[] = new Array(SUBMISSIONS);
    const restartAt = new Set(Array.from({ length: RESTARTS }, (_, k) => Math.floor(((k + 1) * SUBMISSIONS) / (RESTARTS + 1))));
    // One restart at a time: a restart asked for while one is under way follows it.
    let restarts: Promise<void> = Promise.resolve();
    let next = 0;
    const lane = async () => {
      while (next < SUBMISSIONS) {
        const i = next++;
        if (restartAt.has(i)) restarts = restarts.then(() => pgp.restart());
        answers[i] = await submit(subjects[i]);
      }
    };
    await Promise.all([lane(), lane(), lane(), lane()]);
    await restarts;

    // Wait for the pool to be able to serve again before counting.
    const deadline = Date.now() + 30_000;
    while ((await fetch(`http://127.0.0.1:${h.service.port}/healthz`)).status !== 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect((await fetch(`http://127.0.0.1:${h.service.port}/healthz`)).status).toBe(200);

    let stored = 0, refused = 0, interim = 0, other = 0, lost = 0, duplicates = 0, storedAfterRefusal = 0;
    for (const [i, s] of subjects.entries()) {
      const n = Number((await h.ctx.db.selectFrom('reports').select((eb) => eb.fn.countAll<string>().as('n')).where('cycle_id', '=', cycleId).where('project_id', '=', s.projectId).executeTakeFirstOrThrow()).n);
      if (n > 1) duplicates++;
      const a = answers[i];
      if (a.status === 200 && a.text === '已提交') {
        stored++;
        if (n !== 1) lost++;
      } else if (a.status === 200 && a.text.includes('请稍后重试')) {
        refused++;
        if (n !== 0) storedAfterRefusal++;
      } else if (a.status === 200 && a.text.startsWith('已收到')) {
        interim++;
      } else other++;
    }
    // Everything refused is taken when sent again: the process and its pool are whole.
    let retriedOk = 0;
    for (const [i, s] of subjects.entries()) {
      if (!answers[i].text.includes('请稍后重试')) continue;
      const again = await submit(s);
      if (again.text === '已提交') retriedOk++;
    }
    if (other > 0) console.log(answers.slice(0, 3));
    printFigures('(c) postgres restarts', { cases: SUBMISSIONS, restarts: RESTARTS, failures: other + storedAfterRefusal, lost, duplicates, stored, refused, interim, retriedOk });
    expect(other).toBe(0);
    expect(lost).toBe(0);
    expect(duplicates).toBe(0);
    expect(storedAfterRefusal).toBe(0);
    expect(retriedOk).toBe(refused);
  }, 150_000);
});
