// Real processes for fault tests: the compiled worker (dist/worker.js, built by `npm test`'s
// pretest) and a throw-away redis-server, both killable with signals like in production.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import net from 'node:net';

const WORKER = fileURLToPath(new URL('../../dist/worker.js', import.meta.url));

export interface Proc {
  child: ChildProcess;
  output: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function track(child: ChildProcess): Proc {
  const output: string[] = [];
  child.stdout?.on('data', (d: Buffer) => output.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => output.push(d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output, exited };
}

/** Starts `node dist/worker.js` with the harness's configuration and waits until it runs. */
export async function startWorkerProcess(env: Record<string, string>, timeoutMs = 30_000): Promise<Proc> {
  const p = track(spawn(process.execPath, [WORKER], { env: { ...process.env, ...env, LOG_LEVEL: 'log', NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] }));
  const deadline = Date.now() + timeoutMs;
  while (!p.output.join('').includes('Worker running')) {
    if (Date.now() > deadline || p.child.exitCode !== null) throw new Error(`worker did not start:\n${p.output.join('')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return p;
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
  const lines = output.join('').split('\n');
  return values.flatMap(([what, value]) => lines.filter((l) => value && l.toLowerCase().includes(value.toLowerCase())).map((l) => `${what}: ${l.slice(0, 200)}`));
}
