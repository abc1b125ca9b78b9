// The bench's own database (dsar_bench): created and migrated with the service's own helpers,
// emptied between measurements, filled in bulk.
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { applyMigrations, ensureDatabase } from '../../src/db/migrations.js';

const MIGRATIONS = fileURLToPath(new URL('../../../prisma/migrations', import.meta.url));

export async function prepareDatabase(url: string): Promise<pg.Pool> {
  await ensureDatabase(url);
  await applyMigrations(url, MIGRATIONS);
  return new pg.Pool({ connectionString: url, max: 4 });
}

/**
 * Empties the DSAR and account tables. audit_events refuses TRUNCATE through a trigger; in this
 * bench-only database the trigger is bypassed for this one transaction (session_replication_role
 * = replica, superuser), never in the service's databases.
 */
export async function emptyTables(pool: pg.Pool): Promise<void> {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    await c.query('SET LOCAL session_replication_role = replica');
    await c.query(
      'TRUNCATE audit_events, dsar_tasks, dsar_requests, accounts, billing_profiles, invoices, project_memberships, projects, content_items, comments, invitations, activity_events RESTART IDENTITY CASCADE',
    );
    await c.query('COMMIT');
  } catch (err) {
    await c.query('ROLLBACK');
    throw err;
  } finally {
    c.release();
  }
  await pool.query('VACUUM ANALYZE dsar_requests');
  await pool.query('VACUUM ANALYZE dsar_tasks');
}

export interface Subject {
  email: string;
  userId: string;
}

export function subjects(tag: string, n: number): Subject[] {
  return Array.from({ length: n }, (_, i) => ({ email: `bench-${tag}-${i + 1}@example.com`, userId: `usr_${tag}_${i + 1}` }));
}

/** One product account per subject (the row only: its erasure is then one DELETE). */
async function insertAccounts(pool: pg.Pool, tag: string, n: number): Promise<void> {
  await pool.query(
    `INSERT INTO accounts (id, user_id, email, first_name, last_name, updated_at)
     SELECT gen_random_uuid(), 'usr_' || $1 || '_' || g, 'bench-' || $1 || '-' || g || '@example.com', 'Bench', 'Subject ' || g, now()
     FROM generate_series(1, $2::int) g`,
    [tag, n],
  );
}

/** N requests already verified (what POST /verify leaves behind), for subjects with accounts. */
export async function insertVerifiedRequests(pool: pg.Pool, tag: string, n: number, type: 'access' | 'erasure' = 'erasure'): Promise<string[]> {
  await insertAccounts(pool, tag, n);
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO dsar_requests (id, type, status, email, open_key, received_at, due_at, verified_at, updated_at)
     SELECT gen_random_uuid(), $3::request_type, 'verified', e, $3 || ':' || e, now(), now() + interval '1 month', now(), now()
     FROM (SELECT 'bench-' || $1 || '-' || g || '@example.com' AS e FROM generate_series(1, $2::int) g) s
     RETURNING id`,
    [tag, n, type],
  );
  return rows.map((r) => r.id);
}

export const insertVerifiedErasures = (pool: pg.Pool, tag: string, n: number) => insertVerifiedRequests(pool, tag, n, 'erasure');

export interface BaselineRow {
  taskId: string;
  requestId: string;
  system: string;
  email: string;
  userId: string;
}

/** For the baseline: accounts, requests in progress and their task rows (one per system), queued. */
export async function insertPlannedErasures(pool: pg.Pool, tag: string, n: number, systems: string[]): Promise<BaselineRow[]> {
  await insertAccounts(pool, tag, n);
  await pool.query(
    `INSERT INTO dsar_requests (id, type, status, email, open_key, received_at, due_at, verified_at, updated_at)
     SELECT gen_random_uuid(), 'erasure', 'in_progress', e, 'erasure:' || e, now(), now() + interval '1 month', now(), now()
     FROM (SELECT 'bench-' || $1 || '-' || g || '@example.com' AS e FROM generate_series(1, $2::int) g) s`,
    [tag, n],
  );
  const { rows } = await pool.query<BaselineRow>(
    `INSERT INTO dsar_tasks (id, request_id, system, updated_at)
     SELECT gen_random_uuid(), r.id, s.system, now() FROM dsar_requests r CROSS JOIN unnest($1::text[]) AS s(system)
     WHERE r.email LIKE 'bench-' || $2 || '-%'
     RETURNING id AS "taskId", request_id AS "requestId", system,
       (SELECT email FROM dsar_requests WHERE id = request_id) AS email`,
    [systems, tag],
  );
  for (const r of rows) r.userId = `usr_${tag}_${/-(\d+)@/.exec(r.email)![1]}`;
  return rows;
}

export async function requestCounts(pool: pg.Pool): Promise<Record<string, number>> {
  const { rows } = await pool.query<{ status: string; n: string }>('SELECT status::text, count(*) AS n FROM dsar_requests GROUP BY status');
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}

export async function taskCounts(pool: pg.Pool): Promise<Record<string, number>> {
  const { rows } = await pool.query<{ status: string; n: string }>('SELECT status::text, count(*) AS n FROM dsar_tasks GROUP BY status');
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}

/** Transactions committed in the bench database so far (all clients), for a cross-check. */
export async function xactCommits(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ n: string }>('SELECT xact_commit AS n FROM pg_stat_database WHERE datname = current_database()');
  return Number(rows[0]!.n);
}

export async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, everyMs = 200): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
