// Small helpers shared by the processor adapters.
import type { DataItemKey } from '../inventory/inventory.js';
import type { AccessResult, ItemValue, SystemRefs } from '../systems/data-system.js';

/** Collects item values, skipping empty ones. */
export class Items {
  readonly list: ItemValue[] = [];

  add(item: DataItemKey, value: unknown, where: string): this {
    if (value === undefined || value === null || value === '') return this;
    if (Array.isArray(value) && value.length === 0) return this;
    if (typeof value === 'object' && !Array.isArray(value) && Object.values(value).every((v) => v == null || v === '')) return this;
    this.list.push({ item, value, where });
    return this;
  }
}

export function notFound(note?: string): AccessResult {
  return { outcome: 'not_found', items: [], records: [], ...(note ? { note } : {}) };
}

/** Ids saved by an earlier attempt under `key`, merged with the ones just found (order kept, no duplicates). */
export function mergeIds<T extends string | number>(refs: SystemRefs, key: string, fresh: T[]): T[] {
  const saved = Array.isArray(refs[key]) ? (refs[key] as T[]) : [];
  return [...new Set([...saved, ...fresh])];
}

const SECRET_KEY = /token|secret|password|api_?key|credential/i;

/** Deep copy of a vendor record without fields that hold credentials (e.g. Auth0 social identities' access_token). */
export function stripSecrets<T>(value: T): T {
  if (Array.isArray(value)) return value.map(stripSecrets) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (!SECRET_KEY.test(k)) out[k] = stripSecrets(v);
    return out as T;
  }
  return value;
}

export function joinName(...parts: unknown[]): string | undefined {
  const s = parts.filter((p) => typeof p === 'string' && p.trim() !== '').join(' ');
  return s || undefined;
}

/** Unix seconds or ISO string → ISO string. */
export function isoDate(v: unknown): string | undefined {
  if (typeof v === 'number' && v > 0) return new Date(v < 1e12 ? v * 1000 : v).toISOString();
  if (typeof v === 'string' && v !== '') return v;
  return undefined;
}

export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}
