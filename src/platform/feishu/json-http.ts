// A JSON-only transport for the Feishu SDK (its `httpInstance` option), used by the SDK client that
// carries the calls a fan-out makes thousands of times (send, reply, patch). The SDK still builds
// every request (token, headers, path) and reads every answer; only axios is replaced: its config
// merging, interceptors and redirect wrapper cost about four times the CPU of the call itself,
// which bounded the send rate one process reached. Multipart uploads stay on the SDK's default
// client, so this refuses any body that is not JSON rather than sending it wrong.
import http from 'node:http';
import https from 'node:https';
import type { lark } from './lark-sdk.js';

type Options = { url?: string; method?: string; headers?: Record<string, unknown>; params?: Record<string, unknown>; data?: unknown; timeout?: number; $return_headers?: boolean };

/** A non-2xx answer, with the fields of an axios error that lark-errors.ts reads. */
export class HttpAnswerError extends Error {
  readonly response: { status: number; data: unknown; headers: Record<string, unknown> };
  constructor(status: number, data: unknown, headers: Record<string, unknown>) {
    super(`Request failed with status code ${status}`);
    this.name = 'HttpAnswerError';
    this.response = { status, data, headers };
  }
}

const agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };

function bodyOf(data: unknown): string | undefined {
  if (data === undefined || data === null) return undefined;
  if (typeof data === 'string') return data;
  const proto: unknown = Object.getPrototypeOf(data);
  if (proto !== Object.prototype && proto !== null && !Array.isArray(data)) {
    throw new TypeError('json-http carries JSON bodies only; send uploads through the default SDK client');
  }
  return JSON.stringify(data);
}

/** Query values and headers the SDK builds are strings or numbers; anything else is a bug upstream. */
function scalar(v: unknown): string {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new TypeError(`json-http: a query value or header must be a string or number, got ${typeof v}`);
}

// async: a body refused or a bad header rejects the call like any other failure, never throws at the caller.
async function request(opts: Options, timeoutMs: () => number): Promise<unknown> {
  const url = new URL(opts.url ?? '');
  for (const [k, v] of Object.entries(opts.params ?? {})) if (v !== undefined && v !== null) url.searchParams.set(k, scalar(v));
  const body = bodyOf(opts.data);
  const timeout = opts.timeout ?? timeoutMs();
  const headers: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(opts.headers ?? {})) if (v !== undefined && v !== null) headers[k] = scalar(v);
  if (body !== undefined) {
    headers['Content-Type'] ??= 'application/json; charset=utf-8';
    headers['Content-Length'] = Buffer.byteLength(body);
  }
  const secure = url.protocol === 'https:';
  return new Promise((resolve, reject) => {
    const req = (secure ? https : http).request(url, { method: (opts.method ?? 'GET').toUpperCase(), timeout, headers, agent: secure ? agents.https : agents.http }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let data: unknown = text;
        try {
          data = text === '' ? {} : JSON.parse(text);
        } catch {
          // Not JSON (a proxy's error page): kept as text for the error message.
        }
        const status = res.statusCode ?? 0;
        if (status < 200 || status >= 300) return reject(new HttpAnswerError(status, data, res.headers));
        // As the SDK's own response interceptor answers: the body, or body and headers when asked.
        resolve(opts.$return_headers ? { data, headers: res.headers } : data);
      });
    });
    // Shaped as axios's timeout, so the retry policy sees the same error on both transports.
    req.on('timeout', () => req.destroy(Object.assign(new Error(`timeout of ${timeout}ms exceeded`), { code: 'ECONNABORTED' })));
    req.on('error', reject);
    req.end(body);
  });
}

/** The SDK's HttpInstance over node's HTTP client; `timeoutMs` is read per call (tests shorten it). */
export function jsonHttpInstance(timeoutMs: () => number): lark.HttpInstance {
  const withBody = (method: string) => (url: string, data?: unknown, opts?: Options) => request({ ...opts, url, method, data }, timeoutMs);
  const without = (method: string) => (url: string, opts?: Options) => request({ ...opts, url, method }, timeoutMs);
  return {
    request: (opts: Options) => request(opts, timeoutMs),
    get: without('GET'),
    delete: without('DELETE'),
    head: without('HEAD'),
    options: without('OPTIONS'),
    post: withBody('POST'),
    put: withBody('PUT'),
    patch: withBody('PATCH'),
  } as unknown as lark.HttpInstance;
}
