// A simulated Feishu tenant: an HTTP server speaking the Open API wire format
// closely enough that the official SDK, pointed at it with
// `new lark.Client({ appId, appSecret, domain: fake.url })`, works unchanged.
// Used by tests, benchmarks and the demo; nothing here talks to Feishu.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleControl } from './control-routes.js';
import { serveConsole } from './console/console-server.js';
import { Directory, type NewUser, type SandboxUser } from './directory.js';
import { FaultRegistry, type FaultSpec } from './faults.js';
import { isRecord, readBody, sendJson } from './http-util.js';
import { MessageStore, type SandboxMessage } from './message-store.js';
import { OpenApiPipeline, type RequestRecord } from './open-api-pipeline.js';
import { SlidingWindowLimiter } from './rate-limiter.js';
import { DEFAULT_LIMITS, type SandboxLimits, type StoredFile, type StoredImage, type Tenant } from './tenant.js';
import { TokenIssuer } from './token-issuer.js';
import { WsGateway, type WsAck } from './ws-gateway.js';

/** The subset of a pino logger the sandbox uses. */
export interface SandboxLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface FakeFeishuOptions {
  /** appId → appSecret of the apps the tenant knows. */
  apps: Record<string, string>;
  tokenTtlSeconds: number;
  limits: SandboxLimits;
  /** Clock in ms; everything time-based (tokens, uuid window, 14 days, card tokens, rate windows) reads it. */
  now: () => number;
  logger?: SandboxLogger;
  /** Mobiles that batch_get_id must not resolve (outside the app's scope). */
  unmatchedMobiles: string[];
  tenantKey: string;
}

// Shaped like a real app id (cli_ + 16 hex digits): the SDK's WSClient refuses any other shape.
export const SANDBOX_APP_ID = 'cli_5a4db0c0ffee0001';
export const SANDBOX_APP_SECRET = 'sandbox-secret';

const silent: SandboxLogger = { debug() {}, info() {}, warn() {}, error() {} };

export interface SandboxStats {
  requests: number;
  rateLimited: number;
  quotaRejected: number;
  faultsFired: number;
  messages: number;
}

export class FakeFeishu {
  readonly options: FakeFeishuOptions;
  private limitsNow: SandboxLimits;
  private readonly log: SandboxLogger;
  private readonly directory: Directory;
  private readonly store = new MessageStore();
  private readonly images = new Map<string, StoredImage>();
  private readonly files = new Map<string, StoredFile>();
  private readonly tokens: TokenIssuer;
  private readonly limiter: SlidingWindowLimiter;
  private readonly faults = new FaultRegistry();
  private readonly recorded: RequestRecord[] = [];
  private readonly counters = { rateLimited: 0, quotaRejected: 0 };
  private quotaExceeded = false;
  private readonly pipeline: OpenApiPipeline;
  private readonly gateway: WsGateway;
  private server: Server | undefined;
  private baseUrl: string | undefined;

  constructor(opts: Partial<FakeFeishuOptions> = {}) {
    this.options = {
      apps: opts.apps ?? { [SANDBOX_APP_ID]: SANDBOX_APP_SECRET },
      tokenTtlSeconds: opts.tokenTtlSeconds ?? 7200,
      limits: { ...DEFAULT_LIMITS, ...opts.limits },
      now: opts.now ?? Date.now,
      logger: opts.logger,
      unmatchedMobiles: opts.unmatchedMobiles ?? [],
      tenantKey: opts.tenantKey ?? 'sandbox_tenant',
    };
    this.limitsNow = { ...this.options.limits };
    this.log = this.options.logger ?? silent;
    const now = this.options.now;
    this.directory = new Directory(this.options.unmatchedMobiles);
    this.tokens = new TokenIssuer(now, () => this.options.tokenTtlSeconds);
    this.limiter = new SlidingWindowLimiter(now);
    const tenant: Tenant = { now, tenantKey: this.options.tenantKey, directory: this.directory, store: this.store, images: this.images, files: this.files };
    this.pipeline = new OpenApiPipeline({
      tenant,
      apps: () => this.options.apps,
      tokens: this.tokens,
      limiter: this.limiter,
      limits: () => this.limitsNow,
      faults: this.faults,
      quotaExceeded: () => this.quotaExceeded,
      record: (entry) => this.recorded.push(entry),
      counters: this.counters,
    });
    this.gateway = new WsGateway({ apps: () => this.options.apps, log: this.log });
  }

  /**
   * Starts listening (on 127.0.0.1 unless another host is given, e.g. 0.0.0.0 in a container) and
   * returns the base URL to pass as the SDK's `domain`.
   */
  async start(port = 0, host = '127.0.0.1'): Promise<string> {
    if (this.server) throw new Error('FakeFeishu already started');
    const server = createServer((req, res) => {
      this.route(req, res).catch((e: unknown) => {
        this.log.error({ err: e, path: req.url }, 'sandbox request failed');
        if (!res.headersSent && !res.destroyed) sendJson(res, 500, { code: 500, msg: 'sandbox internal error' });
      });
    });
    server.on('upgrade', (req, socket, head) => this.gateway.upgrade(req, socket, head));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    // A wildcard address is not one a client can dial; on this machine loopback reaches it.
    const wildcard = host === '0.0.0.0' || host === '::' || host === '';
    const shownHost = wildcard ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
    this.baseUrl = `http://${shownHost}:${(server.address() as AddressInfo).port}`;
    this.gateway.setBaseUrl(this.baseUrl);
    this.log.info({ url: this.baseUrl }, 'sandbox feishu listening');
    return this.baseUrl;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.gateway.closeAll();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      // Keep-alive and stalled ("slow" fault) connections would hold close() open.
      server.closeAllConnections();
    });
  }

  /** The address and port the server listens on (host as bound, e.g. 0.0.0.0). */
  listening(): AddressInfo | undefined {
    return (this.server?.address() as AddressInfo | null) ?? undefined;
  }

  get url(): string {
    if (!this.baseUrl) throw new Error('FakeFeishu not started');
    return this.baseUrl;
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sandbox.local');
    if (await serveConsole(this, req, res, url)) return;
    if (url.pathname.startsWith('/_sandbox/')) {
      const raw = await readBody(req);
      let body: unknown;
      try {
        body = raw.length > 0 ? JSON.parse(raw.toString('utf8')) : undefined;
      } catch {
        body = undefined;
      }
      const reply = handleControl(this, req.method ?? 'GET', url.pathname, url.searchParams, body);
      sendJson(res, reply.status, reply.body);
      return;
    }
    if (url.pathname === '/callback/ws/endpoint') {
      const reply = this.gateway.endpoint(await readBody(req));
      sendJson(res, reply.status, reply.body);
      return;
    }
    await this.pipeline.handle(req, res, url);
  }

  // ---- steering ----------------------------------------------------------

  get limits(): SandboxLimits {
    return { ...this.limitsNow };
  }

  setLimits(limits: Partial<SandboxLimits>): void {
    this.limitsNow = { ...this.limitsNow, ...limits };
  }

  /** IM calls answer HTTP 429 code 99991403 while set (free-plan monthly quota). */
  setMonthlyQuotaExceeded(exceeded: boolean): void {
    this.quotaExceeded = exceeded;
  }

  /** Every token issued so far stops working at once (next call: 99991663). */
  expireAllTokens(): void {
    this.tokens.expireAll();
  }

  injectFault(spec: FaultSpec): string {
    return this.faults.add(spec);
  }

  removeFault(id: string): boolean {
    return this.faults.remove(id);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  /** Forgets messages, requests, counters, faults, limits' windows and quota state; keeps apps and directory. */
  reset(): void {
    this.store.clear();
    this.images.clear();
    this.files.clear();
    this.recorded.length = 0;
    this.counters.rateLimited = 0;
    this.counters.quotaRejected = 0;
    this.limiter.clear();
    this.faults.clear();
    this.quotaExceeded = false;
    this.limitsNow = { ...this.options.limits };
  }

  // ---- inspection --------------------------------------------------------

  requests(): RequestRecord[] {
    return [...this.recorded];
  }

  /** Messages sent by the bot, newest last. */
  /** The bot's messages, newest last; `fromUsers: true` lists what users sent instead. */
  messages(filter: { receive_id?: string; msg_type?: string; chat_id?: string; fromUsers?: boolean } = {}): SandboxMessage[] {
    return this.store.list(filter);
  }

  message(messageId: string): SandboxMessage | undefined {
    return this.store.get(messageId);
  }

  uploadedImages(): StoredImage[] {
    return [...this.images.values()];
  }

  /** Files uploaded through im/v1/files, with their bytes (what a file message's file_key names). */
  uploadedFiles(): StoredFile[] {
    return [...this.files.values()];
  }

  stats(): SandboxStats {
    return {
      requests: this.recorded.length,
      rateLimited: this.counters.rateLimited,
      quotaRejected: this.counters.quotaRejected,
      faultsFired: this.faults.fired,
      messages: this.store.count(),
    };
  }

  // ---- directory ---------------------------------------------------------

  addUser(user: NewUser): string {
    return this.directory.addUser(user);
  }

  users(): SandboxUser[] {
    return this.directory.users();
  }

  findUser(query: Parameters<Directory['findUser']>[0]): SandboxUser | undefined {
    return this.directory.findUser(query);
  }

  /** The number stays unresolvable by batch_get_id (outside the app's scope). */
  leaveOut(mobile: string): void {
    this.directory.leaveOut(mobile);
  }

  seedDirectoryFromFile(path: string): Promise<number> {
    return this.directory.seedFromFile(path);
  }

  findChat(chatId: string): ReturnType<Directory['findChat']> {
    return this.directory.findChat(chatId);
  }

  addChat(chat: { chat_id?: string; name: string }): string {
    return this.directory.addChat(chat);
  }

  chats(): ReturnType<Directory['listChats']> {
    return this.directory.listChats();
  }

  /** The bot↔user chat id for a directory user (the same one direct messages land in). */
  p2pChatId(openId: string): string | undefined {
    const user = this.directory.findUser({ open_id: openId });
    return user ? this.directory.p2pChatFor(user) : undefined;
  }

  // ---- hooks for the callback driver --------------------------------------

  /** A delayed-update token for a card message, as a card callback carries. */
  /**
   * Keeps a message a user sent, as Feishu does before it delivers im.message.receive_v1,
   * so the bot can reply to it (a reply needs its parent to exist).
   */
  recordUserMessage(m: { appId: string; messageId: string; senderOpenId: string; chatId: string; msgType: string; content: string }): void {
    if (this.store.get(m.messageId)) return;
    let parsed: unknown = m.content;
    try {
      parsed = JSON.parse(m.content);
    } catch {
      // Not JSON: kept as the raw string.
    }
    this.store.create({
      message_id: m.messageId,
      app_id: m.appId,
      receive_id: m.chatId,
      receive_id_type: 'chat_id',
      chat_id: m.chatId,
      msg_type: m.msgType,
      content: parsed,
      raw_content: m.content,
      created_at: this.options.now(),
      sender_open_id: m.senderOpenId,
    });
  }

  /** A user's action on the card is in flight: patches and delayed updates answer "card action is lock". */
  beginCardAction(messageId: string): void {
    this.store.beginAction(messageId);
  }

  endCardAction(messageId: string): void {
    this.store.endAction(messageId);
  }

  issueCardToken(messageId: string): string {
    return this.store.issueCardToken(messageId, this.options.now());
  }

  /**
   * Applies the card a callback answered with (`card: {type:'raw', data}`);
   * Feishu replaces the card in the client when the callback response carries one.
   */
  applyCallbackCard(messageId: string, card: unknown): boolean {
    if (!isRecord(card)) return false;
    const raw = JSON.stringify(card);
    return this.store.replaceContent(messageId, raw, card, 'callback', this.options.now()) !== undefined;
  }

  /** Pushes an event or callback over an app's long connection; resolves with the ACK. */
  deliverOverWebSocket(appId: string, payload: Record<string, unknown>, timeoutMs?: number): Promise<WsAck> {
    return this.gateway.deliver(appId, payload, timeoutMs);
  }

  /** Open long connections per app id. */
  webSocketClients(appId?: string): number {
    return this.gateway.connectionCount(appId);
  }
}
