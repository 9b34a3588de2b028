// bench/results.json: each benchmark writes its own section (figures, the reference it is judged
// against, the ratio, the target) and leaves the others' sections as they were.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

export const RESULTS_PATH = fileURLToPath(new URL('./results.json', import.meta.url));

/** Where and when the figures were taken; the load average says how contended the machine was. */
export function machine(): Record<string, unknown> {
  return {
    cores: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryMb: Math.round(totalmem() / 2 ** 20),
    node: process.version,
    loadAverage1m: Number(loadavg()[0].toFixed(2)),
    at: new Date().toISOString(),
  };
}

export function writeResults(section: string, figures: Record<string, unknown>): void {
  let all: Record<string, unknown> = {};
  if (existsSync(RESULTS_PATH)) {
    try {
      all = JSON.parse(readFileSync(RESULTS_PATH, 'utf8')) as Record<string, unknown>;
    } catch {
      all = {};
    }
  }
  all[section] = { machine: machine(), ...figures };
  writeFileSync(RESULTS_PATH, `${JSON.stringify(all, null, 2)}\n`);
}

/** Nearest-rank percentile of ascending values. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export const round = (v: number, digits = 2) => Number.isFinite(v) ? Number(v.toFixed(digits)) : null;

export const envNumber = (name: string, fallback: number): number => {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got ${v}`);
  return n;
};
