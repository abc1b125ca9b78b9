// The one outbound HTTP client of every processor adapter: timeouts, body encoding, a couple of
// quick retries, and vendor failures mapped onto DataSystemError. Longer waits are left to the job
// layer, which retries the whole task later.
import { channel } from 'node:diagnostics_channel';
import { DataSystemError } from '../../systems/data-system.js';
import { errorFromNetwork, errorFromResponse } from './http-errors.js';
import type { VendorGate } from './vendor-limiter.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type QueryValue = string | number | boolean | undefined;

export interface VendorRequest {
  method?: HttpMethod;
  /** Path relative to the client's base URL, or an absolute URL (token endpoints on another host). */
  path: string;
  query?: Record<string, QueryValue>;
  json?: unknown;
  /**
   * A JSON body built only once the rate-limit slot is granted, just before the request goes out
   * (e.g. a batch that keeps filling while it waits for its slot). Called on every attempt: memoize
   * it to send one body across quick retries. Throwing from it cancels the request (no call made).
   */
  jsonAtSend?: () => unknown;
  form?: Record<string, string>;
  headers?: Record<string, string>;
  /** Non-2xx statuses handed back to the caller instead of thrown (e.g. 404 = not there). */
  okStatuses?: number[];
  signal?: AbortSignal;
  /** Rate-limit bucket within the vendor (e.g. Amplitude's 'deletions'); default the vendor's own. */
  bucket?: string;
  /** Vendor-specific mapping tried before the generic one (e.g. Pardot's body error codes). */
  mapError?: (status: number, body: unknown, base: DataSystemError) => DataSystemError | undefined;
}

export interface VendorResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

export interface VendorHttpOptions {
  vendor: string;
  baseUrl: string;
  timeoutMs: number;
  /** Quick in-process retries for transient failures and 429s (default 2). */
  maxRetries?: number;
  /** First backoff delay; doubles per retry, plus jitter (default 200 ms). */
  baseDelayMs?: number;
  /** A server-requested wait longer than this is not slept through here (default 5 s). */
  maxServerWaitMs?: number;
  /** Headers added to every request (static credentials). */
  headers?: Record<string, string>;
  /** The vendor's shared rate limit (src/processors/http/vendor-limiter.ts). */
  gate?: VendorGate;
}

/**
 * One message per call that went out (not per wait for a slot): the vendor, the HTTP status (none
 * when no answer came) and how long it took. The worker's metrics subscribe (src/ops/); it carries
 * no URL, query or body, so no address can reach a metric label.
 */
export interface VendorCallEvent {
  vendor: string;
  status?: number;
  /** Why no answer came. */
  failure?: 'timeout' | 'aborted' | 'network';
  durationMs: number;
}

export const vendorCallChannel = channel('dsar.vendor-call');

function reportCall(event: VendorCallEvent): void {
  if (vendorCallChannel.hasSubscribers) vendorCallChannel.publish(event);
}

export class VendorHttpClient {
  readonly vendor: string;
  private readonly maxRetries: number;
  private readonly baseDelayMs: number;
  private readonly maxServerWaitMs: number;

  constructor(private readonly opts: VendorHttpOptions) {
    this.vendor = opts.vendor;
    this.maxRetries = opts.maxRetries ?? 2;
    this.baseDelayMs = opts.baseDelayMs ?? 200;
    this.maxServerWaitMs = opts.maxServerWaitMs ?? 5000;
  }

  url(path: string, query?: Record<string, QueryValue>): string {
    const url = /^https?:\/\//.test(path)
      ? new URL(path)
      : new URL(this.opts.baseUrl.replace(/\/+$/, '') + (path.startsWith('/') ? path : `/${path}`));
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    return url.toString();
  }

  async request<T = unknown>(req: VendorRequest): Promise<VendorResponse<T>> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.once<T>(req);
      } catch (err) {
        if (!(err instanceof DataSystemError) || !err.retryable || attempt >= this.maxRetries) throw err;
        if (req.signal?.aborted) throw err;
        const backoff = this.baseDelayMs * 2 ** attempt;
        const wait = err.retryAfterMs ?? backoff;
        // A long server-requested wait goes back to the job layer rather than blocking a worker.
        if (wait > this.maxServerWaitMs) throw err;
        await sleep(wait + Math.random() * this.baseDelayMs, req.signal);
      }
    }
  }

  private async once<T>(req: VendorRequest): Promise<VendorResponse<T>> {
    const method = req.method ?? 'GET';
    const url = this.url(req.path, req.query);
    const headers: Record<string, string> = { accept: 'application/json', ...this.opts.headers, ...req.headers };
    let body: string | undefined;
    if (req.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(req.json);
    } else if (req.form !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(req.form).toString();
    }

    let res: Response;
    let parsed: unknown;
    const release = this.opts.gate ? await this.opts.gate.acquire(req.bucket, req.signal) : undefined;
    if (req.jsonAtSend) {
      try {
        body = JSON.stringify(req.jsonAtSend());
        headers['content-type'] = 'application/json';
      } catch (err) {
        release?.();
        throw err;
      }
    }
    // The timeout covers the call itself, not the wait for a rate-limit slot.
    const timeout = AbortSignal.timeout(this.opts.timeoutMs);
    const signal = req.signal ? AbortSignal.any([timeout, req.signal]) : timeout;
    const started = performance.now();
    let status: number | undefined;
    try {
      res = await fetch(url, { method, headers, body, signal, redirect: 'follow' });
      status = res.status;
      parsed = parseBody(await res.text());
    } catch (err) {
      const failure = timeout.aborted ? 'timeout' : req.signal?.aborted ? 'aborted' : 'network';
      reportCall({ vendor: this.vendor, status, failure: status === undefined ? failure : undefined, durationMs: performance.now() - started });
      throw errorFromNetwork(this.vendor, method, url, err);
    } finally {
      release?.();
    }
    reportCall({ vendor: this.vendor, status: res.status, durationMs: performance.now() - started });
    if (res.status === 429 && this.opts.gate) {
      const wait = errorFromResponse({ vendor: this.vendor, method, url, status: 429, headers: res.headers, body: parsed }).retryAfterMs;
      await this.opts.gate.penalize(req.bucket, wait ?? 1000).catch(() => undefined);
    }
    if ((res.status >= 200 && res.status < 300) || req.okStatuses?.includes(res.status)) {
      return { status: res.status, headers: res.headers, body: parsed as T };
    }
    const base = errorFromResponse({ vendor: this.vendor, method, url, status: res.status, headers: res.headers, body: parsed });
    throw req.mapError?.(res.status, parsed, base) ?? base;
  }
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new DataSystemError('transient', 'aborted while waiting to retry'));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new DataSystemError('transient', 'aborted while waiting to retry'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
