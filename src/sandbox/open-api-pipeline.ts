// What happens to one Open API request, in the order the real gateway
// applies it: injected faults, token endpoint, bearer check, monthly quota,
// frequency control, then the API itself. Every request is recorded.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CODES } from './feishu-codes.js';
import type { FaultRegistry } from './faults.js';
import {
  BodyTooLargeError,
  fail,
  parseJsonObject,
  readBody,
  sendJson,
  sleep,
  type ApiReply,
} from './http-util.js';
import { imRoutes } from './im-routes.js';
import { otherRoutes } from './other-routes.js';
import type { SlidingWindowLimiter, WindowRule } from './rate-limiter.js';
import type { TokenIssuer } from './token-issuer.js';
import type { RateKeys, Route, RouteContext, SandboxLimits, Tenant } from './tenant.js';

export const TOKEN_PATH = '/open-apis/auth/v3/tenant_access_token/internal';

export interface RequestRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  /** HTTP status answered; 0 when the connection was dropped. */
  status: number;
  /** Feishu business code of the answer, when there was a JSON body. */
  code?: number;
  at: number;
  receiveId?: string;
  /** The parsed JSON body, so tests can check what was asked (e.g. how many mobiles per lookup). */
  body?: Record<string, unknown>;
}

export interface PipelineDeps {
  tenant: Tenant;
  apps: () => Record<string, string>;
  tokens: TokenIssuer;
  limiter: SlidingWindowLimiter;
  limits: () => SandboxLimits;
  faults: FaultRegistry;
  quotaExceeded: () => boolean;
  record: (entry: RequestRecord) => void;
  counters: { rateLimited: number; quotaRejected: number };
}

const ROUTES: Route[] = [...imRoutes, ...otherRoutes];

export class OpenApiPipeline {
  constructor(private readonly deps: PipelineDeps) {}

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const method = req.method ?? 'GET';
    const entry: RequestRecord = {
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      status: 0,
      at: this.deps.tenant.now(),
    };
    try {
      const reply = await this.answer(req, res, url, entry);
      if (reply) {
        entry.status = reply.status;
        entry.code = typeof reply.body.code === 'number' ? reply.body.code : undefined;
        // A slow fault may outlive the connection (client timeout, stop()).
        if (!res.destroyed) sendJson(res, reply.status, reply.body, reply.headers);
      }
    } finally {
      this.deps.record(entry);
    }
  }

  /** Returns the reply to send, or undefined when the socket was dropped. */
  private async answer(req: IncomingMessage, res: ServerResponse, url: URL, entry: RequestRecord): Promise<ApiReply | undefined> {
    const fault = this.deps.faults.pick(entry.method, entry.path);
    const drop = () => {
      req.socket.destroy();
      res.destroy();
      return undefined;
    };
    if (fault?.kind === 'drop' && !fault.after) return drop();
    if (fault?.kind === 'status' && fault.text !== undefined) {
      // A bare proxy answer: no Feishu body, no code.
      entry.status = fault.status ?? 500;
      res.writeHead(entry.status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(Buffer.byteLength(fault.text)) });
      res.end(fault.text);
      return undefined;
    }
    if (fault?.kind === 'status') {
      const status = fault.status ?? 500;
      return { status, body: { code: fault.code ?? status, msg: 'injected fault' } };
    }
    if (fault?.kind === 'code') {
      return { status: fault.status ?? 400, body: { code: fault.code ?? 1, msg: 'injected fault' } };
    }
    if (fault?.kind === 'slow') await sleep(fault.delayMs ?? 5000);
    if (fault?.kind === 'expire') this.deps.tokens.expireAll();
    const reply = await this.process(req, url, entry);
    if (fault?.kind !== 'drop') return reply;
    // Done, but the answer never reaches the caller: what a retry must not do twice.
    entry.status = reply.status;
    entry.code = typeof reply.body.code === 'number' ? reply.body.code : undefined;
    return drop();
  }

  private async process(req: IncomingMessage, url: URL, entry: RequestRecord): Promise<ApiReply> {
    let rawBody: Buffer;
    try {
      rawBody = await readBody(req);
    } catch (e) {
      if (e instanceof BodyTooLargeError) return fail(CODES.imageTooLarge);
      throw e;
    }
    const body = parseJsonObject(rawBody);
    // Never keep credentials in the record.
    if (body && entry.path !== TOKEN_PATH) entry.body = body;
    if (entry.path === TOKEN_PATH && entry.method === 'POST') return this.issueToken(body);

    const matched = this.match(entry.method, entry.path);
    if (!matched) return { status: 404, body: { code: CODES.notFound.code, msg: `404 page not found: ${entry.path}` } };

    const auth = this.deps.tokens.check(req.headers.authorization);
    if (!auth.ok) return fail(auth.reason === 'missing' ? CODES.tokenMissing : CODES.tokenInvalid);

    if (matched.route.metered && this.deps.quotaExceeded()) {
      this.deps.counters.quotaRejected += 1;
      return fail(CODES.monthlyQuota);
    }

    const ctx: RouteContext = {
      tenant: this.deps.tenant,
      appId: auth.appId,
      params: matched.params,
      query: url.searchParams,
      body,
      rawBody,
      contentType: req.headers['content-type'],
      note: { receiveId: typeof body?.receive_id === 'string' ? body.receive_id : undefined },
    };
    const limited = this.rateLimit(matched.route, ctx);
    const reply = limited ?? (await matched.route.handle(ctx));
    entry.receiveId = ctx.note.receiveId;
    return reply;
  }

  private issueToken(body: Record<string, unknown> | undefined): ApiReply {
    const appId = body?.app_id;
    const secret = typeof appId === 'string' ? this.deps.apps()[appId] : undefined;
    if (secret === undefined) return fail(CODES.appIdInvalid);
    if (body?.app_secret !== secret) return fail(CODES.appSecretInvalid);
    const grant = this.deps.tokens.grant(appId as string);
    // The one endpoint whose answer is not wrapped in `data` (docs/feishu.md §6).
    return { status: 200, body: { code: 0, msg: 'ok', tenant_access_token: grant.token, expire: grant.expire } };
  }

  private match(method: string, path: string): { route: Route; params: Record<string, string> } | undefined {
    for (const route of ROUTES) {
      if (route.method !== method) continue;
      const m = route.pattern.exec(path);
      if (m) return { route, params: { ...(m.groups ?? {}) } };
    }
    return undefined;
  }

  private rateLimit(route: Route, ctx: RouteContext): ApiReply | undefined {
    const limits = this.deps.limits();
    const app = `app:${ctx.appId}:${route.api}`;
    const rules: WindowRule[] = [
      { key: `${app}:1s`, limit: limits.appPerSecond, windowMs: 1000 },
      { key: `${app}:60s`, limit: limits.appPerMinute, windowMs: 60_000 },
    ];
    const keys: RateKeys = route.rateKeys?.(ctx) ?? {};
    // The per-chat limit is shared by all bots in the group, so no app in the key.
    if (keys.receiver) rules.push({ key: `receiver:${keys.receiver}`, limit: limits.perReceiverPerSecond, windowMs: 1000 });
    if (keys.message) rules.push({ key: `message:${keys.message}`, limit: limits.perMessagePatchPerSecond, windowMs: 1000 });
    const verdict = this.deps.limiter.take(rules);
    if (verdict.allowed) return undefined;
    this.deps.counters.rateLimited += 1;
    return fail(CODES.rateLimited, undefined, {
      'x-ogw-ratelimit-limit': String(verdict.limit),
      'x-ogw-ratelimit-reset': String(verdict.resetSeconds),
    });
  }
}
