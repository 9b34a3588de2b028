// Finding 2 (classification): any HTTP 429 or 5xx is transient whatever its body says, except
// the monthly quota (99991403), which no retry this month can help.
import { describe, expect, it } from 'vitest';
import { larkErrorFrom } from '../../src/platform/feishu/lark-errors.js';

const axiosError = (status: number, data: unknown) => ({ isAxiosError: true, message: `Request failed with status code ${status}`, response: { status, data, headers: {} } });

describe('Feishu error classification', () => {
  it.each([
    [429, { code: 123456, msg: 'unknown limit' }],
    [429, { code: 99991672, msg: 'app permission' }],
    [429, 'Too Many Requests'],
    [429, {}],
    [500, { code: 1, msg: 'internal' }],
    [502, '<html>bad gateway</html>'],
    [503, { code: 230002, msg: 'bot not in chat' }],
    [504, undefined],
  ])('HTTP %i with body %j may be retried', (status, body) => {
    const e = larkErrorFrom(axiosError(status, body), 'im.message.create');
    expect(e.retryable).toBe(true);
    expect(e.code === 'LARK_RATE_LIMITED' || e.code === 'LARK_TRANSIENT').toBe(true);
  });

  it('the monthly quota is not retried', () => {
    const e = larkErrorFrom(axiosError(429, { code: 99991403, msg: 'quota' }), 'im.message.create');
    expect(e.code).toBe('LARK_QUOTA_EXCEEDED');
    expect(e.retryable).toBe(false);
  });

  it('a 400 with a business code stays permanent', () => {
    const e = larkErrorFrom(axiosError(400, { code: 230013, msg: 'user has no availability' }), 'im.message.create');
    expect(e.code).toBe('LARK_PERMANENT');
    expect(e.retryable).toBe(false);
  });
});
