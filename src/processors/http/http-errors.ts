// Pure helpers of the vendor HTTP client: rate-limit header parsing, status → failure kind, and
// redaction of anything personal or secret from the text of an error.
import { DataSystemError, type FailureKind } from '../../systems/data-system.js';

type HeaderSource = Headers | Record<string, string | undefined>;

function header(headers: HeaderSource, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const hit = Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase());
  return hit === undefined ? undefined : headers[hit];
}

/** `Retry-After`: delta-seconds or an HTTP-date. Returns ms to wait (>= 0), or undefined. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * `X-RateLimit-Reset`: Auth0, Intercom and SendGrid document UTC epoch seconds, but SendGrid's
 * erasure API documents seconds-to-wait. A value below 1e9 cannot be a recent epoch, so it is a delay.
 */
export function parseRateLimitReset(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || !/^\d+(\.\d+)?$/.test(value.trim())) return undefined;
  const n = Number(value.trim());
  if (n < 1e9) return Math.round(n * 1000);
  return Math.max(0, Math.round(n * 1000 - now));
}

/** The server's requested wait, `Retry-After` first, then `X-RateLimit-Reset`. */
export function retryAfterFromHeaders(headers: HeaderSource, now = Date.now()): number | undefined {
  return (
    parseRetryAfter(header(headers, 'retry-after'), now) ??
    parseRateLimitReset(header(headers, 'x-ratelimit-reset'), now)
  );
}

/** Failure kind for a non-2xx status the caller did not expect. */
export function kindForStatus(status: number): FailureKind {
  if (status === 429) return 'rate_limited';
  if (status === 401 || status === 403) return 'auth';
  if (status >= 500 || status === 408) return 'transient';
  return 'permanent';
}

/**
 * A URL fit for an error message: path only (no host, no query), with any segment holding an
 * e-mail address (SendGrid suppression paths) replaced.
 */
export function redactUrl(url: string): string {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    path = url.split(/[?#]/)[0] ?? '';
  }
  return path
    .split('/')
    .map((seg) => {
      let decoded = seg;
      try {
        decoded = decodeURIComponent(seg);
      } catch {
        // keep the raw segment
      }
      return decoded.includes('@') ? '[redacted]' : seg;
    })
    .join('/');
}

/** A short vendor error code from a JSON error body, only when it is plainly a code (no free text). */
export function vendorErrorCode(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const b = body as Record<string, unknown>;
  const first = Array.isArray(b.errors) ? (b.errors[0] as Record<string, unknown> | undefined) : undefined;
  const candidates = [b.errorCode, b.code, first?.code, typeof b.error === 'string' ? b.error : undefined];
  for (const c of candidates) {
    if (typeof c === 'number' && Number.isFinite(c)) return String(c);
    if (typeof c === 'string' && /^[A-Za-z0-9_.-]{1,40}$/.test(c)) return c;
  }
  return undefined;
}

export interface HttpFailure {
  vendor: string;
  method: string;
  url: string;
  status: number;
  headers: HeaderSource;
  body?: unknown;
  now?: number;
}

/** Maps an unexpected HTTP status to a DataSystemError whose message holds no personal data. */
export function errorFromResponse(f: HttpFailure): DataSystemError {
  const kind = kindForStatus(f.status);
  const code = vendorErrorCode(f.body);
  const message = `${f.vendor} ${f.method} ${redactUrl(f.url)} answered HTTP ${f.status}${code ? ` (${code})` : ''}`;
  const wait = kind === 'rate_limited' ? retryAfterFromHeaders(f.headers, f.now) : undefined;
  return new DataSystemError(kind, message, wait, f.status);
}

/** Maps a fetch failure (network error, timeout, abort) to a transient DataSystemError. */
export function errorFromNetwork(vendor: string, method: string, url: string, err: unknown): DataSystemError {
  // Not `instanceof Error`: fetch's DOMException may come from another realm.
  const name = err && typeof err === 'object' && 'name' in err ? String(err.name) : 'Error';
  const what = name === 'TimeoutError' ? 'timed out' : name === 'AbortError' ? 'was aborted' : 'failed (network error)';
  return new DataSystemError('transient', `${vendor} ${method} ${redactUrl(url)} ${what}`);
}
