// The serving process for the load bench (bench/load.bench.ts forks it): the real service (HTTP
// intake, workers) on its own clock, and beside it a reference endpoint that does only what any
// endpoint must — read the body, verify the signature, decrypt and parse with the SDK's own
// RequestHandle and AESCipher — and answers a fixed toast. Both in this one process so they meet
// the same machine; the load generator is another process.
//
// Every SQL statement the process sends is counted at the pg driver (Client.query), so the bench
// can divide by submissions: all of them, and those sent while handling a callback (the request's
// own, without the jobs after commit). IPC: parent sends 'stats' → { statements,
// callbackStatements, rss, cpuMs, loop delay and GC pauses since the last 'stats' }, 'stop'. With BENCH_CPU_PROF set the parent starts this process
// under node --cpu-prof, and the profile is written when it stops.
import http from 'node:http';
import v8 from 'node:v8';
import { monitorEventLoopDelay, PerformanceObserver, type EventLoopUtilization, performance } from 'node:perf_hooks';
import { parseConfig } from '../src/config.js';
import { startService } from '../src/app/service.js';
import { createLogger } from '../src/logger.js';
import { sdk as lark } from '../src/platform/feishu/lark-sdk.js';
import { benchClock } from './bench-support.js';
import { installStatementCounter } from './statement-counter.js';

const counted = installStatementCounter();

// Where the time between two 'stats' calls went: event-loop delay (what a request waits behind),
// and the collector's pauses, longest first. Both reset at every 'stats'.
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
let gcPauses: number[] = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcPauses.push(e.duration);
}).observe({ entryTypes: ['gc'] });
let elu: EventLoopUtilization = performance.eventLoopUtilization();

function window() {
  const ms = (ns: number) => Math.round(ns / 1e5) / 10;
  const pauses = gcPauses.sort((a, b) => b - a);
  const out = {
    loopDelayMs: { p50: ms(loopDelay.percentile(50)), p99: ms(loopDelay.percentile(99)), max: ms(loopDelay.max) },
    gc: { count: pauses.length, totalMs: Math.round(pauses.reduce((a, b) => a + b, 0)), longestMs: pauses.slice(0, 3).map((d) => Math.round(d)) },
    loopUtilisation: Math.round(performance.eventLoopUtilization(elu).utilization * 100) / 100,
  };
  loopDelay.reset();
  gcPauses = [];
  elu = performance.eventLoopUtilization();
  return out;
}

const env = JSON.parse(process.env.BENCH_SERVE_ENV ?? '{}') as Record<string, string>;
const clockStart = process.env.BENCH_SERVE_CLOCK ?? '';

const config = parseConfig(env);
const service = await startService(config, { logger: createLogger('silent'), now: benchClock(clockStart) });

const reference = referenceEndpoint(config.LARK_ENCRYPT_KEY, config.LARK_VERIFICATION_TOKEN);
await new Promise<void>((resolve) => reference.listen(0, '127.0.0.1', resolve));
const refAddress = reference.address();
const refPort = typeof refAddress === 'object' && refAddress ? refAddress.port : 0;

process.on('message', (m: { type: string }) => {
  if (m.type === 'stats') {
    const c = counted();
    process.send?.({ type: 'stats', statements: c.all, callbackStatements: c.callbacks, rss: process.memoryUsage().rss, memory: memoryBreakdown(), cpuMs: cpuMs(), ...window() });
  } else if (m.type === 'snapshot') {
    // BENCH_HEAP_SNAPSHOT=<dir>: the parent asks for one at idle, end of load and after settling.
    process.send?.({ type: 'snapshot', path: v8.writeHeapSnapshot(`${process.env.BENCH_HEAP_SNAPSHOT}/serve-${Date.now()}.heapsnapshot`) });
  } else if (m.type === 'stop') {
    reference.close();
    void service.stop().finally(() => process.exit(0));
  }
});
process.send?.({ type: 'ready', port: service.port, refPort, rss: process.memoryUsage().rss });

const cpuMs = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};

/** Where the RSS is: V8's heap (used and reserved, per space), buffers outside it, and the rest (code, native allocations). */
function memoryBreakdown(): Record<string, number> {
  const m = process.memoryUsage();
  const h = v8.getHeapStatistics();
  const code = v8.getHeapCodeStatistics();
  const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [`space.${s.space_name}`, s.space_size]));
  return { ...m, heapPhysical: h.total_physical_size, malloced: h.malloced_memory, code: code.code_and_metadata_size, bytecode: code.bytecode_and_metadata_size, ...spaces };
}

/** Verify, decrypt, parse; the 40-line endpoint the issue measures the bot against. */
function referenceEndpoint(encryptKey: string, verificationToken: string): http.Server {
  const dispatcher = new lark.EventDispatcher({ encryptKey, verificationToken, logger: { error() {}, warn() {}, info() {}, debug() {}, trace() {} } });
  const cipher = new lark.AESCipher(encryptKey);
  return http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let status = 200;
      let answer: unknown = { toast: { type: 'success', content: '已提交' } };
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { encrypt: string };
        const data = Object.assign(Object.create({ headers: req.headers }) as object, body);
        if (!dispatcher.requestHandle?.checkIsEventValidated(data)) throw new Error('bad signature');
        const plain = JSON.parse(cipher.decrypt(body.encrypt)) as { event?: { action?: { form_value?: unknown } } };
        if (!plain.event?.action?.form_value) throw new Error('no form');
      } catch {
        status = 401;
        answer = { error: 'refused' };
      }
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(answer));
    });
  });
}
