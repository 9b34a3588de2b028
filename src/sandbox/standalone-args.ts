// `npm run cli -- sandbox …` arguments → runSandbox options, with a clear message for each bad one.
import { parseArgs } from 'node:util';
import { AppError } from '../errors.js';
import type { RunSandboxOptions } from './standalone.js';

export const SANDBOX_USAGE =
  'sandbox [--port 8081] [--host 127.0.0.1|0.0.0.0] [--app-id cli_…] [--app-secret …] [--encrypt-key …] ' +
  '[--verification-token …] [--callback-url http://bot:3000/lark/events] [--seed registry.xlsx|registry.csv|users.json]';

const bad = (message: string, userMessage: string) => new AppError('VALIDATION', message, { userMessage });

export function parseSandboxArgs(args: string[]): Omit<RunSandboxOptions, 'logger' | 'print'> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      options: {
        port: { type: 'string', default: '8081' },
        host: { type: 'string' },
        'app-id': { type: 'string' },
        'app-secret': { type: 'string' },
        'encrypt-key': { type: 'string' },
        'verification-token': { type: 'string' },
        'callback-url': { type: 'string' },
        seed: { type: 'string' },
      },
    }));
  } catch (e) {
    throw bad((e as Error).message, `参数有误：${(e as Error).message}。用法：${SANDBOX_USAGE}`);
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw bad(`bad port ${values.port}`, `--port 须为 0–65535 的端口号，收到“${values.port}”`);
  const nonEmpty = (name: string, v: string | undefined): string | undefined => {
    if (v !== undefined && v.trim() === '') throw bad(`empty --${name}`, `--${name} 不能为空`);
    return v?.trim();
  };
  const appId = nonEmpty('app-id', values['app-id']);
  // The SDK's WSClient refuses an app id of any other shape, so the long connection would never come up.
  if (appId !== undefined && !/^cli_[0-9a-z]{16}$/.test(appId)) throw bad(`bad app id ${appId}`, `--app-id 须形如 cli_ 加 16 位小写字母或数字（如 cli_5a4db0c0ffee0001），收到“${appId}”`);
  const callbackUrl = nonEmpty('callback-url', values['callback-url']);
  if (callbackUrl !== undefined) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(callbackUrl);
    } catch {
      parsed = undefined;
    }
    if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
      throw bad(`bad callback url ${callbackUrl}`, `--callback-url 须为 http(s) 地址，如 http://127.0.0.1:3000/lark/events，收到“${callbackUrl}”`);
    }
  }
  return {
    port,
    host: nonEmpty('host', values.host),
    appId,
    appSecret: nonEmpty('app-secret', values['app-secret']),
    encryptKey: nonEmpty('encrypt-key', values['encrypt-key']),
    verificationToken: nonEmpty('verification-token', values['verification-token']),
    callbackUrl,
    seedFile: nonEmpty('seed', values.seed),
  };
}
