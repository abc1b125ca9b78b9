// Runs the Dockerfile's steps without Docker, so that a broken Dockerfile cannot pass CI: the build
// stage's COPY and RUN lines in a fresh copy of the build context (what .dockerignore leaves), then
// the final stage's COPY --from lines into a second directory, which must hold a working service:
// `npm ls` clean with production dependencies only, the database migrated, and the image's CMD
// (the API) and the worker ready on /health/ready against this machine's PostgreSQL and Redis.
//   node .ci/image-check.mjs     (from the repository; prints "image check: ok" at the end)
import { execSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const work = mkdtempSync(join(tmpdir(), 'dsar-image-'));
const say = (m) => console.log(`[image] ${m}`);

/** Dockerfile instructions, continuation lines joined, comments dropped. */
function instructions(text) {
  const out = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!current && (line === '' || line.startsWith('#'))) continue;
    current += (current ? ' ' : '') + line.replace(/\\$/, '').trim();
    if (!line.endsWith('\\')) {
      const [, op, args] = /^(\w+)\s+(.*)$/.exec(current) ?? [];
      if (op) out.push({ op: op.toUpperCase(), args });
      current = '';
    }
  }
  return out;
}

/** Exec-form (["a", "b"]) or shell-form arguments. */
const argv = (args) => (args.startsWith('[') ? JSON.parse(args) : args.split(/\s+/));

// .dockerignore: plain paths and simple globs, relative to the context.
const ignore = existsSync(join(repo, '.dockerignore'))
  ? readFileSync(join(repo, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))
  : [];
const ignored = (rel) =>
  ignore.some((p) => {
    const re = new RegExp(`^${p.replace(/\/$/, '').replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}(/|$)`);
    return re.test(rel);
  });

function copy(from, srcs, dest, cwd, context) {
  for (const src of srcs) {
    const source = join(from, src);
    const target = dest.endsWith('/') || srcs.length > 1 || src === '.' ? join(cwd, dest, src === '.' ? '' : src.split('/').pop()) : join(cwd, dest);
    mkdirSync(dirname(target), { recursive: true });
    cpSync(source, target, {
      recursive: true,
      filter: (p) => !context || !ignored(relative(from, p).split('\\').join('/')),
    });
  }
}

function run(cmd, cwd, env) {
  say(`RUN ${cmd}`);
  execSync(cmd, { cwd, env, stdio: 'inherit', shell: '/bin/sh' });
}

async function freePort() {
  return new Promise((ok) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

async function ready(url, child, what, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${what} exited (${child.exitCode}) before it was ready`);
    try {
      const res = await fetch(url);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${what} not ready at ${url} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function main() {
  const steps = instructions(readFileSync(join(repo, 'Dockerfile'), 'utf8'));
  const stages = [];
  for (const s of steps) {
    if (s.op === 'FROM') stages.push({ from: s.args, name: /\sAS\s+(\S+)/i.exec(s.args)?.[1], steps: [] });
    else stages.at(-1).steps.push(s);
  }
  if (stages.length !== 2) throw new Error(`expected a build stage and a final stage, found ${stages.length}`);
  const [build, final] = stages;
  const images = stages.map((s) => s.from.split(/\s/)[0]);
  const nodeLine = process.versions.node.split('.')[0];
  for (const image of images) {
    if (!new RegExp(`^node:${nodeLine}[-.]`).test(image)) throw new Error(`the Dockerfile's image ${image} is not the Node line CI runs (${nodeLine})`);
  }

  // Build stage, in <work>/build (its WORKDIR).
  const buildDir = join(work, 'build');
  mkdirSync(buildDir);
  let env = { ...process.env };
  for (const s of build.steps) {
    if (s.op === 'WORKDIR') continue;
    else if (s.op === 'ENV') env = { ...env, ...Object.fromEntries(s.args.split(/\s+/).map((kv) => kv.split('='))) };
    else if (s.op === 'COPY') {
      const parts = argv(s.args);
      copy(repo, parts.slice(0, -1), parts.at(-1), buildDir, true);
      say(`COPY ${s.args}`);
    } else if (s.op === 'RUN') run(s.args, buildDir, env);
    else throw new Error(`build stage: ${s.op} is not handled by this check`);
  }

  // Final stage, in <work>/app, from the build stage's files only.
  const appDir = join(work, 'app');
  mkdirSync(appDir);
  let finalEnv = {};
  let cmd;
  for (const s of final.steps) {
    if (s.op === 'ENV') finalEnv = { ...finalEnv, ...Object.fromEntries(s.args.split(/\s+/).map((kv) => kv.split('='))) };
    else if (s.op === 'COPY') {
      const m = /^--from=(\S+)\s+(\S+)\s+(\S+)$/.exec(s.args);
      if (!m || m[1] !== build.name) throw new Error(`final stage: only COPY --from=${build.name} is handled (${s.args})`);
      copy(buildDir, [relative('/app', m[2]) || '.'], m[3], appDir, false);
      say(`COPY ${s.args}`);
    } else if (s.op === 'CMD') cmd = argv(s.args);
    else if (!['WORKDIR', 'USER', 'EXPOSE', 'HEALTHCHECK'].includes(s.op)) throw new Error(`final stage: ${s.op} is not handled by this check`);
  }
  if (!cmd) throw new Error('the final stage has no CMD');

  run('npm ls --omit=dev --all > /dev/null', appDir, process.env);
  say('npm ls: clean');

  // The image's commands, as docker-compose.yml runs them, on a database of their own.
  const db = new URL(process.env.IMAGE_CHECK_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/dsar_ci_image');
  const port = await freePort();
  const metricsPort = await freePort();
  const serviceEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...finalEnv,
    DATABASE_URL: db.toString(),
    REDIS_URL: process.env.IMAGE_CHECK_REDIS_URL ?? 'redis://127.0.0.1:6379',
    QUEUE_PREFIX: `ci-image-${randomBytes(4).toString('hex')}`,
    OFFICER_API_KEY: randomBytes(24).toString('base64url'),
    CONTROLLER_NAME: 'CI image check',
    CONTROLLER_CONTACT: 'privacy@ci.invalid',
    SUPERVISORY_AUTHORITY: 'The data protection authority (CI)',
    PORT: String(port),
    WORKER_METRICS_PORT: String(metricsPort),
  };
  run('node dist/db/migrate.js', appDir, serviceEnv);
  const children = [];
  try {
    const api = spawn(cmd[0], cmd.slice(1), { cwd: appDir, env: serviceEnv, stdio: ['ignore', 'ignore', 'inherit'] });
    children.push(api);
    await ready(`http://127.0.0.1:${port}/health/ready`, api, `CMD ${cmd.join(' ')}`);
    say(`CMD ${cmd.join(' ')}: ready`);
    const worker = spawn('node', ['dist/worker.js'], { cwd: appDir, env: serviceEnv, stdio: ['ignore', 'ignore', 'inherit'] });
    children.push(worker);
    await ready(`http://127.0.0.1:${metricsPort}/health/ready`, worker, 'node dist/worker.js');
    say('node dist/worker.js: ready');
  } finally {
    for (const c of children) c.kill('SIGTERM');
  }
}

main()
  .then(() => {
    console.log('image check: ok');
  })
  .catch((err) => {
    console.error(`image check failed: ${err.message}`);
    process.exitCode = 1;
  })
  .finally(() => {
    if (!process.env.KEEP_IMAGE_CHECK) rmSync(work, { recursive: true, force: true });
  });
