// Real processes for fault and log tests: the compiled API and worker (dist/main.js, dist/worker.js,
// built by `npm test`'s pretest) and a throw-away redis-server, killable with signals like in
// production. The service logs JSON lines (LOG_FORMAT=json, as in production).
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import net from 'node:net';

const WORKER = fileURLToPath(new URL('../../dist/worker.js', import.meta.url));
const API = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

export interface Proc {
  child: ChildProcess;
  /** stdout and stderr, interleaved. */
  output: string[];
  stdout: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function track(child: ChildProcess): Proc {
  const output: string[] = [];
  const stdout: string[] = [];
  child.stdout?.on('data', (d: Buffer) => {
    output.push(d.toString());
    stdout.push(d.toString());
  });
  child.stderr?.on('data', (d: Buffer) => output.push(d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output, stdout, exited };
}

/** Starts `node dist/worker.js` with the harness's configuration and waits until it runs. */
export async function startWorkerProcess(env: Record<string, string>, timeoutMs = 30_000): Promise<Proc> {
  return startProcess('worker', WORKER, env, 'Worker running', timeoutMs);
}

/** Starts `node dist/main.js` with the given configuration (PORT included) and waits until it listens. */
export async function startApiProcess(env: Record<string, string>, timeoutMs = 30_000): Promise<Proc> {
  return startProcess('API', API, env, 'Listening on port', timeoutMs);
}

async function startProcess(what: string, file: string, env: Record<string, string>, ready: string, timeoutMs: number): Promise<Proc> {
  // At least the 'log' level, whatever the harness runs at in-process: the start-up line is waited for.
  const level = env.LOG_LEVEL === 'debug' ? 'debug' : 'log';
  const p = track(spawn(process.execPath, [file], { env: { ...process.env, ...env, LOG_LEVEL: level, LOG_FORMAT: 'json', NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] }));
  const deadline = Date.now() + timeoutMs;
  while (!p.output.join('').includes(ready)) {
    if (Date.now() > deadline || p.child.exitCode !== null) throw new Error(`${what} did not start:\n${p.output.join('')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return p;
}

/** A process's stdout as lines (the last one complete). */
export function linesOf(chunks: string[]): string[] {
  return chunks.join('').split('\n').filter((l) => l.trim() !== '');
}

/** Every string in a parsed log line, decoded (so that an escaped value is scanned as written). */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => [k, ...strings(v)]);
  return value === undefined || value === null ? [] : [String(value)];
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** A redis-server of the test's own, keeping nothing on disk (as on these machines). */
export async function startRedis(port: number): Promise<Proc> {
  const p = track(spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] }));
  const deadline = Date.now() + 10_000;
  while (!p.output.join('').includes('Ready to accept connections')) {
    if (Date.now() > deadline || p.child.exitCode !== null) throw new Error(`redis-server did not start:\n${p.output.join('')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return p;
}

/**
 * Lines of a process's output that contain any of `values` (personal data, secrets): the log rule
 * holds for the worker processes the fault tests start too.
 */
export function leaksIn(output: string[], values: [what: string, value: string][]): string[] {
  const lines = output.join('').split('\n').map((raw) => {
    // A JSON line is also read decoded: its strings as they were logged.
    let decoded = '';
    try {
      decoded = strings(JSON.parse(raw)).join('\n');
    } catch {
      // not JSON: the raw line is all there is
    }
    return { raw, text: `${raw}\n${decoded}`.toLowerCase() };
  });
  return values.flatMap(([what, value]) => lines.filter((l) => value && l.text.includes(value.toLowerCase())).map((l) => `${what}: ${l.raw.slice(0, 200)}`));
}
