// Support shared by the benchmarks: where PostgreSQL and Redis are, a throwaway database per run,
// and a cleanup that runs every step. Not a benchmark itself
// (run-all.ts lists the benches by name).
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * An admin connection that may create databases: BENCH_DATABASE_URL, else TEST_DATABASE_URL
 * (the tests' override), else the local Postgres.
 */
export function benchAdminUrl(): string {
  return process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

/** BENCH_REDIS_URL, else the local Redis. */
export function benchRedisUrl(): string {
  return process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
}

/** Runs one statement on its own connection to `url`. */
export async function adminQuery(url: string, text: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

export type BenchDatabase = {
  /** `dispatch_bench_<hex>`. */
  name: string;
  /** `adminUrl` with the new database as its path. */
  url: string;
  /**
   * Drops the database `with (force)`. Destroy every pool on it first: dropping it under a pool's
   * idle connections ends them, and the pool's error crashes the process.
   */
  drop: () => Promise<void>;
};

/** Creates a uniquely named, empty database next to `adminUrl`'s. */
export async function createBenchDatabase(adminUrl: string): Promise<BenchDatabase> {
  const name = `dispatch_bench_${randomBytes(6).toString('hex')}`;
  await adminQuery(adminUrl, `create database "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => adminQuery(adminUrl, `drop database if exists "${name}" with (force)`),
  };
}

/**
 * Runs every step in order even if some fail; reports the failures (prefixed with `label`) on
 * stderr without hiding the bench's own error. Order matters: stop services and workers and
 * destroy pools before dropping the database and deleting Redis keys.
 */
export async function cleanup(label: string, steps: (() => Promise<unknown>)[]): Promise<void> {
  for (const step of steps) {
    try {
      await step();
    } catch (e) {
      console.error(`${label} cleanup:`, e instanceof Error ? e.message : e);
    }
  }
}

/**
 * A clock that starts at `startIso` and then runs at real speed, so a bench sees the same place in
 * its cycle (after the open, before the due time) on whatever day it is run.
 */
export function benchClock(startIso: string): () => Date {
  const start = new Date(startIso).getTime();
  if (Number.isNaN(start)) throw new Error(`benchClock: not a date: ${startIso}`);
  const t0 = performance.now();
  return () => new Date(start + Math.round(performance.now() - t0));
}
