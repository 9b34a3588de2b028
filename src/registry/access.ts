// Who someone is and how they relate to a project (owner, 联络员 delegate, admin): the registry's
// answer that filing, the problem ledger and chat all ask. Works on the pool or inside a transaction.
import type { Kysely } from 'kysely';
import type { Database, Person } from '../db/schema.js';

type Q = Kysely<Database>;

export async function findPersonByOpenId(db: Q, openId: string): Promise<Person | undefined> {
  if (!openId) return undefined;
  return db.selectFrom('people').selectAll().where('open_id', '=', openId).executeTakeFirst();
}

export async function findPerson(db: Q, personId: number): Promise<Person | undefined> {
  return db.selectFrom('people').selectAll().where('id', '=', personId).executeTakeFirst();
}

/** How a person relates to a project. Admins (person_grants role admin) may act for every project. */
export type Access = { owner: boolean; delegate: boolean; admin: boolean };
export const canFile = (a: Access): boolean => a.owner || a.delegate || a.admin;

export async function isAdmin(db: Q, personId: number): Promise<boolean> {
  const row = await db.selectFrom('person_grants').select('id').where('person_id', '=', personId).where('role', '=', 'admin').executeTakeFirst();
  return row !== undefined;
}

export async function accessTo(db: Q, personId: number, projectId: number): Promise<Access> {
  const [project, grants] = await Promise.all([
    db.selectFrom('projects').select('owner_id').where('id', '=', projectId).executeTakeFirst(),
    db
      .selectFrom('person_grants')
      .select(['role', 'project_id'])
      .where('person_id', '=', personId)
      .where((eb) => eb.or([eb('role', '=', 'admin'), eb.and([eb('role', '=', 'delegate'), eb('project_id', '=', projectId)])]))
      .execute(),
  ]);
  return {
    owner: project !== undefined && project.owner_id === personId,
    delegate: grants.some((g) => g.role === 'delegate'),
    admin: grants.some((g) => g.role === 'admin'),
  };
}

/** Projects a person files for: owned, or delegated to them. */
export async function filableProjectIds(db: Q, personId: number): Promise<number[]> {
  const rows = await db
    .selectFrom('projects')
    .select('id')
    .where('active', '=', true)
    .where((eb) =>
      eb.or([
        eb('owner_id', '=', personId),
        eb('id', 'in', eb.selectFrom('person_grants').select('project_id').where('person_id', '=', personId).where('role', '=', 'delegate').where('project_id', 'is not', null).$narrowType<{ project_id: number }>()),
      ]),
    )
    .orderBy('code')
    .execute();
  return rows.map((r) => r.id);
}
