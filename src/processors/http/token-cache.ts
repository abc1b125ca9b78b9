// OAuth client-credentials tokens (Auth0, Hotjar, Salesforce for Pardot): cached until shortly
// before expiry, refreshed once when the vendor answers 401 (revoked or expired early).
import { DataSystemError } from '../../systems/data-system.js';

export interface IssuedToken {
  accessToken: string;
  /** Lifetime in seconds, when the vendor says. */
  expiresIn?: number;
}

export class TokenCache {
  private token?: { value: string; expiresAt: number };
  private pending?: Promise<string>;

  constructor(
    private readonly fetchToken: (signal?: AbortSignal) => Promise<IssuedToken>,
    /** Used when the vendor gives no expires_in (Salesforce). */
    private readonly defaultTtlSec = 3600,
    /** Refresh this long before expiry (a call must not start with a token about to lapse). */
    private readonly marginSec = 60,
  ) {}

  async get(signal?: AbortSignal): Promise<string> {
    if (this.token && Date.now() < this.token.expiresAt) return this.token.value;
    // One token request at a time, shared by concurrent callers.
    this.pending ??= this.fetchToken(signal)
      .then((t) => {
        const ttl = t.expiresIn && t.expiresIn > 0 ? t.expiresIn : this.defaultTtlSec;
        this.token = { value: t.accessToken, expiresAt: Date.now() + Math.max(ttl - this.marginSec, ttl / 2) * 1000 };
        return t.accessToken;
      })
      .finally(() => (this.pending = undefined));
    return this.pending;
  }

  invalidate(): void {
    this.token = undefined;
  }

  /** Runs `call` with a token; on a 401, drops the token and tries once more with a fresh one. */
  async withToken<T>(call: (token: string) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const first = await this.get(signal);
    try {
      return await call(first);
    } catch (err) {
      if (!(err instanceof DataSystemError) || err.status !== 401) throw err;
      this.invalidate();
      return call(await this.get(signal));
    }
  }
}
