// `npm run bench`: every benchmark in turn, each printing its own figures.
// Benchmarks need the local PostgreSQL and Redis, like the tests; each makes and drops its own database.
const benches = ['./import.bench.js', './fanout.bench.js', './callback.bench.js'];

for (const path of benches) {
  const name = path.replace('./', '').replace('.js', '');
  process.stdout.write(`\n=== ${name}\n`);
  const mod = (await import(path)) as { run: () => Promise<void> };
  await mod.run();
}
process.exit(0);
