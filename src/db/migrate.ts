// `npm run db:migrate`: creates the database if needed and applies pending migrations.
import { fileURLToPath } from 'node:url';
import { loadConfig, loadDotEnv } from '../config/config.js';
import { applyMigrations, ensureDatabase } from './migrations.js';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../prisma/migrations', import.meta.url));

async function main(): Promise<void> {
  loadDotEnv();
  const config = loadConfig();
  if (await ensureDatabase(config.databaseUrl)) console.log('Created the database');
  const { applied, skipped } = await applyMigrations(config.databaseUrl, MIGRATIONS_DIR);
  console.log(`Migrations: ${applied.length} applied, ${skipped.length} already in place`);
  for (const name of applied) console.log(`  applied ${name}`);
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
