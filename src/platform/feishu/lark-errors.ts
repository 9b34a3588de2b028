// Maps whatever the SDK throws or returns into one coded AppError, and decides what may be retried.
// The SDK throws an AxiosError for non-2xx answers and returns {code,msg,data} for 2xx ones;
// it has no retry of its own (SDK client/client.ts, http/index.ts).
import { AppError } from '../../errors.js';

/** Generic rate limit (HTTP 429, sometimes 400), per-chat send limit, v4 send limits. */
const RATE_LIMIT_CODES = new Set([99991400, 230020, 11232, 11233]);
/** Free-plan monthly quota: also HTTP 429, but retrying cannot help until next month. */
const QUOTA_CODE = 99991403;
/** Token missing, invalid or expired: drop the cached token and try once more. */
const TOKEN_CODES = new Set([99991661, 99991663, 99991664, 99991665, 99991668]);
/** 2.0 card locked while a user interacts with it ("card action is lock"): try again shortly. */
const TRANSIENT_CODES = new Set([11310]);
/**
 * Production wraps the lock in 230099 ("…ext=ErrCode: 11310; ErrMsg: card action is lock"); 230099
 * also carries permanent card errors, so only this text makes it transient (feishu-facts, "Locked card").
 */
const CARD_LOCK_TEXT = 'card action is lock';

type AxiosLike = {
  isAxiosError?: boolean;
  code?: string;
  message?: string;
  response?: { status: number; data?: unknown; headers?: Record<string, unknown> };
};

export function larkErrorFrom(e: unknown, op: string): AppError {
  if (e instanceof AppError) return e;
  const ax = e as AxiosLike;
  if (ax && typeof ax === 'object' && ax.response) {
    const status = ax.response.status;
    const body = (ax.response.data ?? {}) as { code?: number; msg?: string };
    const reset = Number(header(ax.response.headers, 'x-ogw-ratelimit-reset'));
    return classify(op, status, body.code, body.msg, Number.isFinite(reset) && reset > 0 ? reset * 1000 : undefined, e);
  }
  // No response at all: connection refused or reset, socket hang-up, timeout.
  return new AppError('LARK_TRANSIENT', `${op}: network error ${ax?.code ?? ''} ${ax?.message ?? String(e)}`.trim(), {
    cause: e,
    retryable: true,
  });
}

/** A 2xx answer whose body carries a non-zero code. */
export function larkCodeError(op: string, code: number, msg: string | undefined): AppError {
  return classify(op, 200, code, msg, undefined, undefined);
}

function classify(op: string, status: number, code: number | undefined, msg: string | undefined, retryAfterMs: number | undefined, cause: unknown): AppError {
  const what = `${op}: HTTP ${status} code ${code ?? '-'} ${msg ?? ''}`.trim();
  const base = { cause, larkCode: code, httpStatus: status };
  if (code === QUOTA_CODE) {
    return new AppError('LARK_QUOTA_EXCEEDED', what, { ...base, retryable: false, userMessage: '飞书本月接口调用额度已用完' });
  }
  // Any 429 is a rate limit whatever code its body carries: a code we do not know is no reason
  // to give a message up for good (only the monthly quota above is).
  if ((code !== undefined && RATE_LIMIT_CODES.has(code)) || status === 429) {
    return new AppError('LARK_RATE_LIMITED', what, { ...base, retryable: true, retryAfterMs });
  }
  if (code !== undefined && TOKEN_CODES.has(code)) {
    return new AppError('LARK_AUTH', what, { ...base, retryable: true });
  }
  // A 5xx is the server's trouble, whatever its body says; a locked card is busy, not refused.
  if (status >= 500 || (code !== undefined && TRANSIENT_CODES.has(code)) || (msg?.includes(CARD_LOCK_TEXT) ?? false)) {
    return new AppError('LARK_TRANSIENT', what, { ...base, retryable: true });
  }
  return new AppError('LARK_PERMANENT', what, { ...base, retryable: false });
}

function header(headers: Record<string, unknown> | undefined, name: string): unknown {
  if (!headers) return undefined;
  const h = headers as { get?: (n: string) => unknown };
  if (typeof h.get === 'function') return h.get(name);
  return headers[name] ?? headers[name.toLowerCase()];
}
