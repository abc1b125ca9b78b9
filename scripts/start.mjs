// `npm start`: runs the API (dist/main.js) and the worker (dist/worker.js) side by side, and, when
// no SMTP server answers at SMTP_URL on this machine, a local mail catcher (scripts/dev-mail.mjs)
// so verification links can be read at http://127.0.0.1:1080. Ctrl-C stops everything.
import { spawn } from 'node:child_process';
import net from 'node:net';

import { existsSync } from 'node:fs';

// Settings from ./.env when present (copy .env.example); the environment wins.
if (existsSync('.env')) process.loadEnvFile('.env');
// Local development only: a well-known officer key, so the officer API works out of the box.
if (process.env.NODE_ENV !== 'production' && !process.env.OFFICER_API_KEY) {
  process.env.OFFICER_API_KEY = 'local-dev-officer-key-change-me';
  console.log('[start] OFFICER_API_KEY not set: using the local development key from the README (never in production)');
}
const smtp = new URL(process.env.SMTP_URL ?? 'smtp://127.0.0.1:1025');
const children = [];

function run(name, file, flags = []) {
  const child = spawn(process.execPath, [...flags, file], { stdio: 'inherit', env: process.env });
  child.on('exit', (code, signal) => {
    console.log(`[start] ${name} exited (${signal ?? code})`);
    shutdown(code ?? 1);
  });
  children.push(child);
}

function listening(host, port) {
  return new Promise((resolve) => {
    const s = net.connect({ host, port: Number(port) }, () => (s.end(), resolve(true)));
    s.on('error', () => resolve(false));
  });
}

let stopping = false;
function shutdown(code) {
  if (stopping) return;
  stopping = true;
  for (const c of children) c.kill('SIGTERM');
  setTimeout(() => process.exit(code), 10_000).unref();
}
process.on('SIGINT', () => shutdown(0));
process.on('SIGTERM', () => shutdown(0));

const local = ['127.0.0.1', 'localhost', '::1'].includes(smtp.hostname);
if (local && process.env.NODE_ENV !== 'production' && !(await listening(smtp.hostname, smtp.port || 25))) {
  run('mail catcher', new URL('./dev-mail.mjs', import.meta.url).pathname);
  await new Promise((r) => setTimeout(r, 500));
}
run('api', new URL('../dist/main.js', import.meta.url).pathname);
// The worker's V8 settings (src/worker-flags.ts: why).
const { WORKER_NODE_FLAGS } = await import('../dist/worker-flags.js');
run('worker', new URL('../dist/worker.js', import.meta.url).pathname, WORKER_NODE_FLAGS);
