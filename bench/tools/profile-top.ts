// Summarises a V8 .cpuprofile (from `npm run bench -- --cpu-prof`): self time by function and by
// package/file, to find where a child process spends its CPU.
//   node dist-bench/bench/tools/profile-top.js bench/results/profiles/<run>/<file>.cpuprofile [top]
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const file = process.argv[2];
const top = Number(process.argv[3] ?? 25);
if (!file) throw new Error('usage: profile-top <file.cpuprofile> [top]');
const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0));
const total = [...self.values()].reduce((a, b) => a + b, 0);

const short = (url: string) => {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1]!;
  if (url.includes('/dist-bench/src/')) return 'src/' + url.split('/dist-bench/src/')[1];
  if (url.includes('/dist-bench/')) return url.split('/dist-bench/')[1]!;
  return url.startsWith('node:') ? url : url === '' ? '(native/vm)' : url.replace(/^file:\/\//, '');
};
const fn = new Map<string, number>();
const pkg = new Map<string, number>();
for (const [id, t] of self) {
  const n = byId.get(id)!;
  const where = short(n.callFrame.url);
  const k = `${n.callFrame.functionName || '(anonymous)'}  ${where}:${n.callFrame.lineNumber + 1}`;
  fn.set(k, (fn.get(k) ?? 0) + t);
  const g = where.startsWith('src/') ? where.split(':')[0]! : where.split('/')[0]!;
  pkg.set(g, (pkg.get(g) ?? 0) + t);
}
const show = (title: string, m: Map<string, number>) => {
  console.log(`\n${title} (total sampled ${(total / 1e6).toFixed(2)} s)`);
  for (const [k, t] of [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((t / total) * 100).toFixed(1).padStart(5)} %  ${(t / 1000).toFixed(0).padStart(7)} ms  ${k}`);
  }
};
// Native and node-internal self time charged to the nearest caller in a package or in our code.
const parent = new Map<number, number>();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const owner = new Map<string, number>();
for (const [id, t] of self) {
  let cur: number | undefined = id;
  let where = '(native/vm)';
  while (cur !== undefined) {
    const w = short(byId.get(cur)!.callFrame.url);
    if (w !== '(native/vm)' && !w.startsWith('node:')) {
      const f = byId.get(cur)!.callFrame;
      where = w.startsWith('src/') ? `${w}:${f.lineNumber + 1} ${f.functionName}` : w.split('/')[0]!;
      break;
    }
    cur = parent.get(cur);
  }
  owner.set(where, (owner.get(where) ?? 0) + t);
}
show('Self time by package / file', pkg);
show('Self time charged to the nearest package or src/ frame', owner);
show('Self time by function', fn);
