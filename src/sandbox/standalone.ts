// Runs the simulated tenant as its own process (`npm run cli -- sandbox`),
// so a bot, the demo or a benchmark in another process can point the SDK at it.
// The app's credentials, the Encrypt Key and Verification Token it signs
// deliveries with, and the bot's callback URL can be set, as in the developer
// console of a real app; without a callback URL deliveries go over the long
// connection, as an app in long-connection mode receives them.
import { FeishuDriver } from './callback-driver.js';
import { attachConsole } from './console/console-server.js';
import { FakeFeishu, SANDBOX_APP_ID, SANDBOX_APP_SECRET, type SandboxLogger } from './fake-feishu.js';
import { normalizeMobile, type NewUser } from './directory.js';

export interface RunSandboxOptions {
  port: number;
  /** Interface to listen on; 127.0.0.1 by default, 0.0.0.0 to be reachable from outside a container. */
  host?: string;
  appId?: string;
  appSecret?: string;
  /** Deliveries are encrypted and signed with it when set (the bot's LARK_ENCRYPT_KEY). */
  encryptKey?: string;
  /** Carried in every delivery's header.token (the bot's LARK_VERIFICATION_TOKEN). */
  verificationToken?: string;
  /** Where events and card callbacks are POSTed; unset: over the long connection. */
  callbackUrl?: string;
  /** A project registry spreadsheet (xlsx, CSV in UTF-8 or GBK) or a JSON array of users. */
  seedFile?: string;
  logger?: SandboxLogger;
  /** Where to print the banner; defaults to stdout. */
  print?: (line: string) => void;
}

export interface SandboxHandle {
  fake: FakeFeishu;
  url: string;
  /** Delivers events and card callbacks to the bot as this tenant's Feishu would. */
  driver: FeishuDriver;
  /** Stops the server and removes the signal handlers. */
  stop: () => Promise<void>;
  /** Settles once the sandbox has stopped (by stop() or a signal): what a foreground process waits on. */
  stopped: Promise<void>;
}

export const DEFAULT_VERIFICATION_TOKEN = 'sandbox-verification-token';

/** Starts the sandbox and resolves once it is listening; SIGINT/SIGTERM stop it. */
export async function runSandbox(options: RunSandboxOptions): Promise<SandboxHandle> {
  const print = options.print ?? ((line: string) => console.log(line));
  const appId = options.appId ?? SANDBOX_APP_ID;
  const appSecret = options.appSecret ?? SANDBOX_APP_SECRET;
  const fake = new FakeFeishu({ logger: options.logger, apps: { [appId]: appSecret } });
  // Loaded only for --seed: the spreadsheet libraries would slow every start of the CLI.
  const seeded = options.seedFile ? seed(fake, await (await import('./seed-sheet.js')).peopleFromSeedFile(options.seedFile)) : 0;
  const url = await fake.start(options.port, options.host);
  const verificationToken = options.verificationToken ?? DEFAULT_VERIFICATION_TOKEN;
  const driver = new FeishuDriver({
    targetUrl: options.callbackUrl ?? '',
    appId,
    verificationToken,
    ...(options.encryptKey ? { encryptKey: options.encryptKey } : {}),
    fake,
  });
  driver.viaWebSocket = !options.callbackUrl;
  // The console delivers what a person does through the same driver, so it is as strict as Feishu.
  attachConsole(fake, { driver });
  const bound = fake.listening();
  print(`Sandbox Feishu listening on ${url}${bound && bound.address !== '127.0.0.1' ? ` (bound to ${bound.address}:${bound.port})` : ''}`);
  print(`  domain:             ${url}`);
  print(`  app_id:             ${appId}`);
  print(`  app_secret:         ${appSecret}`);
  print(`  encrypt_key:        ${options.encryptKey ? options.encryptKey : '(none: deliveries are not encrypted)'}`);
  print(`  verification_token: ${verificationToken}`);
  print(`  deliveries:         ${options.callbackUrl ? `POST ${options.callbackUrl}` : 'long connection (WSClient)'}`);
  print(`  users:              ${fake.users().length}${options.seedFile ? ` (${seeded} seeded from ${options.seedFile})` : ''}`);
  print(`  console:            ${url}/  (a Feishu client for any person in the tenant)`);
  print(`  inspect:            ${url}/_sandbox/messages  ${url}/_sandbox/requests  ${url}/_sandbox/users`);

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
  return { fake, url, driver, stop, stopped };
}

/** Adds each person once (by mobile, as the registry matches people); returns how many. */
function seed(fake: FakeFeishu, people: NewUser[]): number {
  const known = new Set(fake.users().map((u) => normalizeMobile(u.mobile)));
  let added = 0;
  for (const person of people) {
    const mobile = normalizeMobile(person.mobile);
    if (known.has(mobile)) continue;
    known.add(mobile);
    fake.addUser(person);
    added++;
  }
  return added;
}
