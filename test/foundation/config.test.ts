import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config.js';

const valid = {
  LARK_APP_ID: 'cli_x',
  LARK_APP_SECRET: 's',
  LARK_VERIFICATION_TOKEN: 'v',
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/x',
  REDIS_URL: 'redis://127.0.0.1:6379',
};

function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    parseConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('config', () => {
  it('applies defaults', () => {
    const c = parseConfig(valid);
    expect(c.LARK_DOMAIN).toBe('feishu');
    expect(c.LARK_MODE).toBe('webhook');
    expect(c.DISPATCH_TZ).toBe('Asia/Shanghai');
    expect(c.PORT).toBe(3000);
    expect(c.LARK_ENCRYPT_KEY).toBe('');
  });

  it('lists every missing variable at once', () => {
    const problems = problemsOf({});
    for (const name of ['LARK_APP_ID', 'LARK_APP_SECRET', 'LARK_VERIFICATION_TOKEN', 'DATABASE_URL', 'REDIS_URL']) {
      expect(problems.some((p) => p.startsWith(`${name}: missing`))).toBe(true);
    }
    expect(problems).toHaveLength(5);
  });

  it('lists every malformed variable with the reason', () => {
    const problems = problemsOf({
      ...valid,
      LARK_DOMAIN: 'open.feishu.cn/',
      LARK_MODE: 'socket',
      PORT: 'eighty',
      DISPATCH_TZ: 'Mars/Olympus',
      DATABASE_URL: 'mysql://x',
      REDIS_URL: '127.0.0.1:6379',
    });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(
      ['DATABASE_URL', 'DISPATCH_TZ', 'LARK_DOMAIN', 'LARK_MODE', 'PORT', 'REDIS_URL'],
    );
    expect(problems.find((p) => p.startsWith('DISPATCH_TZ'))).toContain('time zone');
  });

  it('accepts the Lark domain and a sandbox URL', () => {
    expect(parseConfig({ ...valid, LARK_DOMAIN: 'lark' }).LARK_DOMAIN).toBe('lark');
    expect(parseConfig({ ...valid, LARK_DOMAIN: 'http://127.0.0.1:8081' }).LARK_DOMAIN).toBe('http://127.0.0.1:8081');
  });

  it('asks for a real-looking app id in long-connection mode', () => {
    expect(problemsOf({ ...valid, LARK_MODE: 'ws' })).toEqual([expect.stringMatching(/^LARK_APP_ID: long-connection mode needs a real app id/)]);
    expect(parseConfig({ ...valid, LARK_MODE: 'ws', LARK_APP_ID: 'cli_a1b2c3d4e5f60718' }).LARK_MODE).toBe('ws');
  });

  it('treats empty strings as unset', () => {
    expect(problemsOf({ ...valid, LARK_APP_ID: '' })).toEqual([expect.stringMatching(/^LARK_APP_ID: missing/)]);
  });
});
