// Runs the simulated tenant as its own process (`npm run cli -- sandbox`),
// so a bot, the demo or a benchmark in another process can point the SDK at it.
import { FakeFeishu, type SandboxLogger } from './fake-feishu.js';

export interface RunSandboxOptions {
  port: number;
  /** JSON array of users, or a project registry CSV (people columns). */
  seedFile?: string;
  logger?: SandboxLogger;
  /** Where to print the banner; defaults to stdout. */
  print?: (line: string) => void;
}

export interface SandboxHandle {
  fake: FakeFeishu;
  url: string;
  /** Stops the server and removes the signal handlers. */
  stop: () => Promise<void>;
  /** Settles once the sandbox has stopped (by stop() or a signal): what a foreground process waits on. */
  stopped: Promise<void>;
}

/** Starts the sandbox and resolves once it is listening; SIGINT/SIGTERM stop it. */
export async function runSandbox(options: RunSandboxOptions): Promise<SandboxHandle> {
  const print = options.print ?? ((line: string) => console.log(line));
  const fake = new FakeFeishu({ logger: options.logger });
  const seeded = options.seedFile ? await fake.seedDirectoryFromFile(options.seedFile) : 0;
  const url = await fake.start(options.port);
  const [appId, appSecret] = Object.entries(fake.options.apps)[0] ?? ['', ''];
  print(`Sandbox Feishu listening on ${url}`);
  print(`  domain:     ${url}`);
  print(`  app_id:     ${appId}`);
  print(`  app_secret: ${appSecret}`);
  print(`  users:      ${fake.users().length}${options.seedFile ? ` (${seeded} seeded from ${options.seedFile})` : ''}`);
  print(`  inspect:    ${url}/_sandbox/messages  ${url}/_sandbox/requests  ${url}/_sandbox/users`);

  let markStopped: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (markStopped = resolve));
  const stop = async (): Promise<void> => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    try {
      await fake.stop();
    } finally {
      markStopped();
    }
  };
  function onSignal(signal: NodeJS.Signals): void {
    print(`Sandbox Feishu stopping (${signal})`);
    stop().catch((e: unknown) => {
      console.error('sandbox stop failed', e);
      process.exitCode = 1;
    });
  }
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return { fake, url, stop, stopped };
}
