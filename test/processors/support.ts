// Test scaffolding: a TaskContext as the job layer would pass it, whose saveRefs stores into a
// local object and records how many requests the fake had answered at that moment (to prove the
// refs were saved before any delete went out).
import type { SubjectIdentifiers, SystemRefs, TaskContext } from '../../src/systems/data-system.js';
import type { FakeVendorServer } from '../../src/demo/fakes/index.js';
import { DataSystemError } from '../../src/systems/data-system.js';

export interface TestCtx {
  ctx: TaskContext;
  saved: SystemRefs;
  /** fake.log.length at each saveRefs call. */
  savedAtLogLength: number[];
}

export function makeCtx(subject: SubjectIdentifiers, fake?: FakeVendorServer, refs: SystemRefs = {}): TestCtx {
  const saved: SystemRefs = { ...refs };
  const savedAtLogLength: number[] = [];
  const ctx: TaskContext = {
    receivedAt: new Date(),
    requestId: 'req-1',
    taskId: 'task-1',
    subject,
    refs,
    signal: new AbortController().signal,
    async saveRefs(r) {
      savedAtLogLength.push(fake ? fake.log.length : -1);
      Object.assign(saved, r);
    },
  };
  return { ctx, saved, savedAtLogLength };
}

/** The next attempt of the same task: it sees what earlier attempts saved. */
export function retryCtx(prev: TestCtx, fake?: FakeVendorServer): TestCtx {
  return makeCtx(prev.ctx.subject, fake, { ...prev.saved });
}

/** Index in the fake's log of the first request with this method. */
export function firstIndex(fake: FakeVendorServer, method: string, path?: string | RegExp): number {
  return fake.log.findIndex((r) => r.method === method && (!path || (typeof path === 'string' ? r.path.startsWith(path) : path.test(r.path))));
}

export async function failure(p: Promise<unknown>): Promise<DataSystemError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof DataSystemError) return err;
    throw err;
  }
  throw new Error('expected a DataSystemError, the call succeeded');
}
