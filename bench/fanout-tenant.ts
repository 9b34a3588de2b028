// The simulated tenant for the fan-out bench (bench/fanout.bench.ts forks it), in its own process
// as Feishu is: its request handling, card validation and message store then cost the bot's
// process nothing, so the CPU the bench measures per card is the bot's own.
//
// IPC (parent → child → parent): 'users' {users} → {openIds}; 'progress' → {messages, rateLimited, cpuMs};
// 'summary' → what the bench reports (below); 'stop'. The limits come in BENCH_TENANT_LIMITS.
import { FakeFeishu, DEFAULT_LIMITS, type NewUser, type SandboxLimits } from '../src/sandbox/index.js';

export type TenantSummary = {
  messages: number;
  distinctUuids: number;
  /** Second cards for the same (receiver, card body), or a uuid stored twice. */
  duplicates: number;
  firstCreatedAt: number;
  lastCreatedAt: number;
  /** 429 answers to sends, and which window each hit (judged from the sends admitted just before it). */
  rateLimited: number;
  causes: Record<string, number>;
  /** 429 answers whose message (by uuid) the tenant never stored afterwards: left unhandled. */
  unhandledRateLimited: number;
  /** The tenant process's own CPU, ms, since it started (taken before this summary is worked out). */
  cpuMs: number;
};

export type TenantRequest =
  | { type: 'users'; users: NewUser[] }
  | { type: 'progress' }
  | { type: 'summary' }
  | { type: 'stop' };

const SEND_PATH = '/open-apis/im/v1/messages';

function cpuMsNow(): number {
  const cpu = process.cpuUsage();
  return (cpu.user + cpu.system) / 1000;
}

function summarize(fake: FakeFeishu, limits: SandboxLimits): TenantSummary {
  const cpuMs = cpuMsNow();
  const messages = fake.messages();
  const uuids = new Set(messages.map((m) => m.uuid));
  const seen = new Set<string>();
  let sameBody = 0;
  for (const m of messages) {
    const key = `${m.open_id ?? m.receive_id}|${m.raw_content}`;
    if (seen.has(key)) sameBody++;
    seen.add(key);
  }
  const sends = fake.requests().filter((r) => r.method === 'POST' && r.path === SEND_PATH);
  const admitted = sends.filter((r) => r.status === 200);
  const limited = sends.filter((r) => r.status === 429);
  const storedUuids = new Set(messages.map((m) => m.uuid).filter((u): u is string => u !== undefined));
  const causes: Record<string, number> = { 'app per second': 0, 'app per minute': 0, 'user per second': 0, other: 0 };
  // Admitted sends are in time order: a moving window answers each 429's question in one pass.
  let lo1 = 0;
  let lo60 = 0;
  let hi = 0;
  for (const r of limited) {
    while (hi < admitted.length && admitted[hi].at <= r.at) hi++;
    while (lo1 < hi && admitted[lo1].at <= r.at - 1000) lo1++;
    while (lo60 < hi && admitted[lo60].at <= r.at - 60_000) lo60++;
    const lastSecond = admitted.slice(lo1, hi);
    if (lastSecond.filter((a) => a.receiveId === r.receiveId).length >= limits.perReceiverPerSecond) causes['user per second']++;
    else if (hi - lo1 >= limits.appPerSecond) causes['app per second']++;
    else if (hi - lo60 >= limits.appPerMinute) causes['app per minute']++;
    else causes.other++;
  }
  const unhandled = limited.filter((r) => typeof r.body?.uuid !== 'string' || !storedUuids.has(r.body.uuid)).length;
  const created = messages.map((m) => m.created_at);
  return {
    messages: messages.length,
    distinctUuids: uuids.size,
    duplicates: Math.max(sameBody, messages.length - uuids.size),
    firstCreatedAt: created.length ? Math.min(...created) : 0,
    lastCreatedAt: created.length ? Math.max(...created) : 0,
    rateLimited: fake.stats().rateLimited,
    causes,
    unhandledRateLimited: unhandled,
    cpuMs,
  };
}

const limits: SandboxLimits = { ...DEFAULT_LIMITS, ...(JSON.parse(process.env.BENCH_TENANT_LIMITS ?? '{}') as Partial<SandboxLimits>) };
const apps = JSON.parse(process.env.BENCH_TENANT_APPS ?? '{}') as Record<string, string>;
const fake = new FakeFeishu({ apps, limits });
const url = await fake.start();

process.on('message', (m: TenantRequest) => {
  switch (m.type) {
    case 'users':
      process.send?.({ type: 'users', openIds: m.users.map((u) => fake.addUser(u)) });
      break;
    case 'progress':
      process.send?.({ type: 'progress', messages: fake.stats().messages, rateLimited: fake.stats().rateLimited, cpuMs: cpuMsNow() });
      break;
    case 'summary':
      process.send?.({ type: 'summary', summary: summarize(fake, limits) });
      break;
    case 'stop':
      void fake.stop().finally(() => process.exit(0));
      break;
  }
});
process.send?.({ type: 'ready', url });
