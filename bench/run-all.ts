// `npm run bench`: every benchmark in turn, each printing its own figures and writing its section
// of bench/results.json. Each also runs alone (`npx tsx bench/<name>.bench.ts`) and sets its own
// clock, so none depends on the date. Benchmarks need the local PostgreSQL and Redis, like the
// tests; each makes and drops its own database. Scale is set by the BENCH_* variables each names.
const benches = ['./import.bench.js', './fanout.bench.js', './callback.bench.js', './load.bench.js', './close.bench.js'];

let failed = 0;
for (const path of benches) {
  const name = path.replace('./', '').replace('.js', '');
  process.stdout.write(`\n=== ${name}\n`);
  try {
    const mod = (await import(path)) as { run: () => Promise<unknown> };
    await mod.run();
  } catch (e) {
    failed++;
    console.error(`${name} failed:`, e instanceof Error ? e.message : e);
  }
}
process.exit(failed ? 1 : 0);
