// Shared setup for the sandbox tests: a fresh FakeFeishu per test, SDK
// clients with their own token cache (the SDK's default cache is a process
// singleton, docs/feishu.md §6) and a silent logger.
import * as lark from '@larksuiteoapi/node-sdk';
import { afterEach } from 'vitest';
import { FakeFeishu, type FakeFeishuOptions } from '../../src/sandbox/index.js';

export const APP_ID = 'cli_5a4db0c0ffee0001';
export const APP_SECRET = 'sandbox-secret';

export const noopLogger = {
  error: () => undefined,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
  trace: () => undefined,
};

const cleanups: Array<() => Promise<void> | void> = [];

/** Runs registered cleanups after each test, newest first. */
export function onCleanup(fn: () => Promise<void> | void): void {
  cleanups.push(fn);
}

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

export async function startFake(opts: Partial<FakeFeishuOptions> = {}): Promise<FakeFeishu> {
  const fake = new FakeFeishu(opts);
  await fake.start();
  onCleanup(() => fake.stop());
  return fake;
}

export function sdkClient(fake: FakeFeishu, appId = APP_ID, appSecret = APP_SECRET): lark.Client {
  return new lark.Client({
    appId,
    appSecret,
    domain: fake.url,
    logger: noopLogger,
    cache: new lark.DefaultCache(),
  });
}

/** A controllable clock for the fake. */
export function manualClock(start = Date.parse('2026-03-02T09:00:00+08:00')): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

export interface FeishuFailure {
  status: number;
  code: number | undefined;
  msg: string | undefined;
  headers: Record<string, string>;
}

/** Awaits an SDK call that must fail with an HTTP error and returns what Feishu answered. */
export async function failure(call: Promise<unknown>): Promise<FeishuFailure> {
  try {
    await call;
  } catch (e) {
    const response = (e as { response?: { status: number; data?: { code?: number; msg?: string }; headers?: Record<string, string> } })
      .response;
    if (!response) throw e;
    return { status: response.status, code: response.data?.code, msg: response.data?.msg, headers: response.headers ?? {} };
  }
  throw new Error('expected the call to fail');
}

export function textContent(text: string): string {
  return JSON.stringify({ text });
}

export function sharedCard(title: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schema: '2.0',
    config: { update_multi: true },
    header: { title: { tag: 'plain_text', content: title } },
    body: { elements: [{ tag: 'markdown', content: title }] },
    ...extra,
  };
}

export function addPerson(fake: FakeFeishu, name: string, mobile: string, email?: string): string {
  return fake.addUser({ name, mobile, email });
}
