// The figures each reliability scenario prints at its end, in one format:
//   [reliability] (c) postgres restarts: cases 60, failures 0, lost 0, duplicates 0, …
export type Figures = { cases: number; failures: number; lost: number; duplicates: number; [k: string]: number | string };

export function printFigures(scenario: string, f: Figures): void {
  const parts = Object.entries(f).map(([k, v]) => `${k} ${v}`);
  process.stdout.write(`[reliability] ${scenario}: ${parts.join(', ')}\n`);
}
