// The worker's V8 settings (src/worker-flags.ts) are the same wherever it is started: npm start and
// docker compose (the bench imports the constant itself).
import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { WORKER_NODE_FLAGS } from '../../src/worker-flags.js';

const root = new URL('../../', import.meta.url);

describe('worker V8 settings', () => {
  test('docker compose starts the worker with them', () => {
    const compose = readFileSync(new URL('docker-compose.yml', root), 'utf8');
    // Every command line (JSON arrays in the file); the one that runs dist/worker.js.
    const commands = [...compose.matchAll(/^\s*command: (\[.*\])\s*$/gm)].map((m) => JSON.parse(m[1]!) as string[]);
    const worker = commands.filter((c) => c.includes('dist/worker.js'));
    expect(worker).toEqual([['node', ...WORKER_NODE_FLAGS, 'dist/worker.js']]);
  });

  test('npm start passes them to the worker', () => {
    const start = readFileSync(new URL('scripts/start.mjs', root), 'utf8');
    expect(start).toMatch(/WORKER_NODE_FLAGS } = await import\('\.\.\/dist\/worker-flags\.js'\)/);
    expect(start).toMatch(/run\('worker', [^\n]*, WORKER_NODE_FLAGS\)/);
  });
});
