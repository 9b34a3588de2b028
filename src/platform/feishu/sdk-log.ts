// What the Feishu SDK logs, made fit for our JSON log: the SDK's LoggerProxy hands every call
// its arguments as ONE array (logger.warn(['verification failed event'])), and its errors are
// whole axios errors carrying request headers. This keeps the words and drops the rest, and
// scrubs anything shaped like a token so no credential reaches a log line.
const MAX_CHARS = 600;

function words(x: unknown, depth = 0): string[] {
  if (depth > 3 || x === null || x === undefined) return [];
  if (typeof x === 'string') return [x];
  if (typeof x === 'number' || typeof x === 'boolean') return [String(x)];
  if (Array.isArray(x)) return x.flatMap((y) => words(y, depth + 1));
  if (x instanceof Error) {
    const status = (x as { response?: { status?: number } }).response?.status;
    return [status ? `${x.message} (HTTP ${status})` : x.message];
  }
  if (typeof x === 'object') {
    // Feishu answers ({code, msg}) and SDK notices ({message}) say something; other objects
    // (request configs, sockets) are dropped whole rather than risk their headers.
    const o = x as { code?: unknown; msg?: unknown; message?: unknown };
    const parts = [o.message, o.msg].filter((v): v is string => typeof v === 'string');
    if (typeof o.code === 'number' || typeof o.code === 'string') parts.unshift(`code ${o.code}`);
    return parts;
  }
  return [];
}

/** Tenant/app/user access tokens (t-…, a-…, u-…), bearer headers, and the given secrets. */
export function scrubSecrets(text: string, secrets: readonly string[] = []): string {
  let out = text.replace(/\b(?:Bearer\s+)\S+/gi, 'Bearer [redacted]').replace(/\b[tau]-[A-Za-z0-9_.-]{16,}/g, '[redacted-token]');
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('[redacted]');
  return out;
}

export function sdkLogText(args: unknown[], secrets: readonly string[] = []): string {
  const text = words(args).filter(Boolean).join(' ');
  return scrubSecrets(text.length > MAX_CHARS ? `${text.slice(0, MAX_CHARS)}…` : text, secrets);
}
