// Parent ↔ child protocol for the bench's child processes (our API, our worker, the baselines):
// the child says `ready` once it serves; the parent asks for `stats`, `reset` and `stop` by message.
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

interface Reply {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

type Handler = (msg: Record<string, unknown>) => unknown;

/** Child side: answers the parent's requests; `stop` runs its handler, replies, then exits. */
export function serveParent(handlers: Record<string, Handler>, info: Record<string, unknown> = {}): void {
  if (!process.send) throw new Error('Run this file through the bench (it needs an IPC channel)');
  process.on('disconnect', () => process.exit(1));
  process.on('message', (raw: unknown) => {
    const msg = raw as { id: number; type: string } & Record<string, unknown>;
    const handler = handlers[msg.type];
    void (async () => {
      let reply: Reply;
      try {
        reply = { id: msg.id, ok: true, result: handler ? await handler(msg) : undefined };
      } catch (err) {
        reply = { id: msg.id, ok: false, error: err instanceof Error ? err.stack ?? err.message : String(err) };
      }
      process.send!(reply, undefined, {}, () => {
        if (msg.type === 'stop') process.exit(0);
      });
    })();
  });
  process.send({ type: 'ready', ...info });
}

export interface ChildOptions {
  env: Record<string, string>;
  /** Node/V8 flags of the child (our worker runs with the flags it runs with in production). */
  nodeFlags?: string[];
  /** Directory for a V8 CPU profile of the child (written when it stops). */
  cpuProfDir?: string;
  /** Show the child's stdout (its logs). stderr is always shown. */
  showStdout?: boolean;
  readyTimeoutMs?: number;
}

/** Parent side of one child process. */
export class Child {
  private nextId = 1;
  private pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly exited: Promise<number | null>;

  private constructor(
    readonly proc: ChildProcess,
    readonly info: Record<string, unknown>,
  ) {
    proc.on('message', (raw: unknown) => {
      const r = raw as Reply;
      const p = this.pending.get(r.id);
      if (!p) return;
      this.pending.delete(r.id);
      if (r.ok) p.resolve(r.result);
      else p.reject(new Error(r.error));
    });
    this.exited = new Promise((resolve) => proc.once('exit', (code) => resolve(code)));
    void this.exited.then(() => {
      for (const p of this.pending.values()) p.reject(new Error('child exited'));
      this.pending.clear();
    });
  }

  static async start(script: string, opts: ChildOptions): Promise<Child> {
    const execArgv = [...(opts.nodeFlags ?? []), ...(opts.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`] : [])];
    const proc = fork(script, [], {
      env: { ...opts.env },
      execArgv,
      stdio: ['ignore', opts.showStdout ? 'inherit' : 'ignore', 'inherit', 'ipc'],
    });
    const info = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${script} did not become ready`)), opts.readyTimeoutMs ?? 60_000);
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${script} exited (code ${code}) before it was ready`));
      });
      proc.on('message', (raw: unknown) => {
        const m = raw as { type?: string };
        if (m.type === 'ready') {
          clearTimeout(timer);
          resolve(m as Record<string, unknown>);
        }
      });
    });
    return new Child(proc, info);
  }

  get pid(): number {
    return this.proc.pid!;
  }

  request<T>(type: string, extra: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.proc.send({ id, type, ...extra });
    });
  }

  /** Peak resident set size so far (VmHWM), in MB. */
  peakRssMb(): number {
    return procStatusKb(this.pid, 'VmHWM') / 1024;
  }

  rssMb(): number {
    return procStatusKb(this.pid, 'VmRSS') / 1024;
  }

  async stop(timeoutMs = 30_000): Promise<void> {
    if (this.proc.exitCode !== null) return;
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), timeoutMs);
    await this.request('stop').catch(() => undefined);
    await this.exited;
    clearTimeout(timer);
  }
}

function procStatusKb(pid: number, field: string): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}
