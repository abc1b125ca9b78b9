// Counts every statement sent to PostgreSQL by this process, by patching pg's Client.query (the
// Prisma pg adapter, pg.Pool and pg.Client all go through it). Imported FIRST by the bench child
// processes, before anything else touches pg.
import pg from 'pg';

export interface QueryCounts {
  /** Every round trip, transaction control included. */
  total: number;
  /** BEGIN / START TRANSACTION / SAVEPOINT. */
  begin: number;
  /** COMMIT / RELEASE. */
  commit: number;
  /** ROLLBACK. */
  rollback: number;
  /** Statements by normalised text (first 90 characters), for finding N+1 patterns. */
  byText: Record<string, number>;
}

let counts: QueryCounts = fresh();

function fresh(): QueryCounts {
  return { total: 0, begin: 0, commit: 0, rollback: 0, byText: {} };
}

function textOf(q: unknown): string {
  if (typeof q === 'string') return q;
  if (q && typeof q === 'object' && 'text' in q) return String((q as { text: unknown }).text);
  return '';
}

const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
const original = proto.query;
proto.query = function patchedQuery(this: unknown, ...args: unknown[]): unknown {
  const text = textOf(args[0]).replace(/\s+/g, ' ').trim();
  const head = text.slice(0, 20).toUpperCase();
  counts.total++;
  if (head.startsWith('BEGIN') || head.startsWith('START TRANSACTION') || head.startsWith('SAVEPOINT')) counts.begin++;
  else if (head.startsWith('COMMIT') || head.startsWith('RELEASE')) counts.commit++;
  else if (head.startsWith('ROLLBACK')) counts.rollback++;
  const key = text.replace(/"public"\./g, '').slice(0, 90);
  counts.byText[key] = (counts.byText[key] ?? 0) + 1;
  return original.apply(this, args);
};

export function queryCounts(): QueryCounts {
  return counts;
}

export function resetQueryCounts(): void {
  counts = fresh();
}
