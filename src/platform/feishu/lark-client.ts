// The only module that calls Feishu through the SDK (lark-sdk.ts loads it). Every outbound call goes through here:
// idempotent sends (uuid), pacing under Feishu's limits, retry with backoff, coded errors.
import { sdk, type lark } from './lark-sdk.js';
import { sdkLogText } from './sdk-log.js';
import { jsonHttpInstance } from './json-http.js';
import type { Logger } from 'pino';
import { AppError, isAppError } from '../../errors.js';
import { larkCodeError, larkErrorFrom } from './lark-errors.js';
import { SentWindows, sleep, unpaced, type RateWindow, type SendPacer } from './send-pacer.js';
import type { ReceiveIdType } from '../../db/schema.js';

export type LarkLimits = {
  sendPerSecond: number;
  sendPerMinute: number;
  sendPerReceiverPerSecond: number;
  patchPerSecond: number;
  patchPerMinute: number;
  patchPerMessagePerSecond: number;
  cardUpdatePerSecond: number;
  cardUpdatePerMinute: number;
  urgentPerSecond: number;
  urgentPerMinute: number;
  contactPerSecond: number;
  contactPerMinute: number;
  imagePerSecond: number;
  imagePerMinute: number;
  filePerSecond: number;
  filePerMinute: number;
};

/** Feishu's published limits for the calls we make (see docs/feishu.md §1). */
export const FEISHU_LIMITS: LarkLimits = {
  sendPerSecond: 50,
  sendPerMinute: 1000,
  sendPerReceiverPerSecond: 5,
  patchPerSecond: 50,
  patchPerMinute: 1000,
  patchPerMessagePerSecond: 5,
  cardUpdatePerSecond: 50,
  cardUpdatePerMinute: 1000,
  urgentPerSecond: 50,
  urgentPerMinute: 1000,
  contactPerSecond: 50,
  contactPerMinute: 1000,
  imagePerSecond: 50,
  imagePerMinute: 1000,
  filePerSecond: 50,
  filePerMinute: 1000,
};

/** The limits a deployment configured (each defaults to the published one). */
export function larkLimitsFrom(c: {
  SEND_RATE_PER_SECOND: number; SEND_RATE_PER_MINUTE: number; SEND_RATE_PER_RECEIVER: number;
  PATCH_RATE_PER_SECOND: number; PATCH_RATE_PER_MINUTE: number; PATCH_RATE_PER_MESSAGE: number;
  CARD_UPDATE_RATE_PER_SECOND: number; CARD_UPDATE_RATE_PER_MINUTE: number;
  URGENT_RATE_PER_SECOND: number; URGENT_RATE_PER_MINUTE: number;
  CONTACT_RATE_PER_SECOND: number; CONTACT_RATE_PER_MINUTE: number;
  IMAGE_RATE_PER_SECOND: number; IMAGE_RATE_PER_MINUTE: number;
}): LarkLimits {
  return {
    sendPerSecond: c.SEND_RATE_PER_SECOND,
    sendPerMinute: c.SEND_RATE_PER_MINUTE,
    sendPerReceiverPerSecond: c.SEND_RATE_PER_RECEIVER,
    patchPerSecond: c.PATCH_RATE_PER_SECOND,
    patchPerMinute: c.PATCH_RATE_PER_MINUTE,
    patchPerMessagePerSecond: c.PATCH_RATE_PER_MESSAGE,
    cardUpdatePerSecond: c.CARD_UPDATE_RATE_PER_SECOND,
    cardUpdatePerMinute: c.CARD_UPDATE_RATE_PER_MINUTE,
    urgentPerSecond: c.URGENT_RATE_PER_SECOND,
    urgentPerMinute: c.URGENT_RATE_PER_MINUTE,
    contactPerSecond: c.CONTACT_RATE_PER_SECOND,
    contactPerMinute: c.CONTACT_RATE_PER_MINUTE,
    imagePerSecond: c.IMAGE_RATE_PER_SECOND,
    imagePerMinute: c.IMAGE_RATE_PER_MINUTE,
    // im/v1/files publishes the same 50/s, 1000/min as images; no deployment has asked to change it.
    filePerSecond: FEISHU_LIMITS.filePerSecond,
    filePerMinute: FEISHU_LIMITS.filePerMinute,
  };
}

/**
 * The SDK's HTTP client (axios) has no timeout of its own, so a stalled connection would hang a
 * send, a job or an import for ever instead of failing into the retry path. One wrapper, one place.
 */
export const LARK_HTTP_TIMEOUT_MS = 10_000;
setLarkHttpTimeout(LARK_HTTP_TIMEOUT_MS);

/** Process-wide, as the SDK's HTTP client is; tests shorten it to see a stall retried. */
export function setLarkHttpTimeout(ms: number): void {
  sdk.defaultHttpInstance.defaults.timeout = ms;
}

export type RetryPolicy = { maxAttempts: number; baseDelayMs: number; maxDelayMs: number; maxRateLimitWaitMs: number };
const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 6, baseDelayMs: 250, maxDelayMs: 8000, maxRateLimitWaitMs: 60_000 };

export type LarkClientOptions = {
  appId: string;
  appSecret: string;
  /** 'feishu', 'lark', or a base URL such as the sandbox's http://127.0.0.1:PORT */
  domain: string;
  logger: Logger;
  pacer?: SendPacer;
  limits?: Partial<LarkLimits>;
  retry?: Partial<RetryPolicy>;
};

export type Card = Record<string, unknown>;
export type LarkFileType = 'opus' | 'mp4' | 'pdf' | 'doc' | 'xls' | 'ppt' | 'stream';
export type SendTarget = { receiveId: string; receiveIdType?: ReceiveIdType };
export type SendArgs = SendTarget & { msgType: string; content: unknown; uuid: string };
export type UserMatch = { mobile?: string; email?: string; openId: string | null; userId?: string };

export function resolveDomain(domain: string): string | lark.Domain {
  if (domain === 'feishu') return sdk.Domain.Feishu;
  if (domain === 'lark') return sdk.Domain.Lark;
  return domain.replace(/\/+$/, '');
}

/** The SDK's token cache, ours so a rejected token can be dropped and fetched anew. */
class TokenCache {
  private values = new Map<string, { value: unknown; expiredTime?: number }>();
  async get(key: string | symbol | { toString(): string }, options?: { namespace?: string }): Promise<unknown> {
    const hit = this.values.get(this.key(key, options));
    if (hit && (!hit.expiredTime || hit.expiredTime > Date.now())) return hit.value;
    return undefined;
  }
  async set(key: string | symbol | { toString(): string }, value: unknown, expiredTime?: number, options?: { namespace?: string }): Promise<boolean> {
    this.values.set(this.key(key, options), { value, expiredTime });
    return true;
  }
  clear(): void {
    this.values.clear();
  }
  private key(key: string | symbol | { toString(): string }, options?: { namespace?: string }): string {
    return `${options?.namespace ?? ''}/${key.toString()}`;
  }
}

/** The SDK logs whole axios errors (request headers included); pass on messages only (sdk-log.ts). */
function sdkLogger(log: Logger, secrets: readonly string[]) {
  const flatten = (args: unknown[]) => sdkLogText(args, secrets);
  // Our own retry log line says what failed; the SDK's copy of an HTTP error adds nothing.
  const quiet = (...a: unknown[]) => {
    const msg = flatten(a);
    if (msg) log.debug({ sdk: true }, msg);
  };
  return {
    error: quiet,
    warn: quiet,
    info: (...a: unknown[]) => log.debug({ sdk: true }, flatten(a)),
    debug: (...a: unknown[]) => log.trace({ sdk: true }, flatten(a)),
    trace: (...a: unknown[]) => log.trace({ sdk: true }, flatten(a)),
  };
}

type Envelope<T> = { code?: number; msg?: string; data?: T };

export class LarkClient {
  readonly sdk: lark.Client;
  private readonly cache = new TokenCache();
  private readonly pacer: SendPacer;
  private readonly limits: LarkLimits;
  private readonly retry: RetryPolicy;
  private readonly log: Logger;
  /**
   * The same app through the SDK on a JSON-only transport (json-http.ts), for send, reply and
   * patch: a fan-out makes thousands of them, and axios cost four times the CPU of the call.
   * It shares the token cache, so both clients use one tenant token.
   */
  private readonly hot: lark.Client;
  /** When this process's calls actually left, per queue window (see SentWindows). */
  private readonly sentWindows = new SentWindows();

  constructor(opts: LarkClientOptions) {
    this.log = opts.logger.child({ component: 'lark' });
    this.pacer = opts.pacer ?? unpaced;
    this.limits = { ...FEISHU_LIMITS, ...opts.limits };
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
    this.sdk = new sdk.Client({
      appId: opts.appId,
      appSecret: opts.appSecret,
      domain: resolveDomain(opts.domain),
      cache: this.cache,
      logger: sdkLogger(this.log, [opts.appSecret]),
    });
    this.hot = new sdk.Client({
      appId: opts.appId,
      appSecret: opts.appSecret,
      domain: resolveDomain(opts.domain),
      cache: this.cache,
      logger: sdkLogger(this.log, [opts.appSecret]),
      httpInstance: jsonHttpInstance(() => Number(sdk.defaultHttpInstance.defaults.timeout) || LARK_HTTP_TIMEOUT_MS),
    });
  }

  /** The app-wide send rate this client paces at (per second). */
  get sendPerSecond(): number {
    return this.limits.sendPerSecond;
  }

  /** Sends a message; Feishu sends at most one message per uuid within an hour. */
  send(target: SendArgs): Promise<{ messageId: string }> {
    return this.sendAt(target);
  }

  /**
   * Sends several messages, each as send() would, with one pacer call per receiver for all of that
   * receiver's first attempts instead of one per message (an owner's cards: one script call, not
   * five); each message still goes out at its own slot, so they leave concurrently, in slot order.
   * A retried attempt paces alone. Outcomes come back in the order given; one failure stops nothing.
   */
  async sendEach(targets: SendArgs[]): Promise<({ messageId: string } | { error: unknown })[]> {
    const out: ({ messageId: string } | { error: unknown })[] = new Array(targets.length);
    const byReceiver = new Map<string, number[]>();
    for (const [i, t] of targets.entries()) {
      const group = byReceiver.get(t.receiveId);
      if (group) group.push(i);
      else byReceiver.set(t.receiveId, [i]);
    }
    await Promise.all(
      [...byReceiver.entries()].map(async ([receiveId, group]) => {
        // Without slots (no reserve, or Redis failing) each first attempt acquires alone, as send() does.
        const slots = group.length > 1 && this.pacer.reserve ? await this.pacer.reserve(this.sendWindows(receiveId), group.length).catch(() => []) : [];
        await Promise.all(
          group.map(async (i, j) => {
            try {
              out[i] = await this.sendAt(targets[i], slots[j]);
            } catch (e) {
              out[i] = { error: e };
            }
          }),
        );
      }),
    );
    return out;
  }

  /** send(), its first attempt at a slot reserved already (`slotMs` from when it was reserved) when given. */
  private async sendAt(target: SendArgs, slotMs?: number): Promise<{ messageId: string }> {
    checkUuid(target.uuid);
    const receiveIdType = target.receiveIdType ?? 'open_id';
    // Serialised once, whatever the number of attempts.
    const content = asContent(target.content);
    const data = await this.call<{ message_id: string }>('im.message.create', this.sendWindows(target.receiveId), () =>
      this.hot.im.message.create({
        params: { receive_id_type: receiveIdType },
        data: { receive_id: target.receiveId, msg_type: target.msgType, content, uuid: target.uuid },
      }),
    slotMs);
    return { messageId: data.message_id };
  }

  sendCard(target: SendTarget & { card: Card; uuid: string }): Promise<{ messageId: string }> {
    return this.send({ ...target, msgType: 'interactive', content: target.card });
  }

  sendText(target: SendTarget & { text: string; uuid: string }): Promise<{ messageId: string }> {
    return this.send({ ...target, msgType: 'text', content: { text: target.text } });
  }

  /** Replies in the thread of a message; `chatId` is what the per-chat limit counts against. */
  async reply(opts: { messageId: string; chatId: string; msgType: string; content: unknown; uuid: string }): Promise<{ messageId: string }> {
    checkUuid(opts.uuid);
    const content = asContent(opts.content);
    const data = await this.call<{ message_id: string }>('im.message.reply', this.sendWindows(opts.chatId), () =>
      this.hot.im.message.reply({ path: { message_id: opts.messageId }, data: { msg_type: opts.msgType, content, uuid: opts.uuid } }),
    );
    return { messageId: data.message_id };
  }

  /** Replaces a sent card. Feishu requires update_multi: true on both versions, and 14 days at most. */
  async patchCard(opts: { messageId: string; card: Card }): Promise<void> {
    await this.call('im.message.patch', [
      ...this.apiWindows('patch', this.limits.patchPerSecond, this.limits.patchPerMinute),
      { key: `patch:${opts.messageId}`, limit: this.limits.patchPerMessagePerSecond, windowMs: 1000 },
    ], () => this.hot.im.message.patch({ path: { message_id: opts.messageId }, data: { content: JSON.stringify(opts.card) } }));
  }

  /** Delayed update with a callback's token: valid 30 minutes, twice at most; call after answering. */
  async delayedUpdateCard(opts: { token: string; card: Card }): Promise<void> {
    await this.call('interactive.card.update', this.apiWindows('card-update', this.limits.cardUpdatePerSecond, this.limits.cardUpdatePerMinute), () =>
      this.sdk.request({ method: 'POST', url: '/open-apis/interactive/v1/card/update', data: { token: opts.token, card: opts.card } }),
    );
  }

  async uploadImage(image: Buffer): Promise<string> {
    if (image.length === 0) throw new AppError('VALIDATION', 'image is empty', { userMessage: '图片为空' });
    if (image.length > 10 * 1024 * 1024) throw new AppError('VALIDATION', 'image over 10 MB', { userMessage: '图片不能超过 10 MB' });
    // The SDK unwraps this call's envelope and returns {image_key} itself (code-gen/projects/im.ts).
    const res = await this.callRaw('im.image.create', this.apiWindows('image', this.limits.imagePerSecond, this.limits.imagePerMinute), () =>
      this.sdk.im.image.create({ data: { image_type: 'message', image } }),
    );
    const key = (res as { image_key?: string } | null)?.image_key ?? (res as Envelope<{ image_key: string }> | null)?.data?.image_key;
    if (!key) throw new AppError('LARK_PERMANENT', 'im.image.create: no image_key in answer');
    return key;
  }

  /**
   * Uploads a file for a file message (im/v1/files): ≤ 30 MB, not empty. `fileType` is one of
   * Feishu's values (opus, mp4, pdf, doc, xls, ppt; stream for anything else).
   */
  async uploadFile(opts: { file: Buffer; fileName: string; fileType: LarkFileType }): Promise<string> {
    if (opts.file.length === 0) throw new AppError('VALIDATION', 'file is empty', { userMessage: '文件为空' });
    if (opts.file.length > 30 * 1024 * 1024) throw new AppError('VALIDATION', 'file over 30 MB', { userMessage: '文件不能超过 30 MB' });
    // Like im.image.create, the SDK unwraps the envelope and returns {file_key}.
    const res = await this.callRaw('im.file.create', this.apiWindows('file', this.limits.filePerSecond, this.limits.filePerMinute), () =>
      this.sdk.im.file.create({ data: { file_type: opts.fileType, file_name: opts.fileName, file: opts.file } }),
    );
    const key = (res as { file_key?: string } | null)?.file_key ?? (res as Envelope<{ file_key: string }> | null)?.data?.file_key;
    if (!key) throw new AppError('LARK_PERMANENT', 'im.file.create: no file_key in answer');
    return key;
  }

  /** Resolves mobiles and emails to open_ids, 50 of each per request as the API allows. */
  async lookupUsers(query: { mobiles?: string[]; emails?: string[] }): Promise<UserMatch[]> {
    const out: UserMatch[] = [];
    const mobiles = [...new Set(query.mobiles ?? [])];
    const emails = [...new Set(query.emails ?? [])];
    for (let i = 0; i < Math.max(mobiles.length, emails.length); i += 50) {
      const m = mobiles.slice(i, i + 50);
      const e = emails.slice(i, i + 50);
      const data = await this.call<{ user_list?: { user_id?: string; mobile?: string; email?: string }[] }>(
        'contact.user.batchGetId',
        this.apiWindows('contact', this.limits.contactPerSecond, this.limits.contactPerMinute),
        () =>
          this.sdk.contact.user.batchGetId({
            params: { user_id_type: 'open_id' },
            data: { ...(m.length ? { mobiles: m } : {}), ...(e.length ? { emails: e } : {}), include_resigned: false },
          }),
      );
      for (const u of data.user_list ?? []) {
        out.push({ ...(u.mobile ? { mobile: u.mobile } : {}), ...(u.email ? { email: u.email } : {}), openId: u.user_id ?? null });
      }
    }
    return out;
  }

  /** Buzzes recipients of a message in-app (加急). */
  async urgentApp(opts: { messageId: string; openIds: string[] }): Promise<{ invalid: string[] }> {
    const data = await this.call<{ invalid_user_id_list?: string[] }>('im.message.urgentApp', this.apiWindows('urgent', this.limits.urgentPerSecond, this.limits.urgentPerMinute), () =>
      this.sdk.im.message.urgentApp({
        path: { message_id: opts.messageId },
        params: { user_id_type: 'open_id' },
        data: { user_id_list: opts.openIds },
      }),
    );
    return { invalid: data.invalid_user_id_list ?? [] };
  }

  private sendWindows(receiveId: string): RateWindow[] {
    return [
      ...this.apiWindows('send', this.limits.sendPerSecond, this.limits.sendPerMinute),
      { key: `send:to:${receiveId}`, limit: this.limits.sendPerReceiverPerSecond, windowMs: 1000 },
    ];
  }

  /** An API's per-app windows: Feishu counts both the second and the minute (feishu-facts §1). */
  private apiWindows(api: string, perSecond: number, perMinute: number): RateWindow[] {
    return [
      { key: `${api}:s`, limit: perSecond, windowMs: 1000, queue: true },
      { key: `${api}:m`, limit: perMinute, windowMs: 60_000, queue: true },
    ];
  }

  private async call<T>(op: string, windows: RateWindow[], fn: () => Promise<unknown>, slotMs?: number): Promise<T> {
    const res = (await this.callRaw(op, windows, fn, slotMs)) as Envelope<T>;
    return (res.data ?? {}) as T;
  }

  /**
   * Paces, calls, checks the body code, and retries what Feishu says may be retried. `slotMs`: the
   * first attempt's slot, reserved already in every window (sendEach); it then only waits for it.
   */
  private async callRaw(op: string, windows: RateWindow[], fn: () => Promise<unknown>, slotMs?: number): Promise<unknown> {
    let tokenRefreshed = false;
    let rateLimited = 0;
    for (let attempt = 1; ; attempt++) {
      let error: AppError;
      try {
        if (attempt === 1 && slotMs !== undefined) {
          if (slotMs > 0) await sleep(slotMs);
        } else {
          await this.pacer.acquire(windows);
        }
        const ticket = await this.sentWindows.admit(windows);
        const res = await fn().finally(() => this.sentWindows.answered(ticket));
        const code = (res as Envelope<unknown> | null)?.code;
        if (code === undefined || code === 0) return res;
        error = larkCodeError(op, code, (res as Envelope<unknown>).msg);
      } catch (e) {
        error = larkErrorFrom(e, op);
      }
      if (!isAppError(error) || !error.retryable || attempt >= this.retry.maxAttempts) throw error;
      if (error.code === 'LARK_AUTH') {
        if (tokenRefreshed) throw error;
        tokenRefreshed = true;
        this.cache.clear();
        this.log.warn({ op, larkCode: error.details.larkCode }, 'tenant token rejected; fetching a new one');
        continue;
      }
      if (error.code === 'LARK_RATE_LIMITED') rateLimited++;
      // A paced call's first rate-limit answer with the header's least reset ("1": within the
      // second) came from arrival jitter: the pacer counted every call of ours and gave this one a
      // slot after its windows had room, but calls sent late (a busy event loop, a slow reply)
      // arrived bunched. Its next slot is as sound as any paced call's, so it takes that slot
      // rather than a blanket second that also holds a worker; a second answer for the same call
      // means the pacer's count is not the tenant's (another sender), and the hint is obeyed.
      const quick = rateLimited === 1 && this.pacer !== unpaced && error.code === 'LARK_RATE_LIMITED' && error.details.retryAfterMs !== undefined && error.details.retryAfterMs <= 1000;
      const wait = quick ? 0 : this.waitBefore(attempt, error);
      this.log.warn({ op, attempt, waitMs: wait, code: error.code, larkCode: error.details.larkCode, status: error.details.httpStatus }, 'lark call failed; retrying');
      if (wait > 0) await sleep(wait);
    }
  }

  private waitBefore(attempt: number, error: AppError): number {
    // Feishu's documented handling of a rate limit: wait x-ogw-ratelimit-reset seconds, then retry.
    if (error.code === 'LARK_RATE_LIMITED' && error.details.retryAfterMs) {
      return Math.min(error.details.retryAfterMs + Math.floor(Math.random() * 100), this.retry.maxRateLimitWaitMs);
    }
    const exp = Math.min(this.retry.baseDelayMs * 2 ** (attempt - 1), this.retry.maxDelayMs);
    return Math.floor(exp / 2 + Math.random() * (exp / 2));
  }
}

function asContent(content: unknown): string {
  return typeof content === 'string' ? content : JSON.stringify(content);
}

function checkUuid(uuid: string): void {
  // Feishu accepts at most 50 characters.
  if (!uuid || uuid.length > 50) throw new AppError('INTERNAL', `message uuid must be 1..50 chars, got ${uuid.length}`);
}
