import { HttpStatus, Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { isIPv4, isIPv6 } from 'node:net';
import parseurl from 'parseurl';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { ApiError } from './errors.js';
import { RateLimitStore } from './rate-limit.store.js';

// Per-client limits on the public endpoints, counted in Redis so that they hold across API
// processes. It runs before body parsing and never touches the database, so a refused request
// costs one Redis call. Officer endpoints (/v1/admin/*) and /health are not limited here.

export type RouteClass = 'intake' | 'verify' | 'status' | 'report';

/**
 * The route class of a public endpoint, or undefined for everything else. Mirrors the router: the
 * path is parsed as Express parses it (so an absolute-form target such as
 * "POST http://host/v1/requests" counts like "/v1/requests"), case-insensitive, one optional
 * trailing slash, HEAD served by GET handlers.
 */
export function classifyRoute(method: string, url: string): RouteClass | undefined {
  const path = parseurl({ url } as Request)?.pathname ?? '';
  const m = method.toUpperCase();
  if (m === 'POST' && (/^\/v1\/requests\/?$/i.test(path) || path === '/')) return 'intake';
  if (m === 'POST' && /^\/v1\/requests\/[^/]+\/confirm\/?$/i.test(path)) return 'verify';
  if ((m === 'POST' || m === 'GET' || m === 'HEAD') && /^\/v1\/requests\/[^/]+\/verify\/?$/i.test(path)) return 'verify';
  if ((m === 'GET' || m === 'HEAD') && /^\/v1\/requests\/[^/]+\/?$/i.test(path)) return 'status';
  if ((m === 'GET' || m === 'HEAD') && /^\/v1\/reports\/[^/]+(\/report\.(json|csv))?\/?$/i.test(path)) return 'report';
  return undefined;
}

/**
 * What one client is counted as: an IPv4 address (IPv4-mapped IPv6 included) or an IPv6 /64, the
 * block one subscriber usually holds (counting single IPv6 addresses would be trivial to evade).
 */
export function clientKey(address: string): string {
  let a = address.trim().toLowerCase();
  const zone = a.indexOf('%');
  if (zone >= 0) a = a.slice(0, zone);
  if (a.startsWith('::ffff:') && isIPv4(a.slice(7))) return a.slice(7);
  if (isIPv4(a)) return a;
  if (isIPv6(a)) return `${ipv6Groups(a).slice(0, 4).join(':')}::/64`;
  return a || 'unknown';
}

function ipv6Groups(address: string): string[] {
  let a = address;
  const v4 = /^(.*:)(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(a);
  if (v4) {
    const [w, x, y, z] = v4.slice(2).map(Number) as [number, number, number, number];
    a = `${v4[1]}${((w << 8) | x).toString(16)}:${((y << 8) | z).toString(16)}`;
  }
  const [head = '', tail] = a.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = tail === undefined ? 0 : 8 - h.length - t.length;
  return [...h, ...Array<string>(fill).fill('0'), ...t].map((g) => parseInt(g, 16).toString(16));
}

/**
 * The client's address. `req.ip` follows Express's "trust proxy" setting, which createApi sets
 * from TRUST_PROXY: off by default, so X-Forwarded-For (which anyone can send) is ignored.
 */
export function clientAddress(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? '';
}

@Injectable()
export class RateLimitMiddleware implements NestMiddleware {
  private readonly limits: Record<RouteClass, number>;

  constructor(
    private readonly store: RateLimitStore,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.limits = {
      intake: config.rateLimit.intakePerMinute,
      verify: config.rateLimit.verifyPerMinute,
      status: config.rateLimit.statusPerMinute,
      report: config.rateLimit.reportPerMinute,
    };
  }

  async use(req: Request, res: Response, next: NextFunction): Promise<void> {
    const routeClass = classifyRoute(req.method, req.originalUrl ?? req.url);
    if (routeClass === undefined) return next();
    const limit = this.limits[routeClass];
    if (limit === 0) return next();
    // `undefined`: Redis did not answer. Fail open (the store logs a warning): intake must keep
    // working without Redis.
    const verdict = await this.store.hit(routeClass, clientKey(clientAddress(req)), limit);
    if (verdict && !verdict.allowed) {
      res.setHeader('Retry-After', String(verdict.retryAfterSeconds));
      throw new ApiError(
        HttpStatus.TOO_MANY_REQUESTS,
        'too_many_requests',
        `Too many requests: try again in ${verdict.retryAfterSeconds} seconds`,
      );
    }
    next();
  }
}

/** Per-client counters of failures (wrong verification tokens, failed officer authentications). */
export type FailureClass = 'wrong-token' | 'auth-failure';

export class TooManyFailures extends ApiError {
  constructor(readonly retryAfterSeconds: number, what: string) {
    super(HttpStatus.TOO_MANY_REQUESTS, 'too_many_requests', `Too many ${what} from this address: try again in ${retryAfterSeconds} seconds`);
  }
}

/**
 * Refuses a client that already failed `limit` times in the current window (429 with Retry-After),
 * before the request is looked at; `failed` counts one more failure. Fails open without Redis.
 */
export class FailureLimiter {
  constructor(
    private readonly store: RateLimitStore,
    private readonly failureClass: FailureClass,
    private readonly limit: number,
    private readonly what: string,
  ) {}

  async check(req: Request): Promise<void> {
    if (this.limit === 0) return;
    const seen = await this.store.peek(this.failureClass, clientKey(clientAddress(req)));
    if (seen && seen.count >= this.limit) throw new TooManyFailures(seen.retryAfterSeconds, this.what);
  }

  async failed(req: Request): Promise<void> {
    if (this.limit === 0) return;
    await this.store.hit(this.failureClass, clientKey(clientAddress(req)), this.limit);
  }
}
