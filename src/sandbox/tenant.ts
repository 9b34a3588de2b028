// The state one simulated tenant holds, and the shape of an Open API route
// over it. Routes are plain functions of (context) → reply so the server
// module stays the only place that touches sockets.
import type { Directory } from './directory.js';
import type { ApiReply } from './http-util.js';
import type { MessageStore } from './message-store.js';

export interface SandboxLimits {
  /** Per app, per API (im send = create + reply together). Level-4 APIs: 50/s … */
  appPerSecond: number;
  /** … and 1000/min (docs/feishu.md §1). */
  appPerMinute: number;
  /** Sends to one user, or to one group, 5 QPS. */
  perReceiverPerSecond: number;
  /** PATCH of one message, 5 QPS. */
  perMessagePatchPerSecond: number;
}

export const DEFAULT_LIMITS: SandboxLimits = {
  appPerSecond: 50,
  appPerMinute: 1000,
  perReceiverPerSecond: 5,
  perMessagePatchPerSecond: 5,
};

export interface StoredImage {
  image_key: string;
  image_type: string;
  bytes: number;
  at: number;
}

export interface StoredFile {
  file_key: string;
  file_type: string;
  file_name: string;
  bytes: number;
  data: Buffer;
  at: number;
}

export interface Tenant {
  now: () => number;
  tenantKey: string;
  directory: Directory;
  store: MessageStore;
  images: Map<string, StoredImage>;
  files: Map<string, StoredFile>;
}

export interface RouteContext {
  tenant: Tenant;
  appId: string;
  params: Record<string, string>;
  query: URLSearchParams;
  /** The JSON body; undefined when the body is not a JSON object. */
  body: Record<string, unknown> | undefined;
  rawBody: Buffer;
  contentType: string | undefined;
  /** Filled by handlers for the request log. */
  note: { receiveId?: string };
}

export interface RateKeys {
  /** One user or chat on the receiving end of a send. */
  receiver?: string;
  /** One message being patched. */
  message?: string;
}

export interface Route {
  method: string;
  pattern: RegExp;
  /** Rate-limit bucket: limits are per app and per API. */
  api: string;
  /** IM calls count toward the free plan's monthly quota; contact calls do not. */
  metered: boolean;
  rateKeys?: (ctx: RouteContext) => RateKeys;
  handle: (ctx: RouteContext) => ApiReply | Promise<ApiReply>;
}

/** Builds a route from an Express-style path ("/a/:id/b"). */
export function route(
  method: string,
  path: string,
  options: Omit<Route, 'method' | 'pattern'>,
): Route {
  const source = path.replace(/:([a-z_]+)/g, '(?<$1>[^/]+)');
  return { method, pattern: new RegExp(`^${source}$`), ...options };
}
