// Inbound half of the Feishu wrapper: events and card callbacks through the SDK's EventDispatcher,
// over a webhook (POST /lark/events) or the SDK's long connection (WSClient). Both share one dispatcher.
import { sdk, type lark } from './lark-sdk.js';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import { resolveDomain } from './lark-client.js';
import { sdkLogText } from './sdk-log.js';

/** Flattened event as the SDK hands it to handlers: {schema, ...header, ...event}. */
export type LarkMessageEvent = {
  event_id: string;
  create_time?: string;
  sender: { sender_id?: { open_id?: string; user_id?: string; union_id?: string }; sender_type?: string };
  message: {
    message_id: string;
    chat_id: string;
    /** 'p2p' or 'group' */
    chat_type: string;
    message_type: string;
    content: string;
    create_time?: string;
    parent_id?: string;
    root_id?: string;
    mentions?: { key: string; id: { open_id?: string }; name: string }[];
  };
};

/** For card callbacks the SDK's flattening makes `token` the delayed-update token (event.token). */
export type LarkCardActionEvent = {
  event_id: string;
  token?: string;
  operator: { open_id: string; user_id?: string; union_id?: string };
  action: {
    value?: unknown;
    tag?: string;
    name?: string;
    form_value?: Record<string, unknown>;
    input_value?: string;
    option?: string;
    timezone?: string;
  };
  context?: { open_message_id?: string; open_chat_id?: string };
};

export type CardCallbackResponse = {
  toast?: { type: 'info' | 'success' | 'error' | 'warning'; content: string };
  card?: { type: 'raw'; data: Record<string, unknown> };
};

/** im.chat.member.bot.added_v1, flattened: a user added the bot to a group. */
export type LarkBotAddedEvent = {
  event_id: string;
  chat_id: string;
  operator_id?: { open_id?: string; user_id?: string; union_id?: string };
  name?: string;
  external?: boolean;
};

export type IntakeHandlers = {
  onMessage(evt: LarkMessageEvent): Promise<void>;
  onBotAdded?(evt: LarkBotAddedEvent): Promise<void>;
  onCardAction(evt: LarkCardActionEvent): Promise<CardCallbackResponse>;
};

export type IntakeOptions = {
  encryptKey: string;
  verificationToken: string;
  logger: Logger;
  handlers: IntakeHandlers;
};

export type Dispatcher = lark.EventDispatcher;

const ACCEPTED = Symbol('accepted');

/** SDK chatter goes to debug; its errors and warnings (a refused app id, a lost connection) stay visible. */
function quietLogger(log: Logger, secrets: readonly string[] = []) {
  const debug = (...a: unknown[]) => log.debug({ sdk: true }, sdkLogText(a, secrets));
  const warn = (...a: unknown[]) => log.warn({ sdk: true }, sdkLogText(a, secrets));
  return { error: warn, warn, info: debug, debug, trace: debug };
}

export function createEventDispatcher(opts: IntakeOptions): lark.EventDispatcher {
  const dispatcher = new sdk.EventDispatcher({
    encryptKey: opts.encryptKey || undefined,
    verificationToken: opts.verificationToken,
    logger: quietLogger(opts.logger, [opts.encryptKey, opts.verificationToken]),
  });
  return dispatcher.register({
    'im.message.receive_v1': async (data: unknown) => {
      await opts.handlers.onMessage(data as LarkMessageEvent);
      return ACCEPTED;
    },
    'card.action.trigger': async (data: unknown) => opts.handlers.onCardAction(data as LarkCardActionEvent),
    'im.chat.member.bot.added_v1': async (data: unknown) => {
      await opts.handlers.onBotAdded?.(data as LarkBotAddedEvent);
      return ACCEPTED;
    },
  } as never);
}

export type WebhookResult = { status: number; body: unknown };

/**
 * Verifies and dispatches one webhook delivery. With an Encrypt Key the SDK checks the SHA-256
 * signature over timestamp+nonce+key+body; without one it checks nothing, so we compare the
 * Verification Token ourselves (docs/feishu.md §2). A failed check is a 401, never a silent 200.
 */
export async function handleWebhook(
  dispatcher: lark.EventDispatcher,
  opts: Pick<IntakeOptions, 'encryptKey' | 'verificationToken'> & { now?: () => number },
  req: { headers: Record<string, string | string[] | undefined>; body: unknown; rawBody?: string },
): Promise<WebhookResult> {
  const body = req.body;
  if (!body || typeof body !== 'object' || Array.isArray(body)) return { status: 400, body: { error: 'expected a JSON object' } };
  const data = Object.assign(Object.create({ headers: req.headers }) as object, body) as Record<string, unknown>;
  const encrypted = 'encrypt' in data;
  if (encrypted && !opts.encryptKey) return { status: 400, body: { error: 'encrypted delivery but no encrypt key configured' } };
  if (opts.encryptKey && !hasSignatureHeaders(req.headers)) return { status: 401, body: { error: 'unsigned' } };
  // A signed request is only good near the time it was signed: a captured one cannot be
  // replayed days later (bolt-js allows 5 minutes the same way).
  const stamp = headerValue(req.headers, 'x-lark-request-timestamp');
  if (stamp !== undefined) {
    const seconds = Number(stamp);
    const now = (opts.now ?? Date.now)();
    if (!Number.isFinite(seconds) || Math.abs(now - seconds * 1000) > FRESHNESS_WINDOW_MS) return { status: 401, body: { error: 'stale or future timestamp' } };
  }

  const plain = encrypted ? decryptBody(opts.encryptKey, String(data.encrypt)) : (body as Record<string, unknown>);
  if (!plain) return { status: 401, body: { error: 'cannot decrypt' } };

  // The URL check Feishu sends when the request URL is saved: echo the challenge within 1 s.
  // The SDK's dispatcher never sees it, so with an Encrypt Key its signature is checked here.
  if (plain.type === 'url_verification') {
    if (opts.encryptKey && !validSignature(opts.encryptKey, req.headers, req.rawBody ?? JSON.stringify(body))) return { status: 401, body: { error: 'signature check failed' } };
    if (!safeEqual(typeof plain.token === 'string' ? plain.token : '', opts.verificationToken)) return { status: 401, body: { error: 'bad token' } };
    return { status: 200, body: { challenge: plain.challenge } };
  }
  const header = (plain.header ?? {}) as { token?: string };
  const token = header.token ?? (plain.token as string | undefined);
  if (!opts.encryptKey && !safeEqual(String(token ?? ''), opts.verificationToken)) {
    return { status: 401, body: { error: 'bad verification token' } };
  }
  if (opts.encryptKey && !hasSignatureHeaders(req.headers)) return { status: 401, body: { error: 'unsigned' } };
  // Even when signed, the token inside must be ours (a different app's delivery is refused).
  if (token !== undefined && !safeEqual(String(token), opts.verificationToken)) return { status: 401, body: { error: 'bad verification token' } };
  // Exactly-once handling is keyed on the event id: a delivery without one cannot be told from
  // another, so it is refused rather than answered with some other delivery's answer.
  if (!eventIdOf(plain)) return { status: 400, body: { error: 'missing event id' } };

  // The SDK's own signature check, then its dispatch of the body already decrypted above: left to
  // itself, invoke() would decrypt the same body a second time.
  if (opts.encryptKey && !dispatcher.requestHandle?.checkIsEventValidated(data)) {
    // Refused either way; the SDK's own path says so in its words ("verification failed") in our log.
    await dispatcher.invoke(data);
    return { status: 401, body: { error: 'signature check failed' } };
  }
  const plainData = Object.assign(Object.create({ headers: req.headers }) as object, plain);
  const result: unknown = await dispatcher.invoke(plainData, { needCheck: false });
  if (result === undefined) return { status: 401, body: { error: 'signature check failed' } };
  if (typeof result === 'string' && result.startsWith('no ')) return { status: 200, body: {} };
  if (result === ACCEPTED) return { status: 200, body: {} };
  return { status: 200, body: result };
}

/** How far a delivery's x-lark-request-timestamp may be from our clock. */
export const FRESHNESS_WINDOW_MS = 5 * 60 * 1000;

/** header.event_id (schema 2.0) or uuid (the old 1.0 events). */
function eventIdOf(plain: Record<string, unknown>): string | undefined {
  const header = plain.header as { event_id?: unknown } | undefined;
  const id = header?.event_id ?? plain.uuid;
  return typeof id === 'string' && id.length > 0 ? id : undefined;
}

function headerValue(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function validSignature(encryptKey: string, headers: Record<string, string | string[] | undefined>, rawBody: string): boolean {
  const timestamp = headerValue(headers, 'x-lark-request-timestamp') ?? '';
  const nonce = headerValue(headers, 'x-lark-request-nonce') ?? '';
  const signature = headerValue(headers, 'x-lark-signature') ?? '';
  const expected = createHash('sha256').update(timestamp + nonce + encryptKey + rawBody).digest('hex');
  return safeEqual(signature, expected);
}

function hasSignatureHeaders(headers: Record<string, string | string[] | undefined>): boolean {
  return Boolean(headers['x-lark-signature'] && headers['x-lark-request-timestamp'] && headers['x-lark-request-nonce']);
}

// The cipher hashes its key when made: one per key, not one per delivery.
const ciphers = new Map<string, lark.AESCipher>();

function decryptBody(encryptKey: string, encrypt: string): Record<string, unknown> | undefined {
  try {
    let cipher = ciphers.get(encryptKey);
    if (!cipher) ciphers.set(encryptKey, (cipher = new sdk.AESCipher(encryptKey)));
    return JSON.parse(cipher.decrypt(encrypt)) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Long-connection mode: no public URL, no signature; Feishu picks one connected client per event. */
export function startLongConnection(opts: { appId: string; appSecret: string; domain: string; logger: Logger; dispatcher: lark.EventDispatcher }): {
  ready: Promise<void>;
  close: () => void;
} {
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const ws = new sdk.WSClient({
    appId: opts.appId,
    appSecret: opts.appSecret,
    domain: resolveDomain(opts.domain),
    logger: quietLogger(opts.logger, [opts.appSecret]),
    autoReconnect: true,
    onReady: () => {
      opts.logger.info('long connection ready');
      markReady();
    },
    onError: (e: Error) => opts.logger.error({ err: e.message }, 'long connection error'),
    onReconnecting: () => opts.logger.warn('long connection reconnecting'),
  });
  void ws.start({ eventDispatcher: wsAdapter(opts.dispatcher) });
  return { ready, close: () => ws.close({ force: true }) };
}

/** The WS client sends the handler's return as the callback answer; our ACCEPTED marker becomes {}. */
function wsAdapter(dispatcher: lark.EventDispatcher): lark.EventDispatcher {
  const invoke = dispatcher.invoke.bind(dispatcher);
  return Object.assign(Object.create(dispatcher) as lark.EventDispatcher, {
    invoke: async (data: unknown, params?: unknown) => {
      const r: unknown = await invoke(data, params as never);
      return r === ACCEPTED ? {} : r;
    },
  });
}
