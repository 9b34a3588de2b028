// The worker side of the service alone, as a child process the reliability tests can SIGKILL:
// the configuration from the environment (DATABASE_URL, REDIS_URL, LARK_DOMAIN = a sandbox, …)
// and every job's real processor, no HTTP intake and no scheduler. WORKER_LOCK_MS shortens how
// long a killed worker's jobs stay claimed (QueueRegistry.startWorkers). Like main.ts, anything
// unhandled ends the process non-zero, so a test sees a crash as an exit it did not cause.
//
//   node --import tsx test/reliability/worker-child.ts     (prints "worker ready" when started)
import { loadConfig } from '../../src/config.js';
import { createAppContext } from '../../src/platform/app-context.js';
import { createProcessors } from '../../src/app/processors.js';

const config = loadConfig();
const ctx = createAppContext(config, { larkRetry: { baseDelayMs: 20, maxDelayMs: 200 } });
const fatal = (kind: string) => (e: unknown) => {
  process.stderr.write(`worker-child ${kind}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(70);
};
process.on('uncaughtException', fatal('uncaughtException'));
process.on('unhandledRejection', fatal('unhandledRejection'));
process.on('SIGTERM', () => {
  void ctx.close().finally(() => process.exit(0));
});
ctx.queues.startWorkers(createProcessors(ctx), { lockMs: Number(process.env.WORKER_LOCK_MS ?? 0) || undefined });
process.stdout.write('worker ready\n');
