// What an owner's prompt costs the database does not grow with the owner's cards: the cycle,
// owner and projects come in one statement, the card data in a fixed few, and the outbound log is
// claimed and written for all of the owner's cards together. (When each card cost its own four
// statements, a 10,000-card fan-out sent some 58,000; the pool and Postgres bounded the rate.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import { startHarness, type Harness } from '../helpers/harness.js';
import { makePerson, makeProject } from '../helpers/factories.js';
import { createCycleWithCoverage } from '../../src/cycle/cycle.repository.js';
import { sendOwnerPrompts } from '../../src/cycle/prompt.service.js';

/** Counts the statements run through a Kysely instance it is plugged into. */
class StatementCounter implements KyselyPlugin {
  count = 0;
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    this.count++;
    return args.result;
  }
}

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ workers: false, now: () => new Date('2026-11-20T02:00:00Z') });
}, 60_000);
afterAll(async () => {
  await h?.stop();
});

describe('an owner’s prompt and the database', () => {
  it('costs the same statements for five cards as for one, and sends each card once', async () => {
    const owner = async (name: string, mobile: string, projects: number) => {
      const openId = h.fake.addUser({ name, mobile });
      const person = await makePerson(h.ctx.db, { name, mobile, openId });
      for (let i = 0; i < projects; i++) await makeProject(h.ctx.db, { name: `${name}的项目${i}`, frequency: 'monthly', ownerId: person.id });
      return { ...person, openId };
    };
    const one = await owner('单项目', '13900003001', 1);
    const five = await owner('五项目', '13900003002', 5);
    const at = new Date('2026-11-20T01:00:00Z');
    const { cycle } = await createCycleWithCoverage(h.ctx.db, { kind: 'monthly', periodKey: '2026-11', openAt: at, remindAt: at, dueAt: new Date('2026-11-25T10:00:00Z'), openedAt: at });

    const counted = async (ownerId: number) => {
      const counter = new StatementCounter();
      const result = await sendOwnerPrompts({ ...h.ctx, db: h.ctx.db.withPlugin(counter) }, cycle.id, ownerId);
      return { result, statements: counter.count };
    };
    const a = await counted(one.id);
    const b = await counted(five.id);
    expect(a.result).toEqual({ sent: 1, alreadySent: 0 });
    expect(b.result).toEqual({ sent: 5, alreadySent: 0 });
    expect(b.statements).toBe(a.statements);
    expect(h.fake.messages({ receive_id: one.openId })).toHaveLength(1);
    expect(h.fake.messages({ receive_id: five.openId })).toHaveLength(5);

    // Again (a retried job): everything is found sent in the log; nothing goes out twice.
    const again = await counted(five.id);
    expect(again.result).toEqual({ sent: 0, alreadySent: 5 });
    expect(h.fake.messages({ receive_id: five.openId })).toHaveLength(5);
    const log = await h.ctx.db.selectFrom('outbound_messages').select(['state', 'attempts', 'message_id']).where('person_id', '=', five.id).execute();
    expect(log).toHaveLength(5);
    expect(log.every((r) => r.state === 'sent' && r.attempts === 1 && r.message_id)).toBe(true);
  });
});
