// The card lock arrives as 230099 with the lock text inside msg; only that text makes 230099 transient.
import { describe, expect, it } from 'vitest';
import { larkCodeError } from '../../src/platform/feishu/lark-errors.js';
import { CARD_LOCKED } from '../../src/sandbox/card-checks.js';

describe('card lock classification', () => {
  it('retries 230099 "card action is lock", as the sandbox and production answer it', () => {
    const e = larkCodeError('im.patch', CARD_LOCKED.code, CARD_LOCKED.msg);
    expect(e.code).toBe('LARK_TRANSIENT');
    expect(e.retryable).toBe(true);
  });

  it('does not retry other 230099 card errors', () => {
    const e = larkCodeError('im.patch', 230099, 'Failed to create card content, ext=ErrCode: 200621; ErrMsg: unknown tag "spinner"');
    expect(e.code).toBe('LARK_PERMANENT');
    expect(e.retryable).toBe(false);
  });
});
