// Where a bench's database time goes, statement by statement: each query this process sends is
// timed at the pg driver (call to answer: the round trip, the server's work and the driver's
// parsing of the rows) with the size of its parameters, under the label of the part running.
// Postgres's own view of the same statements comes from its log: `serverDurations` reads the
// `duration:` lines that `log_min_duration_statement = 0` (set on the bench database only) writes
// for this process's backends, which wall-clock contention on a shared machine moves much less.
import { existsSync, readFileSync } from 'node:fs';
import pg from 'pg';

export type TimedStatement = {
  part: string; text: string; ms: number; paramBytes: number; pid: number | undefined; params: unknown[];
  /** The backend's CPU time over the statement (Linux, server on this host; 10 ms ticks), else null. */
  backendCpuMs: number | null;
};

/** CPU time (user + system) of a process on this host in ms, or null when /proc cannot tell. */
export function processCpuMs(pid: number): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}

let part = '-';
const statements: TimedStatement[] = [];
const pids = new Set<number>();
let installed = false;

/** Statements from now on are labelled `name` (the benches run their parts one after another). */
export function timingPart(name: string): void {
  part = name;
}

export function installStatementTimer(): { statements: TimedStatement[]; pids: Set<number> } {
  if (!installed) {
    installed = true;
    // eslint-disable-next-line @typescript-eslint/unbound-method -- re-bound with apply() below
    const originalQuery = pg.Client.prototype.query;
    pg.Client.prototype.query = function timedQuery(this: pg.Client & { processID?: number }, ...args: unknown[]) {
      // (text, values), or a config object: how the prepared shaped statements go (database.ts).
      const config = typeof args[0] === 'object' && args[0] !== null ? (args[0] as { text?: string; values?: unknown[] }) : undefined;
      const text = typeof args[0] === 'string' ? args[0] : (config?.text ?? '');
      const params = Array.isArray(args[1]) ? (args[1] as unknown[]) : (config?.values ?? []);
      const paramBytes = params.reduce<number>((n, p) => n + (typeof p === 'string' ? Buffer.byteLength(p) : p == null ? 0 : JSON.stringify(p).length), 0);
      const label = part;
      const pid = this.processID;
      if (pid !== undefined) pids.add(pid);
      const cpu0 = pid === undefined ? null : processCpuMs(pid);
      const s = performance.now();
      const r = (originalQuery as (...a: unknown[]) => unknown).apply(this, args);
      if (r instanceof Promise) {
        const done = () => {
          const cpu1 = pid === undefined ? null : processCpuMs(pid);
          statements.push({ part: label, text, ms: performance.now() - s, paramBytes, pid, params, backendCpuMs: cpu0 === null || cpu1 === null ? null : cpu1 - cpu0 });
        };
        void r.then(done, done);
      }
      return r;
    } as typeof pg.Client.prototype.query;
  }
  return { statements, pids };
}

/** Per-part totals and the slowest statements of each, as printable lines. */
export function statementReport(list: readonly TimedStatement[], slowest = 6): string[] {
  const byPart = new Map<string, TimedStatement[]>();
  for (const s of list) byPart.set(s.part, [...(byPart.get(s.part) ?? []), s]);
  const lines: string[] = [];
  for (const [name, items] of byPart) {
    const total = items.reduce((n, s) => n + s.ms, 0);
    const cpu = items.reduce((n, s) => n + (s.backendCpuMs ?? 0), 0);
    lines.push(`${name}: ${items.length} statements, ${total.toFixed(0)} ms at the driver (summed; concurrent ones overlap), backend CPU ${cpu} ms`);
    for (const s of [...items].sort((a, b) => b.ms - a.ms).slice(0, slowest)) {
      lines.push(`  ${s.ms.toFixed(0).padStart(6)} ms  cpu ${String(s.backendCpuMs ?? '?').padStart(5)} ms  ${(s.paramBytes / 1024).toFixed(0).padStart(6)} KiB params  ${s.text.replace(/\s+/g, ' ').slice(0, 120)}`);
    }
  }
  return lines;
}

/**
 * Postgres's logged durations of `pids`' statements from `logFile` lines after `fromOffset`,
 * summed per part by the time windows given (a line is stamped when its statement ends).
 */
export function serverDurations(logFile: string, fromOffset: number, pidsOf: Set<number>, windows: { part: string; from: number; to: number }[]): Record<string, { ms: number; statements: number }> {
  const out: Record<string, { ms: number; statements: number }> = {};
  if (!existsSync(logFile)) return out;
  const text = readFileSync(logFile).subarray(fromOffset).toString('utf8');
  // 2026-11-29 18:50:21.010 UTC [2192] postgres@db LOG:  duration: 12.345 ms  execute <unnamed>: …
  const re = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) UTC \[(\d+)\] (?:\S+ )?LOG: {2}duration: ([\d.]+) ms {2}(\w+)/gm;
  for (const m of text.matchAll(re)) {
    if (!pidsOf.has(Number(m[2]))) continue;
    const at = Date.parse(`${m[1].replace(' ', 'T')}Z`);
    const w = windows.find((x) => at >= x.from && at <= x.to + 5);
    if (!w) continue;
    const e = (out[w.part] ??= { ms: 0, statements: 0 });
    e.ms += Number(m[3]);
    // parse, bind and execute of one extended-protocol statement are three lines; count the executes.
    if (m[4] === 'execute' || m[4] === 'statement') e.statements++;
  }
  return out;
}
