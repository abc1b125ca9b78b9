// Prometheus metrics (prom-client): one registry per process, every name prefixed `dsar_`.
// The API exposes the service's state (requests, tasks, officer actions, queues), read when
// scraped; each worker exposes what it does (jobs, vendor calls). Labels never carry personal
// data: request types and statuses, system and vendor keys, queue names, status classes.
import { collectDefaultMetrics, Registry } from 'prom-client';
import { createHash, timingSafeEqual } from 'node:crypto';

export const METRICS_PREFIX = 'dsar_';

/** A registry of its own (several apps can run in one process in tests) with Node's process metrics. */
export function newRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: METRICS_PREFIX });
  return registry;
}

/** METRICS_TOKEN, when set, as a bearer token; compared in constant time. */
export function metricsAuthorized(token: string | undefined, authorization: string | undefined): boolean {
  if (token === undefined) return true;
  const sent = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1] ?? '';
  // Equal-length digests: timingSafeEqual needs equal lengths, and the length leaks nothing.
  const digest = (v: string) => createHash('sha256').update(v).digest();
  return timingSafeEqual(digest(sent), digest(token));
}

/** "2xx", "4xx"…, or why no answer came ("timeout", "network", "aborted"). */
export function statusClass(status: number | undefined, failure?: string): string {
  if (status === undefined) return failure ?? 'network';
  return `${Math.floor(status / 100)}xx`;
}
