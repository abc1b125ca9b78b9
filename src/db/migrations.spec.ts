import { describe, expect, test } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import { listMigrations } from './migrations.js';

describe('committed migrations', () => {
  test('are in Prisma layout, ordered, each with a migration.sql', async () => {
    const dir = fileURLToPath(new URL('../../prisma/migrations', import.meta.url));
    const ms = await listMigrations(dir);
    expect(ms.length).toBeGreaterThanOrEqual(2);
    for (const m of ms) {
      expect(m.name).toMatch(/^\d{14}_[a-z0-9_]+$/);
      expect(m.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(m.sql.length).toBeGreaterThan(0);
    }
    expect(ms.map((m) => m.name)).toEqual([...ms.map((m) => m.name)].sort());
  });
});
