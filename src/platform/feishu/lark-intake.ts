// Inbound half of the Feishu wrapper: events and card callbacks through the SDK's EventDispatcher,
// over a webhook (POST /lark/events) or the SDK's long connection (WSClient). Both share one dispatcher.
import * as lark from '@larksuiteoapi/node-sdk';
import { timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import { resolveDomain } from './lark-client.js';

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

export type IntakeHandlers = {
  onMessage(evt: LarkMessageEvent): Promise<void>;
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
function quietLogger(log: Logger) {
  const text = (a: unknown[]) => a.map((x) => (typeof x === 'string' ? x : x instanceof Error ? x.message : '')).filter(Boolean).join(' ');
  const debug = (...a: unknown[]) => log.debug({ sdk: true }, text(a));
  const warn = (...a: unknown[]) => log.warn({ sdk: true }, text(a));
  return { error: warn, warn, info: debug, debug, trace: debug };
}

export function createEventDispatcher(opts: IntakeOptions): lark.EventDispatcher {
  const dispatcher = new lark.EventDispatcher({
    encryptKey: opts.encryptKey || undefined,
    verificationToken: opts.verificationToken,
    logger: quietLogger(opts.logger),
  });
  return dispatcher.register({
    'im.message.receive_v1': async (data: unknown) => {
      await opts.handlers.onMessage(data as LarkMessageEvent);
      return ACCEPTED;
    },
    'card.action.trigger': async (data: unknown) => opts.handlers.onCardAction(data as LarkCardActionEvent),
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
  opts: Pick<IntakeOptions, 'encryptKey' | 'verificationToken'>,
  req: { headers: Record<string, string | string[] | undefined>; body: unknown },
): Promise<WebhookResult> {
  const body = req.body;
  if (!body || typeof body !== 'object') return { status: 400, body: { error: 'expected a JSON object' } };
  const data = Object.assign(Object.create({ headers: req.headers }) as object, body) as Record<string, unknown>;
  const encrypted = 'encrypt' in data;
  if (encrypted && !opts.encryptKey) return { status: 400, body: { error: 'encrypted delivery but no encrypt key configured' } };

  const plain = encrypted ? decryptBody(opts.encryptKey, String(data.encrypt)) : (body as Record<string, unknown>);
  if (!plain) return { status: 401, body: { error: 'cannot decrypt' } };

  // The URL check Feishu sends when the request URL is saved: echo the challenge within 1 s.
  if (plain.type === 'url_verification') {
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

  const result: unknown = await dispatcher.invoke(data);
  if (result === undefined) return { status: 401, body: { error: 'signature check failed' } };
  if (typeof result === 'string' && result.startsWith('no ')) return { status: 200, body: {} };
  if (result === ACCEPTED) return { status: 200, body: {} };
  return { status: 200, body: result };
}

function hasSignatureHeaders(headers: Record<string, string | string[] | undefined>): boolean {
  return Boolean(headers['x-lark-signature'] && headers['x-lark-request-timestamp'] && headers['x-lark-request-nonce']);
}

function decryptBody(encryptKey: string, encrypt: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(new lark.AESCipher(encryptKey).decrypt(encrypt)) as Record<string, unknown>;
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
  const ws = new lark.WSClient({
    appId: opts.appId,
    appSecret: opts.appSecret,
    domain: resolveDomain(opts.domain),
    logger: quietLogger(opts.logger),
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
