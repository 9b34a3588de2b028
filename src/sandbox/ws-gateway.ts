// The long-connection side of the simulated tenant, following the SDK's
// WSClient (node-sdk ws-client): the client POSTs {AppID, AppSecret} to
// /callback/ws/endpoint, gets {URL, ClientConfig}, opens a WebSocket and
// exchanges protobuf frames. Events and card callbacks are pushed as data
// frames of type "event"; the client answers on the same message_id with
// payload {code, data: base64(JSON handler result)} (docs/feishu.md §5).
// Each event goes to one connection of the app, chosen at random — Feishu's
// "cluster delivery", no broadcast.
import { randomBytes, randomInt } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { SandboxLogger } from './fake-feishu.js';
import { parseJsonObject, type ApiReply } from './http-util.js';
import { decodeFrame, encodeFrame, FRAME_CONTROL, FRAME_DATA, headerValue, type WsFrame } from './ws-frame.js';
import { ServerWebSocket } from './ws-socket.js';

/** Seconds, as the endpoint sends them (the SDK multiplies by 1000). */
const CLIENT_CONFIG = { PingInterval: 120, ReconnectCount: -1, ReconnectInterval: 120, ReconnectNonce: 30 };
/** Handlers must finish within 3 s in long-connection mode (docs/feishu.md §5). */
const DEFAULT_ACK_TIMEOUT_MS = 3000;
/** SDK ErrorCode.auth_failed. */
const AUTH_FAILED = 514;
const WS_PATH = '/ws/v2';

export interface WsAck {
  /** 200, or 500 when the client's handler threw. */
  code: number;
  /** The handler's return value, decoded from the ACK's base64 `data`. */
  body: unknown;
  elapsedMs: number;
}

interface Connection {
  appId: string;
  serviceId: number;
  ws: ServerWebSocket;
}

interface Pending {
  resolve: (ack: WsAck) => void;
  startedAt: number;
}

export class WsGateway {
  private baseUrl = '';
  private readonly tickets = new Map<string, { appId: string; serviceId: number }>();
  private readonly connections = new Set<Connection>();
  private readonly pending = new Map<string, Pending>();
  private seq = 1;

  constructor(private readonly deps: { apps: () => Record<string, string>; log: SandboxLogger }) {}

  setBaseUrl(url: string): void {
    this.baseUrl = url;
  }

  /** POST /callback/ws/endpoint. */
  endpoint(raw: Buffer): ApiReply {
    const body = parseJsonObject(raw);
    const appId = body?.AppID;
    if (typeof appId !== 'string' || this.deps.apps()[appId] === undefined || body?.AppSecret !== this.deps.apps()[appId]) {
      return { status: 200, body: { code: AUTH_FAILED, msg: 'auth failed: unknown app or wrong secret' } };
    }
    const ticket = randomBytes(12).toString('hex');
    const serviceId = randomInt(1, 1_000_000);
    this.tickets.set(ticket, { appId, serviceId });
    const wsBase = this.baseUrl.replace(/^http/, 'ws');
    // The SDK reads device_id/service_id with qs.parse(URL) on the whole URL,
    // so they must not be the first query parameter.
    const URL = `${wsBase}${WS_PATH}?fpid=1&device_id=${ticket.slice(0, 8)}&service_id=${serviceId}&ticket=${ticket}`;
    return { status: 200, body: { code: 0, msg: 'ok', data: { URL, ClientConfig: CLIENT_CONFIG } } };
  }

  /** The HTTP server's 'upgrade' event. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://sandbox.local');
    const ticket = url.searchParams.get('ticket') ?? '';
    const grant = this.tickets.get(ticket);
    if (url.pathname !== WS_PATH || !grant) {
      ServerWebSocket.reject(socket, 403, 'Forbidden');
      return;
    }
    this.tickets.delete(ticket);
    const ws = ServerWebSocket.accept(req, socket, head);
    if (!ws) return;
    const conn: Connection = { appId: grant.appId, serviceId: grant.serviceId, ws };
    this.connections.add(conn);
    ws.onClose = () => this.connections.delete(conn);
    ws.onMessage = (data) => this.receive(conn, data);
    this.deps.log.debug({ appId: grant.appId }, 'sandbox long connection opened');
  }

  connectionCount(appId?: string): number {
    return [...this.connections].filter((c) => c.ws.isOpen && (!appId || c.appId === appId)).length;
  }

  /** Pushes one event/callback payload to one of the app's connections and waits for its ACK. */
  deliver(appId: string, payload: Record<string, unknown>, timeoutMs = DEFAULT_ACK_TIMEOUT_MS): Promise<WsAck> {
    const candidates = [...this.connections].filter((c) => c.appId === appId && c.ws.isOpen);
    const conn = candidates[randomInt(0, Math.max(1, candidates.length))];
    if (!conn) return Promise.reject(new Error(`no long connection open for app ${appId}`));
    const messageId = `ws_${randomBytes(8).toString('hex')}`;
    const seq = this.seq++;
    const frame: WsFrame = {
      SeqID: seq,
      LogID: seq,
      service: conn.serviceId,
      method: FRAME_DATA,
      headers: [
        { key: 'type', value: 'event' },
        { key: 'message_id', value: messageId },
        { key: 'sum', value: '1' },
        { key: 'seq', value: '0' },
        { key: 'trace_id', value: randomBytes(8).toString('hex') },
      ],
      payload: Buffer.from(JSON.stringify(payload), 'utf8'),
    };
    return new Promise<WsAck>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(messageId);
        reject(new Error(`no ACK within ${timeoutMs} ms for ${messageId}`));
      }, timeoutMs);
      this.pending.set(messageId, {
        startedAt: Date.now(),
        resolve: (ack) => {
          clearTimeout(timer);
          resolve(ack);
        },
      });
      conn.ws.send(encodeFrame(frame));
    });
  }

  closeAll(): void {
    for (const conn of this.connections) conn.ws.terminate();
    this.connections.clear();
    this.tickets.clear();
  }

  private receive(conn: Connection, data: Buffer): void {
    let frame: WsFrame;
    try {
      frame = decodeFrame(data);
    } catch (e) {
      this.deps.log.warn({ err: e }, 'sandbox long connection: undecodable frame');
      return;
    }
    const type = headerValue(frame, 'type');
    if (frame.method === FRAME_CONTROL && type === 'ping') {
      conn.ws.send(
        encodeFrame({
          SeqID: 0,
          LogID: 0,
          service: conn.serviceId,
          method: FRAME_CONTROL,
          headers: [{ key: 'type', value: 'pong' }],
          payload: Buffer.from(JSON.stringify(CLIENT_CONFIG)),
        }),
      );
      return;
    }
    if (frame.method === FRAME_DATA) this.acknowledge(frame);
  }

  private acknowledge(frame: WsFrame): void {
    const messageId = headerValue(frame, 'message_id') ?? '';
    const waiting = this.pending.get(messageId);
    if (!waiting) return;
    this.pending.delete(messageId);
    const ack = parseJsonObject(Buffer.from(frame.payload ?? new Uint8Array()));
    const data = typeof ack?.data === 'string' ? Buffer.from(ack.data, 'base64').toString('utf8') : undefined;
    let body: unknown;
    try {
      body = data === undefined ? undefined : JSON.parse(data);
    } catch {
      body = data;
    }
    waiting.resolve({ code: typeof ack?.code === 'number' ? ack.code : 0, body, elapsedMs: Date.now() - waiting.startedAt });
  }
}
