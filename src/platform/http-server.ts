// The HTTP face of the service: Feishu deliveries, health and metrics. Plain node:http keeps the
// raw body intact, which the SDK's signature check depends on.
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Db } from '../db/database.js';
import { withLogContext } from '../logger.js';
import { withArrival } from './feishu/arrival.js';
import { handleWebhook, type Dispatcher } from './feishu/lark-intake.js';
import type { Metrics } from './metrics.js';

export type HttpServerDeps = {
  db: Db;
  redis: Redis;
  logger: Logger;
  metrics: Metrics;
  dispatcher: Dispatcher;
  encryptKey: string;
  verificationToken: string;
};

const MAX_BODY = 1024 * 1024;

export async function checkHealth(deps: Pick<HttpServerDeps, 'db' | 'redis'>): Promise<{ ok: boolean; postgres: string; redis: string }> {
  const within = <T>(p: Promise<T>, ms: number) =>
    Promise.race([p, new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`timeout after ${ms} ms`)), ms))]);
  const postgres = await within(sql`select 1`.execute(deps.db), 2000).then(() => 'ok', (e: Error) => `down: ${e.message}`);
  const redis = await within(deps.redis.ping(), 2000).then((r) => (r === 'PONG' ? 'ok' : `down: ${r}`), (e: Error) => `down: ${e.message}`);
  return { ok: postgres === 'ok' && redis === 'ok', postgres, redis };
}

export class HttpServer {
  private server?: http.Server;

  constructor(private readonly deps: HttpServerDeps) {}

  async start(port: number, host = '127.0.0.1'): Promise<number> {
    this.server = http.createServer((req, res) => void this.route(req, res));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => resolve());
    });
    const addr = this.server.address();
    return typeof addr === 'object' && addr ? addr.port : port;
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (!s) return;
    this.server = undefined;
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private async route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const requestId = String(req.headers['x-request-id'] ?? randomUUID());
    const path = (req.url ?? '/').split('?')[0];
    await withLogContext({ requestId }, async () => {
      let status = 500;
      try {
        if (req.method === 'POST' && path === '/lark/events') {
          status = await withArrival(() => this.larkEvents(req, res));
        } else if (req.method === 'GET' && path === '/healthz') {
          const h = await checkHealth(this.deps);
          status = h.ok ? 200 : 503;
          send(res, status, h);
        } else if (req.method === 'GET' && path === '/metrics') {
          status = 200;
          res.writeHead(200, { 'content-type': this.deps.metrics.registry.contentType });
          res.end(await this.deps.metrics.registry.metrics());
        } else {
          status = 404;
          send(res, 404, { error: 'not found' });
        }
      } catch (e) {
        this.deps.logger.error({ err: (e as Error).message, path }, 'request failed');
        status = 500;
        if (!res.headersSent) send(res, 500, { error: 'internal error' });
      } finally {
        // A fixed label set: every path a scanner tries must not become a new series.
        const route = path === '/lark/events' || path === '/healthz' || path === '/metrics' ? path : 'other';
        this.deps.metrics.httpRequests.inc({ route, status: String(status) });
      }
    });
  }

  private async larkEvents(req: http.IncomingMessage, res: http.ServerResponse): Promise<number> {
    const started = process.hrtime.bigint();
    const raw = await readBody(req);
    if (raw === TOO_LARGE) {
      // Answered only once the body is read (or cut off far beyond the limit), so the client
      // sees a 413 instead of a reset connection.
      res.setHeader('connection', 'close');
      send(res, 413, { error: 'body too large' });
      return 413;
    }
    let body: unknown;
    const rawBody = raw.toString('utf8');
    try {
      body = JSON.parse(rawBody);
    } catch {
      send(res, 400, { error: 'invalid JSON' });
      return 400;
    }
    // The wall clock judges a delivery's timestamp, never the service's business clock (which
    // tests and the demo move to any date): Feishu signs with the time it sends.
    const result = await handleWebhook(this.deps.dispatcher, { encryptKey: this.deps.encryptKey, verificationToken: this.deps.verificationToken, now: Date.now }, { headers: req.headers, body, rawBody });
    if (result.status !== 200) this.deps.logger.warn({ status: result.status, reason: result.body }, 'lark delivery refused');
    send(res, result.status, result.body);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    this.deps.metrics.callbackSeconds.observe({ kind: 'webhook' }, seconds);
    return result.status;
  }
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

const TOO_LARGE = Symbol('too-large');
/** Past this much, an oversized body is cut off rather than read to its end. */
const DISCARD_LIMIT = 16 * MAX_BODY;

function readBody(req: http.IncomingMessage): Promise<Buffer | typeof TOO_LARGE> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > DISCARD_LIMIT) {
        req.destroy();
        resolve(TOO_LARGE);
        return;
      }
      if (size > MAX_BODY) chunks.length = 0;
      else chunks.push(c);
    });
    req.on('end', () => resolve(size > MAX_BODY ? TOO_LARGE : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
