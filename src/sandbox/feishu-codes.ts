// Feishu Open API error codes the simulated tenant answers with, in one place so
// every route speaks the same dialect. Each entry says where the number comes
// from; entries marked UNCONFIRMED are our best reading and may differ from
// production — change them here if a real response shows otherwise.

export interface FeishuError {
  /** HTTP status Feishu sends with this code. */
  status: number;
  code: number;
  msg: string;
}

const err = (status: number, code: number, msg: string): FeishuError => ({ status, code, msg });

export const CODES = {
  // auth/v3/tenant_access_token/internal. 10014 "app secret invalid" is what
  // production returns for a wrong secret (seen in many public bug reports);
  // 10003 "invalid param" for an unknown app id. HTTP 400 is UNCONFIRMED
  // (the SDK throws either way: it needs `tenant_access_token` in the body).
  appSecretInvalid: err(400, 10014, 'app secret invalid'),
  appIdInvalid: err(400, 10003, 'invalid param'),

  // Access-token failures. Numbers from larksuite/oapi-sdk-go core constants
  // (errCodeTenantAccessTokenInvalid = 99991663) which that SDK retries after
  // re-fetching the token; 99991661 is the "missing token" variant.
  tokenMissing: err(
    400,
    99991661,
    'Missing access token for authorization. Please make a request with token attached.',
  ),
  tokenInvalid: err(
    400,
    99991663,
    'Invalid access token for authorization. Please make a request with token attached.',
  ),

  // Frequency control (docs/feishu.md §1, DOC frequency-control): HTTP 429,
  // headers x-ogw-ratelimit-limit / x-ogw-ratelimit-reset.
  rateLimited: err(429, 99991400, 'request trigger frequency limit'),
  // Free-plan monthly quota (docs/feishu.md §1): HTTP 429 but must NOT be retried.
  monthlyQuota: err(429, 99991403, "This month's API call quota has been exceeded"),

  // Generic field validation failure (99992402), with `field_violations`.
  fieldValidation: err(400, 99992402, 'field validation failed'),

  // im/v1/messages create/reply/patch error table (docs/feishu.md §4).
  invalidParam: err(400, 230001, 'Your request contains an invalid request parameter.'),
  botNotInChat: err(400, 230002, 'Bot/User can NOT be out of the chat.'),
  messageWithdrawn: err(400, 230011, 'The message is withdrawn.'),
  noAvailability: err(400, 230013, 'Bot has NO availability to this user.'),
  contentTooLong: err(400, 230025, 'The length of the message content reaches its limit.'),
  // Exact text seen from production (deepcoldy/botmux PR #1440).
  messageExpired: err(
    400,
    230031,
    'Message has expired when updating message, ext=Message can only be updated within fourteen days.',
  ),
  // 230099 wraps card-content failures. Using it for "update_multi missing" is
  // UNCONFIRMED: the patch doc states the rule but not which code breaks it.
  cardNotShared: err(
    400,
    230099,
    'Failed to create card content, ext=card is not shared: config.update_multi must be true before and after the update',
  ),

  // interactive/v1/card/update: the doc states 30 min and 2 uses but the
  // error code for a spent/expired token is UNCONFIRMED (the same API is known
  // to use the 3000xx range, e.g. 300090 "openid empty").
  cardTokenInvalid: err(400, 300100, 'card update token is invalid, expired or used up'),

  // im/v1/images. UNCONFIRMED numbers in the 234xxx range the image API uses.
  imageEmpty: err(400, 234010, "File's size can't be 0."),
  imageTooLarge: err(400, 234006, 'The file size exceeds the limit.'),

  notFound: err(404, 404, 'page not found'),
} as const satisfies Record<string, FeishuError>;

export interface FieldViolation {
  field: string;
  description: string;
}

/** The body Feishu sends with a field-validation failure. */
export function fieldViolationBody(violations: FieldViolation[]): Record<string, unknown> {
  return {
    code: CODES.fieldValidation.code,
    msg: CODES.fieldValidation.msg,
    error: { field_violations: violations },
  };
}
