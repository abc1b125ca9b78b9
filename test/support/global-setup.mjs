// Runs once before the test suite: drops and re-creates the test database, so every run proves the
// committed migrations apply to an empty database (test/support/db.ts applies them, idempotently,
// through the same code as `npm run db:migrate`).
import pg from 'pg';

export default async function globalSetup() {
  const target = new URL(
    process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/dsar_test',
  );
  const name = target.pathname.slice(1);
  const admin = new URL(target);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await client.query(`CREATE DATABASE "${name}"`);
  await client.end();
}
