// Sliding-window counters with an injectable clock. Feishu limits "per API,
// per app, per tenant", hitting either the per-second or the per-minute
// ceiling triggers the limit (docs/feishu.md §1, DOC frequency-control).

export interface WindowRule {
  /** Counter identity, e.g. `app:cli_x:im.send:1s` or `receiver:ou_x`. */
  key: string;
  limit: number;
  windowMs: number;
}

export interface LimitVerdict {
  allowed: boolean;
  /** For a refusal: the limit that was hit, as sent in x-ogw-ratelimit-limit. */
  limit?: number;
  /** For a refusal: whole seconds until the window frees (≥ 1), x-ogw-ratelimit-reset. */
  resetSeconds?: number;
}

export class SlidingWindowLimiter {
  private readonly hits = new Map<string, number[]>();

  constructor(private readonly now: () => number) {}

  /**
   * Admits a request only if every rule has room; an admitted request counts
   * against all of them, a refused one against none (a 429 is not a call).
   */
  take(rules: WindowRule[]): LimitVerdict {
    const at = this.now();
    let worst: { limit: number; resetMs: number } | undefined;
    for (const rule of rules) {
      const recent = this.prune(rule.key, at, rule.windowMs);
      if (recent.length >= rule.limit) {
        // The window frees when the oldest hit still inside it ages out.
        const oldestInWindow = recent[recent.length - rule.limit] ?? at;
        const resetMs = oldestInWindow + rule.windowMs - at;
        if (!worst || resetMs > worst.resetMs) worst = { limit: rule.limit, resetMs };
      }
    }
    if (worst) {
      return { allowed: false, limit: worst.limit, resetSeconds: Math.max(1, Math.ceil(worst.resetMs / 1000)) };
    }
    for (const rule of rules) {
      const list = this.hits.get(rule.key);
      if (list) list.push(at);
      else this.hits.set(rule.key, [at]);
    }
    return { allowed: true };
  }

  clear(): void {
    this.hits.clear();
  }

  private prune(key: string, at: number, windowMs: number): number[] {
    const list = this.hits.get(key);
    if (!list) return [];
    let drop = 0;
    while (drop < list.length && (list[drop] ?? 0) <= at - windowMs) drop++;
    if (drop > 0) list.splice(0, drop);
    return list;
  }
}
