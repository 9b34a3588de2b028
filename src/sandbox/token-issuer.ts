// tenant_access_token issuance and checking, as the token endpoint documents
// it (docs/feishu.md §6): a token lives at most 2 h; asking again returns the
// same token until less than 30 min remain, then a new one, and the old one
// stays valid until its own expiry.
import { randomBytes } from 'node:crypto';

interface IssuedToken {
  appId: string;
  expiresAt: number;
}

export interface TokenGrant {
  token: string;
  /** Seconds until expiry, the `expire` field of the response. */
  expire: number;
}

export type TokenCheck = { ok: true; appId: string } | { ok: false; reason: 'missing' | 'invalid' };

const REISSUE_BELOW_MS = 30 * 60 * 1000;

export class TokenIssuer {
  private readonly tokens = new Map<string, IssuedToken>();
  private readonly current = new Map<string, string>();

  constructor(
    private readonly now: () => number,
    private readonly ttlSeconds: () => number,
  ) {}

  grant(appId: string): TokenGrant {
    const at = this.now();
    const existing = this.current.get(appId);
    const entry = existing ? this.tokens.get(existing) : undefined;
    // With the short TTLs tests configure, "30 min left" would mean "always",
    // so the reissue point is capped at half the lifetime.
    const reissueBelow = Math.min(REISSUE_BELOW_MS, this.ttlSeconds() * 500);
    if (existing && entry && entry.expiresAt - at >= reissueBelow) {
      return { token: existing, expire: Math.floor((entry.expiresAt - at) / 1000) };
    }
    const token = `t-${randomBytes(20).toString('hex')}`;
    this.tokens.set(token, { appId, expiresAt: at + this.ttlSeconds() * 1000 });
    this.current.set(appId, token);
    return { token, expire: this.ttlSeconds() };
  }

  /** Checks an Authorization header value ("Bearer t-…"). */
  check(authorization: string | undefined): TokenCheck {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    if (!match?.[1]) return { ok: false, reason: 'missing' };
    const entry = this.tokens.get(match[1]);
    if (!entry || entry.expiresAt <= this.now()) return { ok: false, reason: 'invalid' };
    return { ok: true, appId: entry.appId };
  }

  /** Invalidates every token issued so far, as if they had all expired. */
  expireAll(): void {
    this.tokens.clear();
    this.current.clear();
  }
}
