// Fault injection for the simulated tenant: make matching requests fail,
// stall or vanish so retry, timeout and idempotency paths can be exercised.
import { randomUUID } from 'node:crypto';

export type FaultKind = 'status' | 'slow' | 'drop' | 'code' | 'expire';

export interface FaultSpec {
  /** No match hits every request. A string path matches exactly (query ignored); use a RegExp for more. */
  match?: { method?: string; path?: string | RegExp };
  /**
   * status: answer `status` (default 500) with a Feishu-style body;
   * code:   answer `status` (default 400) with business `code` (default 1);
   * slow:   wait `delayMs` (default 5000) and then handle normally;
   * drop:   destroy the socket without answering (with `after`: handle the request first, so
   *         the message is sent or the card patched, and lose only the answer);
   * expire: every tenant token issued so far expires as this request arrives, so it is answered
   *         99991663 as Feishu does, and a token fetched anew works.
   */
  kind: FaultKind;
  status?: number;
  code?: number;
  /** status: answer this text (text/plain) instead of a JSON body, as a proxy in front of the API would. */
  text?: string;
  /** drop: the request takes effect; only its answer is lost. */
  after?: boolean;
  delayMs?: number;
  /** How many requests the fault hits before it retires (default: unlimited). */
  times?: number;
  /** Share (0..1) of matching requests that get the fault (default 1). */
  share?: number;
}

interface ActiveFault extends FaultSpec {
  id: string;
  fired: number;
}

export class FaultRegistry {
  private faults: ActiveFault[] = [];
  private firedTotal = 0;

  constructor(private readonly random: () => number = Math.random) {}

  add(spec: FaultSpec): string {
    const id = randomUUID();
    this.faults.push({ ...spec, id, fired: 0 });
    return id;
  }

  remove(id: string): boolean {
    const before = this.faults.length;
    this.faults = this.faults.filter((f) => f.id !== id);
    return this.faults.length !== before;
  }

  clear(): void {
    this.faults = [];
  }

  get fired(): number {
    return this.firedTotal;
  }

  /** The fault to apply to this request, if any; spends one of its `times`. */
  pick(method: string, path: string): ActiveFault | undefined {
    for (const fault of this.faults) {
      if (!matches(fault, method, path)) continue;
      if (fault.times !== undefined && fault.fired >= fault.times) continue;
      if (fault.share !== undefined && this.random() >= fault.share) continue;
      fault.fired += 1;
      this.firedTotal += 1;
      return fault;
    }
    return undefined;
  }
}

function matches(fault: FaultSpec, method: string, path: string): boolean {
  const want = fault.match;
  if (!want) return true;
  if (want.method && want.method.toUpperCase() !== method.toUpperCase()) return false;
  if (want.path instanceof RegExp) return want.path.test(path);
  if (typeof want.path === 'string') return path === want.path;
  return true;
}

/**
 * Reads a fault posted to /_sandbox/faults. JSON cannot carry a RegExp, so
 * `match.pathRegex` (a RegExp source) stands in for a RegExp `match.path`.
 */
export function faultFromJson(body: Record<string, unknown>): FaultSpec {
  const kind = body.kind;
  if (kind !== 'status' && kind !== 'slow' && kind !== 'drop' && kind !== 'code' && kind !== 'expire') {
    throw new Error('kind must be one of status, slow, drop, code, expire');
  }
  const match = (body.match ?? {}) as { method?: unknown; path?: unknown; pathRegex?: unknown };
  const path =
    typeof match.pathRegex === 'string'
      ? new RegExp(match.pathRegex)
      : typeof match.path === 'string'
        ? match.path
        : undefined;
  const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
  return {
    kind,
    match: { method: typeof match.method === 'string' ? match.method : undefined, path },
    status: num(body.status),
    code: num(body.code),
    text: typeof body.text === 'string' ? body.text : undefined,
    after: body.after === true ? true : undefined,
    delayMs: num(body.delayMs),
    times: num(body.times),
    share: num(body.share),
  };
}
