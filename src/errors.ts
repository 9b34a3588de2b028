// One coded error type. `userMessage` is Chinese and safe to show in a card or the CLI;
// `message` is English for logs.
export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'VALIDATION'
  | 'NOT_FOUND'
  | 'FORBIDDEN'
  | 'CONFLICT'
  | 'LARK_RATE_LIMITED'
  | 'LARK_QUOTA_EXCEEDED'
  | 'LARK_TRANSIENT'
  | 'LARK_PERMANENT'
  | 'LARK_AUTH'
  | 'CALENDAR_MISSING'
  | 'CYCLE_STATE'
  | 'INTERNAL';

export class AppError extends Error {
  constructor(
    public readonly code: ErrorCode,
    message: string,
    public readonly details: {
      userMessage?: string;
      cause?: unknown;
      retryable?: boolean;
      larkCode?: number;
      httpStatus?: number;
      retryAfterMs?: number;
    } = {},
  ) {
    super(message, { cause: details.cause });
    this.name = 'AppError';
  }

  get userMessage(): string {
    return this.details.userMessage ?? '系统繁忙，请稍后再试';
  }

  get retryable(): boolean {
    return this.details.retryable ?? false;
  }
}

export function isAppError(e: unknown, code?: ErrorCode): e is AppError {
  return e instanceof AppError && (code === undefined || e.code === code);
}
