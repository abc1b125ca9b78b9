// A small, honest subset of KQL for the Application Insights query fake. What it runs, it runs
// with KQL's semantics (case-sensitive names and ==, =~ case-insensitive, `has` on whole terms,
// `order by` descending by default, `summarize` by-columns first then count_); everything else is
// refused as the real API refuses a query it cannot parse or resolve, so an adapter that relies on
// more KQL than this fails here instead of silently getting wrong answers.
//
// Supported: `T` or `union [withsource=C] T1, T2, …`; then `| where`, `| project`, `| extend`,
// `| take N` / `| limit N`, `| summarize [n =] count() [by …]`, `| order by` / `| sort by … [asc|desc]`.
// Expressions: column names, `dyn.key`, `dyn["key"]`, string literals ("…" and '…' with \ escapes),
// numbers, timespans (7d, 12h, 30m, 10s, 500ms), ==, !=, =~, !~, <, <=, >, >=, has, !has, contains,
// !contains, in, in~, !in, !in~, and, or, not(), tostring(), tolower(), toupper(), isnotempty(),
// isempty(), ago().
// Error texts follow the API's own: "Query could not be parsed at 'x' on line [l,p]" (SYN0002) and
// "'where' operator: Failed to resolve table or column expression named 'x'" (SEM0100) — seen in
// Azure/azure-sdk-for-net sdk/monitor/Azure.Monitor.Query README and in public client code quoting
// the API (see app-insights.fake.ts).
import type { ColumnDef, KqlType } from './app-insights.store.js';

export class KqlError extends Error {
  constructor(
    readonly kind: 'SyntaxError' | 'SemanticError',
    readonly code: string,
    message: string,
    readonly at?: { line: number; pos: number; token: string },
  ) {
    super(message);
  }
}

/** A source table as the engine sees it; datetimes as ISO strings, dynamic values as objects. */
export interface KqlSource {
  columns: ColumnDef[];
  rows: Record<string, unknown>[];
  /** The column the request's timespan applies to (timestamp / TimeGenerated). */
  timeColumn: string;
}

export interface KqlResult {
  columns: ColumnDef[];
  /** Rows in column order; datetimes as ISO strings, dynamic objects as JSON text. */
  rows: unknown[][];
}

export interface KqlRunOptions {
  now?: number;
  /** Only rows whose time column is within [from, to] (epoch ms): the request's timespan. */
  window?: { from: number; to: number };
}

// ---------------------------------------------------------------- tokens

type TokKind = 'id' | 'str' | 'num' | 'span' | 'op' | 'eof';
interface Tok {
  k: TokKind;
  v: string;
  n?: number;
  line: number;
  pos: number;
}

const SPAN_MS: Record<string, number> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
const OPS = ['==', '!=', '=~', '!~', '>=', '<=', '|', '(', ')', '[', ']', ',', '.', '=', '>', '<'];

function syntaxError(t: { line: number; pos: number }, token: string): KqlError {
  return new KqlError('SyntaxError', 'SYN0002', `Query could not be parsed at '${token}' on line [${t.line},${t.pos}]`, { line: t.line, pos: t.pos, token });
}

function tokenize(src: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const at = () => ({ line, pos: i - lineStart });
  while (i < src.length) {
    const c = src[i]!;
    if (c === '\n') {
      i++;
      line++;
      lineStart = i;
      continue;
    }
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '/' && src[i + 1] === '/') {
      while (i < src.length && src[i] !== '\n') i++;
      continue;
    }
    const where = at();
    if (c === '"' || c === "'") {
      let j = i + 1;
      let out = '';
      for (;;) {
        const d = src[j];
        if (d === undefined || d === '\n') throw syntaxError(where, src.slice(i, j));
        if (d === c) break;
        if (d === '\\') {
          const e = src[j + 1];
          const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'" };
          if (e === undefined || !(e in map)) throw syntaxError(where, src.slice(i, j + 2));
          out += map[e];
          j += 2;
          continue;
        }
        out += d;
        j++;
      }
      toks.push({ k: 'str', v: out, ...where });
      i = j + 1;
      continue;
    }
    const num = /^\d+(\.\d+)?([a-zA-Z]*)/.exec(src.slice(i));
    if (num) {
      const [whole, , unit] = num;
      const n = Number(whole.slice(0, whole.length - unit!.length));
      if (unit && !(unit in SPAN_MS)) throw syntaxError(where, whole);
      toks.push(unit ? { k: 'span', v: whole, n: n * SPAN_MS[unit]!, ...where } : { k: 'num', v: whole, n, ...where });
      i += whole.length;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (id) {
      let v = id[0];
      i += v.length;
      // in~ is one operator.
      if (v === 'in' && src[i] === '~') {
        v = 'in~';
        i++;
      }
      toks.push({ k: 'id', v, ...where });
      continue;
    }
    // !in, !in~, !has, !contains
    const neg = /^!(in~|in|has|contains)(?![A-Za-z0-9_])/.exec(src.slice(i));
    if (neg) {
      toks.push({ k: 'op', v: neg[0], ...where });
      i += neg[0].length;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) throw syntaxError(where, c);
    toks.push({ k: 'op', v: op, ...where });
    i += op.length;
  }
  toks.push({ k: 'eof', v: '<EOF>', ...at() });
  return toks;
}

// ---------------------------------------------------------------- syntax tree

type Expr =
  | { k: 'col'; name: string; tok: Tok }
  | { k: 'lit'; type: KqlType | 'timespan'; value: unknown }
  | { k: 'prop'; base: Expr; key: string }
  | { k: 'call'; fn: string; args: Expr[]; tok: Tok }
  | { k: 'cmp'; op: string; l: Expr; r: Expr }
  | { k: 'in'; op: string; l: Expr; list: Expr[] }
  | { k: 'logic'; op: 'and' | 'or'; l: Expr; r: Expr };

interface Item {
  name?: string;
  expr: Expr;
}

type Op =
  | { k: 'where'; expr: Expr }
  | { k: 'project' | 'extend'; items: Item[] }
  | { k: 'take'; n: number }
  | { k: 'summarize'; name?: string; by: Item[] }
  | { k: 'order'; keys: { expr: Expr; desc: boolean }[] };

interface Query {
  tables: Tok[];
  union: boolean;
  withsource?: string;
  ops: { name: string; op: Op }[];
}

const CMP = new Set(['==', '!=', '=~', '!~', '<', '<=', '>', '>=', 'has', '!has', 'contains', '!contains']);
const IN = new Set(['in', 'in~', '!in', '!in~']);

class Parser {
  private i = 0;
  constructor(private readonly toks: Tok[]) {}

  private peek(o = 0): Tok {
    return this.toks[Math.min(this.i + o, this.toks.length - 1)]!;
  }
  private next(): Tok {
    return this.toks[this.i++]!;
  }
  private fail(t = this.peek()): never {
    throw syntaxError(t, t.v);
  }
  private is(v: string, o = 0): boolean {
    const t = this.peek(o);
    return (t.k === 'op' || t.k === 'id') && t.v === v;
  }
  private expect(v: string): Tok {
    if (!this.is(v)) this.fail();
    return this.next();
  }
  private ident(): Tok {
    const t = this.peek();
    if (t.k !== 'id') this.fail();
    return this.next();
  }

  query(): Query {
    const q: Query = { tables: [], union: false, ops: [] };
    if (this.is('union')) {
      this.next();
      q.union = true;
      if (this.is('withsource') && this.is('=', 1)) {
        this.next();
        this.next();
        q.withsource = this.ident().v;
      }
      q.tables.push(this.ident());
      while (this.is(',')) {
        this.next();
        q.tables.push(this.ident());
      }
    } else {
      q.tables.push(this.ident());
    }
    while (this.is('|')) {
      this.next();
      const t = this.ident();
      q.ops.push({ name: t.v, op: this.op(t) });
    }
    if (this.peek().k !== 'eof') this.fail();
    return q;
  }

  private op(t: Tok): Op {
    switch (t.v) {
      case 'where':
        return { k: 'where', expr: this.expr() };
      case 'project':
      case 'extend':
        return { k: t.v, items: this.items() };
      case 'take':
      case 'limit': {
        const n = this.peek();
        if (n.k !== 'num' || !Number.isInteger(n.n)) this.fail();
        this.next();
        return { k: 'take', n: n.n! };
      }
      case 'summarize': {
        let name: string | undefined;
        if (this.peek().k === 'id' && this.is('=', 1)) {
          name = this.next().v;
          this.next();
        }
        this.expect('count');
        this.expect('(');
        this.expect(')');
        let by: Item[] = [];
        if (this.is('by')) {
          this.next();
          by = this.items();
        }
        return { k: 'summarize', name, by };
      }
      case 'order':
      case 'sort': {
        this.expect('by');
        const keys: { expr: Expr; desc: boolean }[] = [];
        do {
          if (keys.length) this.next();
          const expr = this.expr();
          let desc = true;
          if (this.is('asc') || this.is('desc')) desc = this.next().v === 'desc';
          keys.push({ expr, desc });
        } while (this.is(','));
        return { k: 'order', keys };
      }
      default:
        return this.fail(t);
    }
  }

  private items(): Item[] {
    const out: Item[] = [];
    do {
      if (out.length) this.next();
      if (this.peek().k === 'id' && this.is('=', 1)) {
        const name = this.next().v;
        this.next();
        out.push({ name, expr: this.expr() });
      } else out.push({ expr: this.expr() });
    } while (this.is(','));
    return out;
  }

  private expr(): Expr {
    let l = this.and();
    while (this.is('or')) {
      this.next();
      l = { k: 'logic', op: 'or', l, r: this.and() };
    }
    return l;
  }

  private and(): Expr {
    let l = this.cmp();
    while (this.is('and')) {
      this.next();
      l = { k: 'logic', op: 'and', l, r: this.cmp() };
    }
    return l;
  }

  private cmp(): Expr {
    const l = this.primary();
    const t = this.peek();
    if ((t.k === 'op' || t.k === 'id') && CMP.has(t.v)) {
      this.next();
      return { k: 'cmp', op: t.v, l, r: this.primary() };
    }
    if ((t.k === 'op' || t.k === 'id') && IN.has(t.v)) {
      this.next();
      this.expect('(');
      const list: Expr[] = [];
      do {
        if (list.length) this.next();
        list.push(this.primary());
      } while (this.is(','));
      this.expect(')');
      return { k: 'in', op: t.v, l, list };
    }
    return l;
  }

  private primary(): Expr {
    const t = this.peek();
    let e: Expr;
    if (t.k === 'str') {
      this.next();
      e = { k: 'lit', type: 'string', value: t.v };
    } else if (t.k === 'num') {
      this.next();
      e = { k: 'lit', type: t.v.includes('.') ? 'real' : 'long', value: t.n };
    } else if (t.k === 'span') {
      this.next();
      e = { k: 'lit', type: 'timespan', value: t.n };
    } else if (this.is('(')) {
      this.next();
      e = this.expr();
      this.expect(')');
    } else if (t.k === 'id' && this.is('(', 1)) {
      this.next();
      this.next();
      const args: Expr[] = [];
      if (!this.is(')')) {
        do {
          if (args.length) this.next();
          args.push(this.expr());
        } while (this.is(','));
      }
      this.expect(')');
      e = { k: 'call', fn: t.v, args, tok: t };
    } else if (t.k === 'id' && (t.v === 'true' || t.v === 'false')) {
      this.next();
      e = { k: 'lit', type: 'bool', value: t.v === 'true' };
    } else if (t.k === 'id' && !['and', 'or', 'by'].includes(t.v)) {
      this.next();
      e = { k: 'col', name: t.v, tok: t };
    } else return this.fail();
    // dyn.key and dyn["key"]
    for (;;) {
      if (this.is('.')) {
        this.next();
        e = { k: 'prop', base: e, key: this.ident().v };
      } else if (this.is('[')) {
        this.next();
        const key = this.peek();
        if (key.k !== 'str') this.fail();
        this.next();
        this.expect(']');
        e = { k: 'prop', base: e, key: key.v };
      } else return e;
    }
  }
}

// ---------------------------------------------------------------- evaluation

type Row = Record<string, unknown>;
interface Compiled {
  type: KqlType | 'timespan';
  f: (row: Row) => unknown;
}

function semantic(message: string): KqlError {
  return new KqlError('SemanticError', 'SEM0100', message);
}

const NUMERIC = new Set(['int', 'long', 'real']);

function str(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

// `has`: the needle matches at term boundaries (terms are runs of letters and digits), ignoring case.
function has(hay: string, needle: string): boolean {
  const h = hay.toLowerCase();
  const n = needle.toLowerCase();
  if (!n) return true;
  const alnum = (ch: string | undefined) => ch !== undefined && /[\p{L}\p{N}]/u.test(ch);
  for (let i = h.indexOf(n); i >= 0; i = h.indexOf(n, i + 1)) {
    const leftOk = !alnum(n[0]) || !alnum(h[i - 1]);
    const rightOk = !alnum(n[n.length - 1]) || !alnum(h[i + n.length]);
    if (leftOk && rightOk) return true;
  }
  return false;
}

class Engine {
  private auto = 0;
  constructor(private readonly now: number) {}

  compile(e: Expr, schema: ColumnDef[], op: string): Compiled {
    switch (e.k) {
      case 'lit':
        return { type: e.type, f: () => e.value };
      case 'col': {
        const c = schema.find((x) => x.name === e.name);
        if (!c) throw semantic(`'${op}' operator: Failed to resolve scalar expression named '${e.name}'`);
        return { type: c.type, f: (r) => r[e.name] ?? null };
      }
      case 'prop': {
        const base = this.compile(e.base, schema, op);
        if (base.type !== 'dynamic') throw semantic(`'${op}' operator: Failed to resolve scalar expression named '${e.key}'`);
        return {
          type: 'dynamic',
          f: (r) => {
            const b = base.f(r);
            return b && typeof b === 'object' && !Array.isArray(b) ? ((b as Row)[e.key] ?? null) : null;
          },
        };
      }
      case 'call':
        return this.call(e, schema, op);
      case 'logic': {
        const l = this.bool(e.l, schema, op);
        const r = this.bool(e.r, schema, op);
        return { type: 'bool', f: e.op === 'and' ? (x) => l.f(x) === true && r.f(x) === true : (x) => l.f(x) === true || r.f(x) === true };
      }
      case 'in': {
        const l = this.compile(e.l, schema, op);
        const list = e.list.map((x) => this.compile(x, schema, op));
        const ci = e.op.endsWith('~');
        const neg = e.op.startsWith('!');
        return {
          type: 'bool',
          f: (r) => {
            const v = l.f(r);
            const hit = list.some((x) => equal(v, l.type, x.f(r), x.type, ci));
            return neg ? !hit : hit;
          },
        };
      }
      case 'cmp':
        return this.cmp(e.op, this.compile(e.l, schema, op), this.compile(e.r, schema, op));
    }
  }

  private bool(e: Expr, schema: ColumnDef[], op: string): Compiled {
    const c = this.compile(e, schema, op);
    if (c.type !== 'bool') throw semantic(`'${op}' operator: the expression must be of type bool, not ${c.type}`);
    return c;
  }

  private call(e: Extract<Expr, { k: 'call' }>, schema: ColumnDef[], op: string): Compiled {
    const args = e.args.map((a) => this.compile(a, schema, op));
    const arity = (n: number) => {
      if (args.length !== n) throw semantic(`'${op}' operator: function '${e.fn}' expects ${n} argument(s)`);
    };
    switch (e.fn) {
      case 'tostring': {
        arity(1);
        const [a] = args;
        return { type: 'string', f: (r) => (a!.type === 'datetime' && a!.f(r) !== null ? new Date(a!.f(r) as number).toISOString() : str(a!.f(r))) };
      }
      case 'tolower':
      case 'toupper': {
        arity(1);
        const [a] = args;
        return { type: 'string', f: (r) => (e.fn === 'tolower' ? str(a!.f(r)).toLowerCase() : str(a!.f(r)).toUpperCase()) };
      }
      case 'isnotempty':
      case 'isempty': {
        arity(1);
        const [a] = args;
        const empty = (v: unknown) => v === null || v === undefined || v === '';
        return { type: 'bool', f: (r) => (e.fn === 'isempty' ? empty(a!.f(r)) : !empty(a!.f(r))) };
      }
      case 'not': {
        arity(1);
        const [a] = args;
        if (a!.type !== 'bool') throw semantic(`'${op}' operator: not() expects a bool argument`);
        return { type: 'bool', f: (r) => a!.f(r) !== true };
      }
      case 'ago': {
        arity(1);
        const [a] = args;
        if (a!.type !== 'timespan') throw semantic(`'${op}' operator: ago() expects a timespan argument`);
        return { type: 'datetime', f: (r) => this.now - (a!.f(r) as number) };
      }
      default:
        throw semantic(`'${op}' operator: Failed to resolve scalar expression named '${e.fn}'`);
    }
  }

  private cmp(op: string, l: Compiled, r: Compiled): Compiled {
    // Like KQL, no implicit casts between families (string, number, datetime, timespan, bool);
    // dynamic compares with anything. `has`/`contains` work on the text of any value.
    const family = (t: string) => (NUMERIC.has(t) ? 'number' : t);
    const textual = ['has', '!has', 'contains', '!contains'].includes(op);
    if (!textual && l.type !== 'dynamic' && r.type !== 'dynamic' && family(l.type) !== family(r.type)) {
      throw semantic(`Cannot compare values of types ${l.type} and ${r.type}. Try adding explicit casts`);
    }
    const neg = op.startsWith('!');
    switch (op) {
      case '==':
      case '!=':
      case '=~':
      case '!~': {
        const ci = op.endsWith('~');
        return { type: 'bool', f: (x) => equal(l.f(x), l.type, r.f(x), r.type, ci) !== (op === '!=' || op === '!~') };
      }
      case 'has':
      case '!has':
        return { type: 'bool', f: (x) => has(str(l.f(x)), str(r.f(x))) !== neg };
      case 'contains':
      case '!contains':
        return { type: 'bool', f: (x) => str(l.f(x)).toLowerCase().includes(str(r.f(x)).toLowerCase()) !== neg };
      default:
        return {
          type: 'bool',
          f: (x) => {
            const a = order(l.f(x));
            const b = order(r.f(x));
            if (a === null || b === null) return false;
            return op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : a >= b;
          },
        };
    }
  }

  /** The column name KQL gives an unnamed projected expression. */
  nameOf(e: Expr): string {
    if (e.k === 'col') return e.name;
    if (e.k === 'prop') return `${this.nameOf(e.base)}_${e.key}`;
    return `Column${++this.auto}`;
  }
}

function equal(a: unknown, at: string, b: unknown, bt: string, ci: boolean): boolean {
  if (at === 'string' || bt === 'string' || (typeof a === 'string' && typeof b === 'string')) {
    // A string column holds '' rather than null.
    if ((a === null && at !== 'string') || (b === null && bt !== 'string')) return false;
    const x = str(a);
    const y = str(b);
    return ci ? x.toLowerCase() === y.toLowerCase() : x === y;
  }
  if (a === null || b === null) return false;
  if (typeof a === 'object' || typeof b === 'object') return JSON.stringify(a) === JSON.stringify(b);
  return Number(a) === Number(b) || a === b;
}

function order(v: unknown): number | string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number' || typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return JSON.stringify(v);
}

function compareForSort(a: unknown, b: unknown, desc: boolean): number {
  const x = order(a);
  const y = order(b);
  // Nulls first ascending, last descending (KQL's defaults).
  if (x === null || y === null) return x === y ? 0 : (x === null ? -1 : 1) * (desc ? -1 : 1);
  const c = x < y ? -1 : x > y ? 1 : 0;
  return desc ? -c : c;
}

/** Runs `query` over the tables `resolve` knows; throws KqlError for what it refuses. */
export function runKql(query: string, resolve: (table: string) => KqlSource | undefined, opts: KqlRunOptions = {}): KqlResult {
  const q = new Parser(tokenize(query)).query();
  const engine = new Engine(opts.now ?? Date.now());
  const firstOp = q.union ? 'union' : q.ops[0]?.name;
  let schema: ColumnDef[] = [];
  let rows: Row[] = [];
  if (q.withsource) schema.push({ name: q.withsource, type: 'string' });
  for (const t of q.tables) {
    const src = resolve(t.v);
    if (!src) throw semantic(`${firstOp ? `'${firstOp}' operator: ` : ''}Failed to resolve table or column expression named '${t.v}'`);
    // Outer union: columns in order of first appearance (a clash of types keeps the first).
    for (const c of src.columns) if (!schema.some((x) => x.name === c.name)) schema.push(c);
    const dt = src.columns.filter((c) => c.type === 'datetime').map((c) => c.name);
    for (const r of src.rows) {
      const row: Row = { ...r };
      for (const c of dt) row[c] = r[c] == null ? null : Date.parse(String(r[c]));
      const time = row[src.timeColumn] as number | null;
      if (opts.window && (time === null || time < opts.window.from || time > opts.window.to)) continue;
      if (q.withsource) row[q.withsource] = t.v;
      rows.push(row);
    }
  }

  for (const { name, op } of q.ops) {
    switch (op.k) {
      case 'where': {
        const c = engine.compile(op.expr, schema, name);
        if (c.type !== 'bool') throw semantic(`'where' operator: the filter expression must be of type bool, not ${c.type}`);
        rows = rows.filter((r) => c.f(r) === true);
        break;
      }
      case 'project': {
        const items = op.items.map((it) => ({ name: it.name ?? engine.nameOf(it.expr), c: engine.compile(it.expr, schema, name) }));
        schema = items.map((it) => ({ name: it.name, type: outType(it.c.type) }));
        rows = rows.map((r) => Object.fromEntries(items.map((it) => [it.name, it.c.f(r)])));
        break;
      }
      case 'extend': {
        const items = op.items.map((it) => ({ name: it.name ?? engine.nameOf(it.expr), c: engine.compile(it.expr, schema, name) }));
        rows = rows.map((r) => ({ ...r, ...Object.fromEntries(items.map((it) => [it.name, it.c.f(r)])) }));
        for (const it of items) {
          const i = schema.findIndex((x) => x.name === it.name);
          const def = { name: it.name, type: outType(it.c.type) };
          if (i >= 0) schema[i] = def;
          else schema.push(def);
        }
        break;
      }
      case 'take':
        rows = rows.slice(0, op.n);
        break;
      case 'summarize': {
        const by = op.by.map((it) => ({ name: it.name ?? engine.nameOf(it.expr), c: engine.compile(it.expr, schema, name) }));
        const groups = new Map<string, { key: unknown[]; n: number }>();
        for (const r of rows) {
          const key = by.map((b) => b.c.f(r));
          const id = JSON.stringify(key);
          const g = groups.get(id) ?? { key, n: 0 };
          g.n++;
          groups.set(id, g);
        }
        const countName = op.name ?? 'count_';
        schema = [...by.map((b) => ({ name: b.name, type: outType(b.c.type) })), { name: countName, type: 'long' }];
        rows = [...groups.values()].map((g) => ({ ...Object.fromEntries(by.map((b, i) => [b.name, g.key[i]])), [countName]: g.n }));
        // `summarize count()` without `by` over no rows still answers one row of 0.
        if (!by.length && !rows.length) rows = [{ [countName]: 0 }];
        break;
      }
      case 'order': {
        const keys = op.keys.map((k) => ({ c: engine.compile(k.expr, schema, name), desc: k.desc }));
        rows = [...rows].sort((a, b) => {
          for (const k of keys) {
            const d = compareForSort(k.c.f(a), k.c.f(b), k.desc);
            if (d) return d;
          }
          return 0;
        });
        break;
      }
    }
  }

  return {
    columns: schema,
    rows: rows.map((r) => schema.map((c) => cell(r[c.name], c.type))),
  };
}

function outType(t: KqlType | 'timespan'): KqlType {
  // Timespans only appear as ago() arguments here; a projected one is shown as a string.
  return t === 'timespan' ? 'string' : t;
}

function cell(v: unknown, type: KqlType): unknown {
  if (v === null || v === undefined) return null;
  if (type === 'datetime') return new Date(v as number).toISOString();
  // Dynamic values travel as JSON text (query-get.json example: customDimensions is a string).
  if (type === 'dynamic' && typeof v === 'object') return JSON.stringify(v);
  return v;
}
