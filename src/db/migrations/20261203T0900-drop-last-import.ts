// projects.last_import_id named the import that last changed a project. Nothing reads it, and
// project_changes already says the same of every change (import_id, with who and when); its
// foreign key was one of the eight checks per row of a sheet's new projects.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table projects drop column last_import_id`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table projects add column last_import_id integer references imports(id)`.execute(db);
  await sql`
    update projects p set last_import_id = c.import_id
    from (
      select distinct on (project_id) project_id, import_id from project_changes
      where import_id is not null order by project_id, id desc
    ) c
    where c.project_id = p.id`.execute(db);
}
