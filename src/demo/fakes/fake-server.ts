// Base of the local vendor fakes: an in-memory HTTP server on 127.0.0.1 with a request log (and a
// full record of every call, for validation against the vendors' OpenAPI documents), fault
// injection, optional enforced rate limits per group of endpoints over any window (each vendor
// answers with its own 429 form), and OAuth-style tokens with scopes and an audience, issued by one
// fake and checked by another where the vendor splits them across hosts (Salesforce → Pardot,
// Entra ID → Azure). No test-framework dependency.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  /** Parsed JSON or form body (an object), raw text otherwise, undefined when empty. */
  body: unknown;
}

export interface FakeResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Set on answers injected by `failNext` / `chaos` (not the vendor's own): not checked against its documents. */
  injected?: boolean;
}

/** The request a rate-limit answer is for (vendors answer 429 differently per API). */
export interface RequestLine {
  method: string;
  path: string;
}

export interface LoggedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  status: number;
  at: number;
  /** How long the fake took to answer it (ms). */
  ms: number;
}

/** Everything about one call, as sent and as answered (for OpenAPI validation and assertions). */
export interface RecordedCall {
  method: string;
  path: string;
  /** Query parameters, repeated ones as several entries. */
  query: [string, string][];
  headers: IncomingMessage['headers'];
  /** The body as sent (text), '' when none. */
  rawBody: string;
  /** Parsed JSON or form body (an object), raw text otherwise, undefined when empty. */
  body: unknown;
  status: number;
  responseHeaders: Record<string, string>;
  responseBody: unknown;
  /** The answer came from `failNext` or `chaos` failures, not from the fake's vendor behaviour. */
  injected: boolean;
  at: number;
}

export interface RateLimitOptions {
  /** Requests accepted per rolling second. */
  perSecond?: number;
  /** Requests accepted per rolling minute. */
  perMinute?: number;
  /** Requests accepted per rolling hour. */
  perHour?: number;
  /** Requests handled at the same time. */
  maxConcurrent?: number;
  /**
   * A token bucket (Auth0 documents its limits this way: a burst and a sustained rate): `size`
   * tokens, refilled at `perSecond`; a request takes one or is refused.
   */
  tokenBucket?: { size: number; perSecond: number };
}

/** What a token was issued for; checked by the fake that receives it. */
export interface TokenGrant {
  expiresAt: number;
  scopes: string[];
  /** Audience / resource the token is valid for, when the vendor binds one. */
  audience?: string;
  /** Who issued it (client id), for assertions. */
  clientId?: string;
}

/** OAuth tokens shared between fakes (one fake issues, another accepts). */
export class TokenRegistry {
  private readonly tokens = new Map<string, TokenGrant>();

  issue(ttlSec: number, grant: Omit<TokenGrant, 'expiresAt'> = { scopes: [] }): string {
    const token = randomBytes(18).toString('base64url');
    this.tokens.set(token, { ...grant, expiresAt: Date.now() + ttlSec * 1000 });
    return token;
  }

  /** The grant behind an `Authorization: Bearer …` header, when it is known and not expired. */
  check(authorization: string | string[] | undefined): TokenGrant | undefined {
    const m = /^Bearer (.+)$/i.exec(typeof authorization === 'string' ? authorization : '');
    const grant = m ? this.tokens.get(m[1]!) : undefined;
    return grant && grant.expiresAt > Date.now() ? grant : undefined;
  }

  expireAll(): void {
    for (const g of this.tokens.values()) g.expiresAt = 0;
  }

  /** Every token issued (expired ones included), e.g. to check that none leaks into logs. */
  issued(): string[] {
    return [...this.tokens.keys()];
  }

  clear(): void {
    this.tokens.clear();
  }
}

export interface ChaosOptions {
  /** Share of requests answered with `failStatus` (default 500). */
  failRatio?: number;
  failStatus?: number;
  /** Share answered with the vendor's own 429, resetting in `resetInSec` (default 1). */
  rateLimitRatio?: number;
  resetInSec?: number;
  /** Share delayed by `slowMs` (default 1000) before normal handling. */
  slowRatio?: number;
  slowMs?: number;
  seed?: number;
}

export interface FakeServerOptions {
  port?: number;
  host?: string;
  /** The limit of the 'default' group (see `limitGroup`). */
  rateLimit?: RateLimitOptions;
  /** Tokens shared with other fakes (default: a registry of this fake's own). */
  tokens?: TokenRegistry;
}

interface Fault {
  count: number;
  apply: (at: RequestLine) => FakeResponse | Promise<void>;
}

export abstract class FakeVendorServer {
  abstract readonly name: string;
  /** Every request answered, in order (fault and limit answers included). */
  readonly log: LoggedRequest[] = [];
  /** The same requests with everything sent and answered (see `RecordedCall`). */
  readonly calls: RecordedCall[] = [];
  /** 429s sent because of the enforced rate limit or `rateLimitNext`. */
  rateLimited = 0;
  /** 429s sent because a caller went over the enforced rate limit (injected ones excluded). */
  limitExceeded = 0;
  private chaosOpts?: ChaosOptions & { random: () => number };
  private server?: Server;
  private faults: Fault[] = [];
  private inFlight = new Map<string, number>();
  private recent = new Map<string, number[]>();
  private limits = new Map<string, RateLimitOptions>();
  private buckets = new Map<string, { tokens: number; at: number }>();
  /** This fake's token registry (shared with other fakes when given in the options). */
  readonly tokens: TokenRegistry;

  constructor(private readonly options: FakeServerOptions = {}) {
    this.tokens = options.tokens ?? new TokenRegistry();
    this.resetLimits();
  }

  private resetLimits(): void {
    this.limits = new Map(this.options.rateLimit ? [['default', this.options.rateLimit]] : []);
  }

  /**
   * The rate-limit group of a request (vendors limit groups of endpoints separately, e.g.
   * Amplitude's usersearch/useractivity vs its deletions API). Decided from the method and path,
   * before the body is read. Default: one group, 'default'.
   */
  limitGroup(_method: string, _path: string): string {
    return 'default';
  }

  /** The vendor's answer when a rate limit is hit; `resetAt` is epoch seconds; `at` the request refused. */
  protected abstract tooManyRequests(resetAt: number, at: RequestLine): FakeResponse;
  protected abstract handle(req: FakeRequest): FakeResponse | Promise<FakeResponse>;
  protected abstract clearStore(): void;

  get url(): string {
    const addr = this.server?.address() as AddressInfo | null;
    if (!addr) throw new Error(`${this.name} fake is not listening`);
    return `http://${this.options.host ?? '127.0.0.1'}:${addr.port}`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.serve(req, res));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', () => resolve());
    });
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Empties the store, the log, faults, limits and tokens. */
  reset(): void {
    this.clearStore();
    this.log.length = 0;
    this.calls.length = 0;
    this.faults = [];
    this.recent.clear();
    this.buckets.clear();
    this.inFlight.clear();
    this.rateLimited = 0;
    this.limitExceeded = 0;
    this.chaosOpts = undefined;
    this.tokens.clear();
    this.resetLimits();
  }

  /** Answer the next `count` requests with `status` (and the vendor-neutral or given body). */
  failNext(count: number, status = 500, body: unknown = { error: 'injected failure' }, headers?: Record<string, string>): this {
    this.faults.push({ count, apply: () => ({ status, body, headers, injected: true }) });
    return this;
  }

  /** Delay the next `count` requests by `ms` before handling them normally. */
  slowNext(count: number, ms: number): this {
    this.faults.push({ count, apply: () => new Promise<void>((r) => setTimeout(r, ms)) });
    return this;
  }

  /** Answer the next `count` requests with the vendor's own 429, the limit resetting in `resetInSec`. */
  rateLimitNext(count: number, resetInSec = 1): this {
    this.faults.push({
      count,
      apply: (at) => {
        this.rateLimited++;
        return this.tooManyRequests(Math.ceil(Date.now() / 1000) + resetInSec, at);
      },
    });
    return this;
  }

  /**
   * Random faults on a share of requests (deterministic for a seed): 5xx answers, slow answers
   * (e.g. longer than the client's timeout), and the vendor's own 429 — applied after the
   * enforced limit, before the normal handling. `chaos()` with no argument turns it off.
   */
  chaos(opts?: ChaosOptions): this {
    if (!opts) {
      this.chaosOpts = undefined;
      return this;
    }
    let seed = opts.seed ?? 1;
    // mulberry32
    const random = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    this.chaosOpts = { ...opts, random };
    return this;
  }

  private async chaosFault(at: RequestLine): Promise<FakeResponse | undefined> {
    const c = this.chaosOpts;
    if (!c) return undefined;
    const r = c.random();
    let edge = c.failRatio ?? 0;
    if (r < edge) return { status: c.failStatus ?? 500, body: { error: 'injected failure' }, injected: true };
    edge += c.rateLimitRatio ?? 0;
    if (r < edge) {
      this.rateLimited++;
      return this.tooManyRequests(Math.ceil(Date.now() / 1000) + (c.resetInSec ?? 1), at);
    }
    edge += c.slowRatio ?? 0;
    if (r < edge) await new Promise((res) => setTimeout(res, c.slowMs ?? 1000));
    return undefined;
  }

  /** Enforces `limit` on one group of endpoints (default: 'default'); `{}` removes it. */
  setRateLimit(limit: RateLimitOptions, group = 'default'): this {
    this.limits.set(group, limit);
    this.buckets.delete(group);
    return this;
  }

  /** Requests matching method and path (a string prefix or a pattern). */
  requests(method?: string, path?: string | RegExp): LoggedRequest[] {
    return this.log.filter(
      (r) =>
        (!method || r.method === method) &&
        (!path || (typeof path === 'string' ? r.path.startsWith(path) : path.test(r.path))),
    );
  }

  // Token helpers for the OAuth-style fakes.
  protected issueToken(ttlSec: number, grant?: Omit<TokenGrant, 'expiresAt'>): string {
    return this.tokens.issue(ttlSec, grant);
  }

  protected tokenValid(authorization: string | undefined): boolean {
    return this.tokens.check(authorization) !== undefined;
  }

  /** Makes every issued token expired, as if its lifetime had passed mid-run. */
  expireTokens(): this {
    this.tokens.expireAll();
    return this;
  }

  private async serve(req: IncomingMessage, res: import('node:http').ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const started = Date.now();
    const method = req.method ?? 'GET';
    const group = this.limitGroup(method, url.pathname);
    this.inFlight.set(group, (this.inFlight.get(group) ?? 0) + 1);
    let out: FakeResponse;
    let raw = '';
    let body: unknown;
    try {
      raw = await readBody(req);
      body = parseBody(raw, req.headers['content-type']);
      const at = { method, path: url.pathname };
      out = this.limit(group, started, at) ?? (await this.fault(at)) ?? (await this.chaosFault(at)) ?? (await this.handle({
        method,
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body,
      }));
    } catch (err) {
      out = { status: 500, body: { error: err instanceof Error ? err.message : 'fake error' } };
    } finally {
      this.inFlight.set(group, (this.inFlight.get(group) ?? 1) - 1);
    }
    this.log.push({ method, path: url.pathname, status: out.status, at: started, ms: Date.now() - started });
    this.calls.push({
      method,
      path: url.pathname,
      query: [...url.searchParams.entries()],
      headers: req.headers,
      rawBody: raw,
      body,
      status: out.status,
      responseHeaders: { ...out.headers },
      responseBody: out.body,
      injected: out.injected === true,
      at: started,
    });
    const headers: Record<string, string> = { ...out.headers };
    let text = '';
    if (out.body !== undefined && out.status !== 204) {
      text = typeof out.body === 'string' ? out.body : JSON.stringify(out.body);
      headers['content-type'] ??= typeof out.body === 'string' ? 'text/plain' : 'application/json';
    }
    res.writeHead(out.status, headers);
    res.end(text);
  }

  /**
   * Where a group stands against its enforced limit (the tightest window), for vendors that send
   * `X-RateLimit-*` on every answer; undefined when the group has no enforced rate.
   */
  protected rateLimitWindow(group: string, now = Date.now()): { limit: number; remaining: number; resetAt: number; resetInSec: number } | undefined {
    const rule = this.limits.get(group) ?? {};
    const windows: [number | undefined, number][] = [[rule.perSecond, 1000], [rule.perMinute, 60_000], [rule.perHour, 3_600_000]];
    let best: { limit: number; remaining: number; resetAt: number; resetInSec: number } | undefined;
    for (const [max, windowMs] of windows) {
      if (max === undefined) continue;
      const inWindow = (this.recent.get(group) ?? []).filter((t) => t > now - windowMs);
      const endMs = (inWindow[0] ?? now) + windowMs;
      const w = { limit: max, remaining: Math.max(0, max - inWindow.length), resetAt: Math.ceil(endMs / 1000), resetInSec: Math.ceil((endMs - now) / 1000) };
      if (!best || w.remaining < best.remaining) best = w;
    }
    if (rule.tokenBucket) {
      // Auth0's headers for a bucket: its size, the whole tokens left, when it is full again.
      const { size, perSecond } = rule.tokenBucket;
      const b = this.buckets.get(group) ?? { tokens: size, at: now };
      const tokens = Math.min(size, b.tokens + ((now - b.at) / 1000) * perSecond);
      const fullMs = now + ((size - tokens) / perSecond) * 1000;
      const w = { limit: size, remaining: Math.floor(tokens), resetAt: Math.ceil(fullMs / 1000), resetInSec: Math.ceil((fullMs - now) / 1000) };
      if (!best || w.remaining < best.remaining) best = w;
    }
    return best;
  }

  private limit(group: string, now: number, at: RequestLine): FakeResponse | undefined {
    const rule = this.limits.get(group) ?? {};
    const windows: [number | undefined, number][] = [[rule.perSecond, 1000], [rule.perMinute, 60_000], [rule.perHour, 3_600_000]];
    const longest = Math.max(...windows.filter(([n]) => n !== undefined).map(([, w]) => w), 0);
    const recent = (this.recent.get(group) ?? []).filter((t) => t > now - longest);
    let resetAt: number | undefined;
    for (const [max, windowMs] of windows) {
      if (max === undefined) continue;
      const inWindow = recent.filter((t) => t > now - windowMs);
      if (inWindow.length >= max) resetAt = Math.max(resetAt ?? 0, Math.ceil((inWindow[0]! + windowMs) / 1000));
    }
    const overConcurrency = rule.maxConcurrent !== undefined && (this.inFlight.get(group) ?? 0) > rule.maxConcurrent;
    if (rule.tokenBucket && resetAt === undefined && !overConcurrency) {
      const { size, perSecond } = rule.tokenBucket;
      const b = this.buckets.get(group) ?? { tokens: size, at: now };
      b.tokens = Math.min(size, b.tokens + ((now - b.at) / 1000) * perSecond);
      b.at = now;
      this.buckets.set(group, b);
      if (b.tokens >= 1) b.tokens -= 1;
      else resetAt = Math.ceil((now + ((1 - b.tokens) / perSecond) * 1000) / 1000);
    }
    if (resetAt === undefined) recent.push(now);
    this.recent.set(group, recent);
    if (resetAt === undefined && !overConcurrency) return undefined;
    this.rateLimited++;
    this.limitExceeded++;
    return this.tooManyRequests(resetAt ?? Math.ceil(now / 1000) + 1, at);
  }

  private async fault(at: RequestLine): Promise<FakeResponse | undefined> {
    const f = this.faults[0];
    if (!f) return undefined;
    if (--f.count <= 0) this.faults.shift();
    const r = await f.apply(at);
    return r ?? undefined;
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseBody(raw: string, contentType: string | undefined): unknown {
  if (raw === '') return undefined;
  if (contentType?.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(raw));
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

export function epochSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** `X-RateLimit-*` headers as Auth0, Intercom and SendGrid send them (reset in epoch seconds). */
export function rateLimitHeaders(limit: number, remaining: number, resetAt: number): Record<string, string> {
  return { 'x-ratelimit-limit': String(limit), 'x-ratelimit-remaining': String(remaining), 'x-ratelimit-reset': String(resetAt) };
}
