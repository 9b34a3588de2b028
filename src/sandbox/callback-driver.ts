// Plays the Feishu side of event and callback delivery against a bot: builds
// the payload, encrypts and signs it the way Feishu does (X-Lark-Request-
// Timestamp/Nonce/Signature; body {"encrypt": …} when an Encrypt Key is set),
// POSTs it — or pushes it over the simulated long connection — and reports
// what the bot answered. Card callbacks get a fresh delayed-update token and,
// like the Feishu client, apply a returned `card` to the message.
import { randomBytes } from 'node:crypto';
import {
  botAddedEvent,
  cardActionTrigger,
  messageReceiveEvent,
  newEventId,
  newMessageId,
  urlVerificationPayload,
  type Identity,
  type Mention,
} from './event-payloads.js';
import type { FakeFeishu } from './fake-feishu.js';
import { isRecord } from './http-util.js';
import { encryptPayload, signPayload } from './lark-crypto.js';
import { CallbackRefusedError, judgeCallbackAnswer, refuseExpiredCard, CALLBACK_DEADLINE_MS, type CallbackClientError } from './callback-rules.js';

export interface FeishuDriverOptions {
  /** The bot's callback URL, e.g. http://127.0.0.1:3000/lark/events. */
  targetUrl: string;
  appId: string;
  verificationToken: string;
  encryptKey?: string;
  /** The simulated tenant: identities, delayed-update tokens, card replacement, long connection. */
  fake?: FakeFeishu;
  now?: () => number;
  tenantKey?: string;
  /** Give up on an HTTP delivery after this long (default 10 s; Feishu itself waits 3 s). */
  timeoutMs?: number;
  /**
   * A card callback answered later than this is dropped, as Feishu does at 3 s (200341); tests
   * may shorten it to prove the rule without waiting.
   */
  callbackDeadlineMs?: number;
}

/** Ways to spoil a delivery, to prove the bot refuses it. */
export interface DeliveryOptions {
  /** Change one byte of the body after signing (the JSON stays valid). */
  tamper?: boolean;
  /** Send a signature that was not computed from the body. */
  forgeSignature?: boolean;
  /** Send no timestamp, nonce or signature headers. */
  unsigned?: boolean;
  /** Put a wrong Verification Token in the payload. */
  wrongToken?: boolean;
  /**
   * For card actions: report a late answer (200341) in the result instead of throwing. Without
   * it a callback slower than Feishu's 3 s fails the test that drives it.
   */
  allowLate?: boolean;
}

export interface Delivery {
  kind: 'url_verification' | 'event' | 'card_action';
  /** The plaintext payload. */
  payload: Record<string, unknown>;
  /** Exactly the bytes sent over HTTP. */
  body: string;
  headers: Record<string, string>;
  eventId?: string;
  /** For card actions: the message whose card a returned `card` replaces. */
  messageId?: string;
}

export interface DeliveryResult {
  status: number;
  /** The answer parsed as JSON; the raw text if it is not JSON; undefined if empty. */
  body: unknown;
  rawBody: string;
  elapsedMs: number;
  delivery: Delivery;
  /**
   * For card actions: the error the Feishu client would show instead of the answer (200341 late,
   * 200671 not HTTP 200, 200672 bad body, 200673 bad card, 200830 2.0 card answered with 1.0).
   * When set, a returned card was not applied.
   */
  clientError?: CallbackClientError;
}

export interface MessageEventParams {
  senderOpenId: string;
  text?: string;
  messageType?: string;
  /** Content JSON string; overrides `text`. */
  content?: string;
  chatType: 'p2p' | 'group';
  chatId?: string;
  mentions?: Mention[];
  messageId?: string;
  eventId?: string;
  rootId?: string;
  parentId?: string;
}

export interface CardActionParams {
  operatorOpenId: string;
  /** open_message_id of the card. */
  messageId: string;
  chatId?: string;
  value: Record<string, unknown>;
  formValue?: Record<string, unknown>;
  name?: string;
  tag?: string;
  inputValue?: string;
  eventId?: string;
}

export class FeishuDriver {
  /** Deliver through the fake's long connection (the SDK's WSClient) instead of HTTP. */
  viaWebSocket = false;
  last: Delivery | undefined;
  private readonly now: () => number;
  private readonly tenantKey: string;

  constructor(private readonly options: FeishuDriverOptions) {
    this.now = options.now ?? options.fake?.options.now ?? Date.now;
    this.tenantKey = options.tenantKey ?? options.fake?.options.tenantKey ?? 'sandbox_tenant';
  }

  /** The challenge Feishu sends when a callback URL is saved; the bot must echo it. */
  async urlVerification(opts: DeliveryOptions = {}): Promise<DeliveryResult & { challenge: string }> {
    const challenge = randomBytes(12).toString('hex');
    const token = opts.wrongToken ? 'wrong-verification-token' : this.options.verificationToken;
    const delivery = this.prepare('url_verification', urlVerificationPayload(token, challenge), opts);
    return { ...(await this.sendHttp(delivery)), challenge };
  }

  async sendMessageEvent(
    params: MessageEventParams,
    opts: DeliveryOptions = {},
  ): Promise<DeliveryResult & { eventId: string; messageId: string }> {
    const eventId = params.eventId ?? newEventId();
    const messageId = params.messageId ?? newMessageId();
    const sender = this.identity(params.senderOpenId);
    const chatId = params.chatId ?? this.p2pChatId(params.senderOpenId);
    const payload = messageReceiveEvent({
      ...this.envelope(eventId, opts),
      sender,
      chatId,
      chatType: params.chatType,
      messageId,
      messageType: params.messageType ?? 'text',
      content: params.content ?? JSON.stringify({ text: params.text ?? '' }),
      mentions: params.mentions,
      rootId: params.rootId,
      parentId: params.parentId,
    });
    this.options.fake?.recordUserMessage({
      appId: this.options.appId,
      messageId,
      senderOpenId: params.senderOpenId,
      chatId,
      msgType: params.messageType ?? 'text',
      content: params.content ?? JSON.stringify({ text: params.text ?? '' }),
    });
    const result = await this.deliver(this.prepare('event', payload, opts, eventId));
    return { ...result, eventId, messageId };
  }

  /** A user adds the bot to a group: im.chat.member.bot.added_v1. */
  async botAdded(params: { chatId: string; operatorOpenId: string; name?: string; eventId?: string }, opts: DeliveryOptions = {}): Promise<DeliveryResult & { eventId: string }> {
    const eventId = params.eventId ?? newEventId();
    const name = params.name ?? this.options.fake?.findChat(params.chatId)?.name ?? '';
    const payload = botAddedEvent({ ...this.envelope(eventId, opts), chatId: params.chatId, operator: this.identity(params.operatorOpenId), name });
    const result = await this.deliver(this.prepare('event', payload, opts, eventId));
    return { ...result, eventId };
  }

  async cardAction(params: CardActionParams, opts: DeliveryOptions = {}): Promise<DeliveryResult & { token: string }> {
    const eventId = params.eventId ?? newEventId();
    const fake = this.options.fake;
    // A 2.0 card can be clicked for 14 days; after that the client refuses and nothing is sent.
    refuseExpiredCard(fake?.message(params.messageId), this.now());
    // Feishu mints a delayed-update token per interaction (valid 30 min, 2 uses).
    const token = fake ? fake.issueCardToken(params.messageId) : `c-${randomBytes(20).toString('hex')}`;
    const payload = cardActionTrigger({
      ...this.envelope(eventId, opts),
      operator: this.identity(params.operatorOpenId),
      updateToken: token,
      openMessageId: params.messageId,
      openChatId: params.chatId ?? fake?.message(params.messageId)?.chat_id ?? '',
      value: params.value,
      tag: params.tag ?? 'button',
      name: params.name,
      formValue: params.formValue,
      inputValue: params.inputValue,
    });
    const delivery = this.prepare('card_action', payload, opts, eventId);
    delivery.messageId = params.messageId;
    const result = await this.deliverCardAction(delivery, opts);
    return { ...result, token };
  }

  /** Sends a previous delivery again, byte for byte (same event_id): Feishu's retry. */
  async redeliver(delivery: Delivery, opts: DeliveryOptions = {}): Promise<DeliveryResult> {
    if (delivery.kind === 'card_action') return this.deliverCardAction(delivery, opts);
    return this.deliver(delivery);
  }

  /**
   * A card action as the Feishu client lives it: the card is locked while the callback is in
   * flight (updates answer "card action is lock"), the answer is judged (3 s, HTTP 200, a valid
   * body and card) and only a good answer's card replaces the one shown.
   */
  private async deliverCardAction(delivery: Delivery, opts: DeliveryOptions): Promise<DeliveryResult> {
    const fake = this.options.fake;
    const messageId = delivery.messageId;
    if (fake && messageId) fake.beginCardAction(messageId);
    let result: DeliveryResult;
    try {
      result = await this.deliver(delivery);
    } finally {
      if (fake && messageId) fake.endCardAction(messageId);
    }
    const current = messageId ? fake?.message(messageId)?.content : undefined;
    const clientError = judgeCallbackAnswer(result, current, this.options.callbackDeadlineMs ?? CALLBACK_DEADLINE_MS);
    if (clientError) {
      const judged = { ...result, clientError };
      if (clientError.code === 200341 && !opts.allowLate) throw new CallbackRefusedError(clientError, judged);
      return judged;
    }
    this.applyReturnedCard(delivery, result);
    return result;
  }

  private envelope(eventId: string, opts: DeliveryOptions) {
    return {
      appId: this.options.appId,
      tenantKey: this.tenantKey,
      verificationToken: opts.wrongToken ? 'wrong-verification-token' : this.options.verificationToken,
      eventId,
      now: this.now(),
    };
  }

  private identity(openId: string): Identity {
    const user = this.options.fake?.findUser({ open_id: openId });
    return { open_id: openId, union_id: user?.union_id ?? `on_${openId.slice(3)}`, user_id: user?.user_id ?? openId.slice(3, 11) };
  }

  private p2pChatId(openId: string): string {
    return this.options.fake?.p2pChatId(openId) ?? `oc_p2p_${openId.slice(3, 19)}`;
  }

  private prepare(kind: Delivery['kind'], payload: Record<string, unknown>, opts: DeliveryOptions, eventId?: string): Delivery {
    const plain = JSON.stringify(payload);
    const key = this.options.encryptKey;
    let body = key ? JSON.stringify({ encrypt: encryptPayload(plain, key) }) : plain;
    const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
    if (!opts.unsigned) {
      // Feishu signs with its wall clock, and the bot checks freshness against its own: the transport
      // keeps real time even when the tenant's clock (card lifetimes, event times) is simulated.
      const timestamp = String(Math.floor(Date.now() / 1000));
      const nonce = randomBytes(8).toString('hex');
      headers['x-lark-request-timestamp'] = timestamp;
      headers['x-lark-request-nonce'] = nonce;
      // Without an Encrypt Key Feishu still sends the headers; the SDK checks
      // the signature only when it has a key (docs/feishu.md §2).
      headers['x-lark-signature'] = opts.forgeSignature
        ? randomBytes(32).toString('hex')
        : signPayload(timestamp, nonce, key ?? '', body);
    }
    if (opts.tamper) body = tamper(body);
    const delivery: Delivery = { kind, payload, body, headers, eventId };
    this.last = delivery;
    return delivery;
  }

  private async deliver(delivery: Delivery): Promise<DeliveryResult> {
    if (!this.viaWebSocket) return this.sendHttp(delivery);
    const fake = this.options.fake;
    if (!fake) throw new Error('viaWebSocket needs the driver to be given the FakeFeishu');
    const started = Date.now();
    // Over the long connection Feishu sends the plaintext payload: no
    // encryption or signature (docs/feishu.md §5).
    const ack = await fake.deliverOverWebSocket(this.options.appId, delivery.payload);
    const rawBody = ack.body === undefined ? '' : JSON.stringify(ack.body);
    return { status: ack.code, body: ack.body, rawBody, elapsedMs: Date.now() - started, delivery };
  }

  private async sendHttp(delivery: Delivery): Promise<DeliveryResult> {
    const started = Date.now();
    const response = await fetch(this.options.targetUrl, {
      method: 'POST',
      headers: delivery.headers,
      body: delivery.body,
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
    });
    const rawBody = await response.text();
    let body: unknown;
    try {
      body = rawBody === '' ? undefined : JSON.parse(rawBody);
    } catch {
      body = rawBody;
    }
    return { status: response.status, body, rawBody, elapsedMs: Date.now() - started, delivery };
  }

  /** Like the Feishu client: a callback answered with a card replaces the card shown. */
  private applyReturnedCard(delivery: Delivery, result: DeliveryResult): void {
    const fake = this.options.fake;
    if (!fake || !delivery.messageId || result.status !== 200 || !isRecord(result.body)) return;
    const card = result.body.card;
    if (!isRecord(card)) return;
    if (card.type === 'raw' && isRecord(card.data)) fake.applyCallbackCard(delivery.messageId, card.data);
    else if (card.type === 'template') fake.applyCallbackCard(delivery.messageId, card);
  }
}

/** Flips one character near the middle, keeping the JSON parseable (digit→digit, letter case swapped). */
export function tamper(body: string): string {
  const chars = [...body];
  const mid = Math.floor(chars.length / 2);
  for (let offset = 0; offset < chars.length; offset++) {
    const i = (mid + offset) % chars.length;
    const c = chars[i] ?? '';
    if (/[0-9]/.test(c)) chars[i] = String((Number(c) + 1) % 10);
    else if (/[a-z]/.test(c)) chars[i] = c.toUpperCase();
    else if (/[A-Z]/.test(c)) chars[i] = c.toLowerCase();
    else continue;
    return chars.join('');
  }
  return `${body} `;
}
