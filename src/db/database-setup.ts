// What a person needs to hear when PostgreSQL cannot be used, and creating the application's
// database when it does not exist yet (`migrate` on a fresh server).
import pg from 'pg';

/** The URL as it may be shown: the password replaced. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(an unparsable DATABASE_URL)';
  }
}

function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, '')) || 'postgres';
}

type PgError = Error & { code?: string; errors?: Error[] };

/** A connection or authentication failure worded for a person: what failed, where, and what to check. */
export function describeDatabaseError(e: unknown, url: string): string | undefined {
  const err = e as PgError;
  // Node reports a refused dual-stack connection as an AggregateError whose parts carry the code.
  const code = err.code ?? err.errors?.map((x) => (x as PgError).code).find(Boolean);
  const where = redactUrl(url);
  switch (code) {
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EHOSTUNREACH':
    case 'ETIMEDOUT':
    case 'EAI_AGAIN':
      return `PostgreSQL is not reachable at ${where} (${code}). Check that PostgreSQL is running and listening there `
        + '(e.g. `pg_isready -h HOST -p PORT`, `docker compose ps`), and that DATABASE_URL names the right host and port.';
    case '3D000':
      return `PostgreSQL at ${where} has no database "${databaseName(url)}". Create it with \`npm run cli -- migrate\` `
        + `(which creates a missing database) or \`createdb ${databaseName(url)}\`.`;
    case '28P01':
    case '28000':
      return `PostgreSQL at ${where} refused the login (${code}: ${err.message}). Check the user and password in DATABASE_URL and pg_hba.conf.`;
    default:
      return undefined;
  }
}

/** Wraps a failure of the first database use so it names PostgreSQL and the (redacted) URL. */
export function explainDatabaseError(e: unknown, url: string): Error {
  const text = describeDatabaseError(e, url);
  if (!text) return e as Error;
  return new Error(text, { cause: e });
}

/**
 * Creates the database DATABASE_URL names when the server has no such database, by connecting
 * to the server's `postgres` database as the same user. Returns whether it created one.
 */
export async function ensureDatabaseExists(url: string): Promise<boolean> {
  const probe = new pg.Client({ connectionString: url });
  try {
    await probe.connect();
    return false;
  } catch (e) {
    if ((e as PgError).code !== '3D000') throw explainDatabaseError(e, url);
  } finally {
    await probe.end().catch(() => undefined);
  }
  const adminUrl = new URL(url);
  adminUrl.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: adminUrl.toString() });
  try {
    await admin.connect();
    await admin.query(`create database ${pg.escapeIdentifier(databaseName(url))}`);
  } catch (e) {
    throw explainDatabaseError(e, adminUrl.toString());
  } finally {
    await admin.end().catch(() => undefined);
  }
  return true;
}
