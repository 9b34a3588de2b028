// Limits and pool sizes are configuration: defaults are Feishu's published limits and a pool sized
// for the machine; a tenant with a larger quota can raise every window, and nonsense is refused.
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config.js';
import { FEISHU_LIMITS, larkLimitsFrom } from '../../src/platform/feishu/lark-client.js';

const valid = {
  LARK_APP_ID: 'cli_x',
  LARK_APP_SECRET: 's',
  LARK_VERIFICATION_TOKEN: 'v',
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/x',
  REDIS_URL: 'redis://127.0.0.1:6379',
};

describe('performance configuration', () => {
  it('defaults to the published limits and a pool of 4 per core', () => {
    const c = parseConfig(valid);
    expect(larkLimitsFrom(c)).toEqual(FEISHU_LIMITS);
    expect(c.DB_POOL_MAX).toBe(Math.max(4, availableParallelism() * 4));
    expect(c.INTAKE_MAX_IN_FLIGHT).toBe(c.DB_POOL_MAX);
    expect(c.INTAKE_MAX_WAIT_MS).toBe(1000);
    expect(c.MEMORY_RELEASE_IDLE_MS).toBe(5000);
    expect(c.HEAP_GROWING_PERCENT).toBe(25);
  });

  it('leaves V8 its own heap growth with 0 and refuses a growth it does not take', () => {
    expect(parseConfig({ ...valid, HEAP_GROWING_PERCENT: '0' }).HEAP_GROWING_PERCENT).toBe(0);
    expect(() => parseConfig({ ...valid, HEAP_GROWING_PERCENT: '-5' })).toThrow(/HEAP_GROWING_PERCENT/);
    expect(() => parseConfig({ ...valid, HEAP_GROWING_PERCENT: '1000' })).toThrow(/HEAP_GROWING_PERCENT/);
  });

  it('turns the idle memory release off with 0 and refuses a negative window', () => {
    expect(parseConfig({ ...valid, MEMORY_RELEASE_IDLE_MS: '0' }).MEMORY_RELEASE_IDLE_MS).toBe(0);
    expect(() => parseConfig({ ...valid, MEMORY_RELEASE_IDLE_MS: '-1' })).toThrow(/MEMORY_RELEASE_IDLE_MS/);
  });

  it('raises every window past the published limits when a tenant quota allows it', () => {
    const c = parseConfig({
      ...valid,
      SEND_RATE_PER_SECOND: '500',
      SEND_RATE_PER_MINUTE: '10000',
      SEND_RATE_PER_RECEIVER: '50',
      PATCH_RATE_PER_SECOND: '500',
      PATCH_RATE_PER_MINUTE: '10000',
      PATCH_RATE_PER_MESSAGE: '50',
      CARD_UPDATE_RATE_PER_MINUTE: '10000',
      URGENT_RATE_PER_SECOND: '100',
      CONTACT_RATE_PER_MINUTE: '2000',
      IMAGE_RATE_PER_SECOND: '70',
      DB_POOL_MAX: '32',
    });
    const l = larkLimitsFrom(c);
    expect(l).toMatchObject({
      sendPerSecond: 500,
      sendPerMinute: 10_000,
      sendPerReceiverPerSecond: 50,
      patchPerSecond: 500,
      patchPerMinute: 10_000,
      patchPerMessagePerSecond: 50,
      cardUpdatePerSecond: 50,
      cardUpdatePerMinute: 10_000,
      urgentPerSecond: 100,
      contactPerMinute: 2000,
      imagePerSecond: 70,
    });
    expect(c.DB_POOL_MAX).toBe(32);
  });

  it('refuses a zero or fractional limit and a zero pool, naming each', () => {
    let problems: string[] = [];
    try {
      parseConfig({ ...valid, SEND_RATE_PER_MINUTE: '0', PATCH_RATE_PER_MESSAGE: '2.5', DB_POOL_MAX: '0' });
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      problems = (e as ConfigError).problems;
    }
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['DB_POOL_MAX', 'PATCH_RATE_PER_MESSAGE', 'SEND_RATE_PER_MINUTE']);
  });
});
