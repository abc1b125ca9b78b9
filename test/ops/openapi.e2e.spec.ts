// The OpenAPI document at /docs/openapi.json: valid OpenAPI 3, listing every route the app serves
// and nothing else, with officer routes under the bearer scheme; and the real answers of the
// running service (bodies, errors, pages) match what it documents, field for field.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import SwaggerParser from '@apidevtools/swagger-parser';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { officer, startHarness, submit, uniqueEmail, waitForStatus, type Harness } from '../support/harness.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

type Json = Record<string, any>;
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

// Routes the app serves that are not API: Swagger UI's own script and page aliases, registered by
// SwaggerModule next to the two documented /docs routes. (Its static files and Bull Board's
// scripts and internal API are mounted routers, not routes: see the mounted-routes test.)
const UI_FILES = new Set(['get /docs/swagger-ui-init.js', 'get /docs/docs/swagger-ui-init.js', 'get /docs/index.html', 'get /docs/LICENSE', 'get /docs/']);
// Served by a mounted router (Bull Board) rather than a route, and documented by hand.
const MOUNTED = ['get /console/queues'];

let h: Harness;
let doc: Json;

beforeAll(async () => {
  h = await startHarness();
  const res = await fetch(`${h.baseUrl}/docs/openapi.json`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  doc = (await res.json()) as Json;
});
afterAll(async () => {
  await h?.stop();
});

/**
 * Every route of the express app under Nest, as "method /openapi/{path}". Routes with a wildcard
 * are Nest's middleware for every path (rate limits, body parser, request log), not endpoints.
 */
function servedRoutes(): string[] {
  const app = h.api.getHttpAdapter().getInstance() as { router: { stack: { route?: { path: unknown; methods: Record<string, boolean> } }[] } };
  return app.router.stack.flatMap((layer) => {
    if (!layer.route || typeof layer.route.path !== 'string' || layer.route.path.includes('*')) return [];
    const path = layer.route.path.replace(/:(\w+)/g, '{$1}');
    return Object.keys(layer.route.methods).filter((m) => m !== '_all').map((m) => `${m} ${path}`);
  });
}

function documentedRoutes(): string[] {
  return Object.entries(doc.paths as Json).flatMap(([path, item]) => METHODS.filter((m) => item[m]).map((m) => `${m} ${path}`));
}

describe('the document', () => {
  test('is valid OpenAPI 3 (schema and every $ref)', async () => {
    expect(doc.openapi).toMatch(/^3\./);
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(doc.info.version).toBe(pkg.version);
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeDefined();
  });

  test('lists every route the app serves, and nothing else', () => {
    const served = servedRoutes().filter((r) => !UI_FILES.has(r));
    // The filter is not vacuous: SwaggerModule did register its UI routes.
    expect(servedRoutes().filter((r) => UI_FILES.has(r)).length).toBeGreaterThanOrEqual(3);
    expect(served.length).toBeGreaterThan(35);
    expect([...documentedRoutes()].sort()).toEqual([...served, ...MOUNTED].sort());
  });

  test('mounted routes are really served (and only behind auth)', async () => {
    const board = await fetch(`${h.baseUrl}/console/queues`, { redirect: 'manual', headers: { accept: 'text/html' } });
    expect(board.status).toBe(303);
    const withKey = await fetch(`${h.baseUrl}/console/queues`, { headers: officer(h) });
    expect(withKey.status).toBe(200);
    expect(withKey.headers.get('content-type')).toMatch(/text\/html/);
  });

  test('every operation says what it does, what it answers and how it fails', () => {
    for (const route of documentedRoutes()) {
      const [method, path] = route.split(' ') as [string, string];
      const op = doc.paths[path][method];
      expect({ route, summary: typeof op.summary === 'string' && op.summary.length > 5 }).toEqual({ route, summary: true });
      const statuses = Object.keys(op.responses);
      expect({ route, success: statuses.some((s) => /^[23]/.test(s)) }).toEqual({ route, success: true });
      for (const [status, r] of Object.entries(op.responses as Json)) {
        if (/^[45]/.test(status)) expect({ route, status, content: Object.keys(r.content ?? {}).length > 0 }).toEqual({ route, status, content: true });
      }
      // Every route that reads a body documents it and the body parser's refusals.
      if (['post', 'put', 'patch'].includes(method) && op.requestBody) {
        for (const s of ['413', '415']) expect({ route, s, documented: s in op.responses }).toEqual({ route, s, documented: true });
      }
    }
  });

  test('officer routes need the officer key, console routes the session; both schemes are defined', () => {
    expect(doc.components.securitySchemes['officer-key']).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.components.securitySchemes['console-session']).toMatchObject({ type: 'apiKey', in: 'cookie', name: 'dsar_console' });
    expect(doc.components.securitySchemes['metrics-token']).toMatchObject({ type: 'http', scheme: 'bearer' });
    const admin = documentedRoutes().filter((r) => r.split(' ')[1]!.startsWith('/v1/admin'));
    expect(admin.length).toBe(11);
    for (const r of admin) {
      const [m, p] = r.split(' ') as [string, string];
      expect({ r, security: doc.paths[p][m].security }).toEqual({ r, security: [{ 'officer-key': [] }] });
      expect({ r, has401: '401' in doc.paths[p][m].responses }).toEqual({ r, has401: true });
    }
    const consoleRoutes = documentedRoutes().filter((r) => /^\w+ \/console(\/|$)/.test(r) && !/\/console\/login$/.test(r) && !r.includes('/console/queues'));
    for (const r of consoleRoutes) {
      const [m, p] = r.split(' ') as [string, string];
      expect({ r, security: doc.paths[p][m].security }).toEqual({ r, security: [{ 'console-session': [] }] });
    }
    expect(doc.paths['/metrics'].get.security).toEqual([{ 'metrics-token': [] }]);
  });

  test('HTML routes are documented as HTML, with their form bodies', () => {
    expect(Object.keys(doc.paths['/'].get.responses['200'].content)).toEqual(['text/html']);
    expect(Object.keys(doc.paths['/'].post.requestBody.content)).toEqual(['application/x-www-form-urlencoded']);
    expect(Object.keys(doc.paths['/v1/requests/{id}/verify'].get.responses['200'].content)).toEqual(['text/html']);
    expect(doc.paths['/v1/requests/{id}/verify'].get.parameters.map((p: Json) => `${p.in}:${p.name}:${p.required}`).sort()).toEqual(['path:id:true', 'query:token:true']);
    expect(Object.keys(doc.paths['/console/new'].post.requestBody.content)).toEqual(['application/x-www-form-urlencoded']);
    const form = doc.components.schemas.FileForm;
    expect(Object.keys(form.properties).sort()).toEqual(['channel', 'csrf', 'email', 'identityCheck', 'type']);
  });
});

// ---- Real answers against the document --------------------------------------------------------

let ajv: Ajv | undefined;

/** OpenAPI 3.0 → JSON Schema for Ajv: `nullable` becomes a null type, and objects that list their
 * properties allow no others (an undocumented field in an answer fails). */
function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (!node || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) out[k] = ['properties', 'components', 'schemas', 'paths'].includes(k) ? mapValues(v as Json) : toJsonSchema(v);
  if (out.type === 'object' && out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  if (out.nullable === true) {
    delete out.nullable;
    if (typeof out.type === 'string') {
      out.type = [out.type, 'null'];
      if (Array.isArray(out.enum)) out.enum = [...out.enum, null];
      return out;
    }
    return { anyOf: [out, { type: 'null' }] };
  }
  return out;
}
const mapValues = (o: Json) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, toJsonSchema(v)]));

/** Ajv with the document's components registered as "openapi" (schemas $ref them there). */
function components(): Ajv {
  if (!ajv) {
    ajv = addFormats(new Ajv({ strict: false, allErrors: true }));
    ajv.addSchema({ ...(toJsonSchema({ components: doc.components }) as Json), $id: 'openapi' });
  }
  return ajv;
}

const esc = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

/** Calls the API and checks the answer against the operation `method template`. */
async function call(method: string, template: string, params: Record<string, string> = {}, init: { body?: unknown; headers?: Record<string, string>; query?: string } = {}) {
  const path = template.replace(/\{(\w+)\}/g, (_, k: string) => params[k]!);
  const res = await fetch(`${h.baseUrl}${path}${init.query ?? ''}`, {
    method: method.toUpperCase(),
    redirect: 'manual',
    headers: { ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}), ...init.headers },
    body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
  });
  const text = await res.text();
  const op = doc.paths[template]?.[method];
  const problems: string[] = [];
  if (!op) problems.push(`${method} ${template} is not documented`);
  const documented = op?.responses[String(res.status)];
  if (op && !documented) problems.push(`${method} ${template} answered ${res.status}, which it does not document (${Object.keys(op.responses).join(', ')})`);
  const type = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
  if (documented?.content) {
    const media = documented.content[type];
    if (!media) problems.push(`${method} ${template} ${res.status} answered ${type}, documented: ${Object.keys(documented.content).join(', ')}`);
    else if (type === 'application/json' && media.schema) {
      const pointer = `/paths/${esc(template)}/${method}/responses/${res.status}/content/${esc(type)}/schema`;
      const validate = validateAgainst(pointer);
      if (!validate(JSON.parse(text))) problems.push(`${method} ${template} ${res.status}: ${JSON.stringify(validate.errors?.slice(0, 5))}`);
    }
  } else if (documented && text.length > 0 && res.status !== 303) {
    problems.push(`${method} ${template} ${res.status} has a body but documents none`);
  }
  expect(problems).toEqual([]);
  return { status: res.status, body: type === 'application/json' ? JSON.parse(text) : text, headers: res.headers };
}

// An answer's schema, found in the document by its JSON pointer, compiled with its $refs pointing
// at the registered components.
const byPointer = new Map<string, ValidateFunction>();
function validateAgainst(pointer: string): ValidateFunction {
  let v = byPointer.get(pointer);
  if (!v) {
    const schema = pointer.split('/').slice(1).reduce<Json>((node, key) => node[key.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
    v = components().compile(toJsonSchema(rewriteRefs(schema)) as Json);
    byPointer.set(pointer, v);
  }
  return v;
}
function rewriteRefs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rewriteRefs);
  if (!node || typeof node !== 'object') return node;
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' ? `openapi${v}` : rewriteRefs(v)]));
}

describe('the service answers as documented', () => {
  test('the check can fail: a missing field, an undocumented one, a wrong type or a null where none is allowed', () => {
    const detail = validateAgainst(`/paths/${esc('/v1/admin/requests/{id}')}/get/responses/200/content/application~1json/schema`);
    const error = validateAgainst(`/paths/${esc('/v1/requests')}/post/responses/400/content/application~1json/schema`);
    expect(error({ statusCode: 400, error: 'validation_failed', message: ['a', 'b'] })).toBe(true);
    expect(error({ statusCode: 400, error: 'validation_failed' })).toBe(false);
    expect(error({ statusCode: 400, error: 'validation_failed', message: 'x', stack: 'at …' })).toBe(false);
    expect(error({ statusCode: '400', error: 'validation_failed', message: 'x' })).toBe(false);
    expect(detail({})).toBe(false);
    const received = validateAgainst(`/paths/${esc('/v1/requests/{id}')}/get/responses/200/content/application~1json/schema`);
    const view = { id: randomUUID(), type: 'access', status: 'verified', receivedAt: new Date().toISOString(), dueAt: new Date().toISOString() };
    expect(received(view)).toBe(true);
    expect(received({ ...view, dueAt: null })).toBe(false);
    expect(received({ ...view, status: 'lost' })).toBe(false);
  });

  test('subject intake, verification and status, with their errors', async () => {
    const email = uniqueEmail('openapi');
    await call('post', '/v1/requests', {}, { body: { type: 'access', email: 'not-an-address' } });
    await call('post', '/v1/requests', {}, { body: 'not json', headers: { 'content-type': 'text/plain' } });
    await call('post', '/v1/requests', {}, { body: '{"type":', headers: { 'content-type': 'application/json' } });
    const { id, token } = await submit(h, 'access', email);
    const wrong = await call('post', '/v1/requests/{id}/verify', { id }, { body: { token: 'A'.repeat(43) } });
    expect(wrong.status).toBe(403);
    expect((await call('get', '/v1/requests/{id}', { id: randomUUID() })).status).toBe(404);
    const page = await call('get', '/v1/requests/{id}/verify', { id }, { query: `?token=${token}` });
    expect(page.status).toBe(200);
    const verified = await call('post', '/v1/requests/{id}/verify', { id }, { body: { token } });
    expect(verified.status).toBe(200);
    // The same link again: where the request stands (verifying is idempotent).
    expect((await call('post', '/v1/requests/{id}/verify', { id }, { body: { token } })).body.id).toBe(id);
    expect((await call('get', '/v1/requests/{id}', { id })).body.id).toBe(id);
    expect((await call('get', '/')).status).toBe(200);
    expect((await call('get', '/v1/requests/{id}/verify', { id }, { query: '?token=short' })).status).toBe(400);
  });

  test('the officer API: list, detail, file, extend, deny, retry, resend, keys', async () => {
    const k = officer(h);
    expect((await call('get', '/v1/admin/requests', {}, { headers: {} })).status).toBe(401);
    expect((await call('get', '/v1/admin/requests', {}, { headers: k, query: '?pageSize=500' })).status).toBe(400);
    const filed = await call('post', '/v1/admin/requests', {}, { headers: k, body: { type: 'erasure', email: uniqueEmail('filed'), channel: 'letter', identityCheck: 'Signed letter, account number matched' } });
    expect(filed.status).toBe(201);
    const id = filed.body.id as string;
    const list = await call('get', '/v1/admin/requests', {}, { headers: k, query: '?pageSize=5' });
    expect(list.body.items.length).toBeGreaterThan(0);
    // No processor is connected in this harness: officer actions open for each, then it waits.
    const detail = await waitForStatus(h, id, ['awaiting_action']);
    expect(detail.tasks.length).toBeGreaterThan(0);
    const full = await call('get', '/v1/admin/requests/{id}', { id }, { headers: k });
    expect(full.body.actions.length).toBeGreaterThan(0);
    expect((await call('post', '/v1/admin/requests/{id}/retry', { id }, { headers: k, body: {} })).status).toBe(409);
    expect((await call('post', '/v1/admin/requests/retry', {}, { headers: k, body: { requestIds: [id] } })).status).toBe(202);
    const unverified = (await submit(h, 'access', uniqueEmail('resend'))).id;
    expect((await call('post', '/v1/admin/requests/{id}/resend-result', { id: unverified }, { headers: k })).body.error).toBe('no_result_yet');
    const action = full.body.actions[0];
    const done = await call('post', '/v1/admin/requests/{id}/actions/{actionId}/complete', { id, actionId: action.id }, { headers: k, body: { note: 'Done by hand', outcome: 'not_found' } });
    expect(done.body.status).toBe('done');
    expect((await call('post', '/v1/admin/requests/{id}/actions/{actionId}/complete', { id, actionId: action.id }, { headers: k, body: { note: 'Again' } })).status).toBe(409);
    expect((await call('post', '/v1/admin/requests/{id}/extend', { id }, { headers: k, body: { months: 1, reason: 'Many systems to search by hand' } })).status).toBe(200);
    expect((await call('post', '/v1/admin/requests/{id}/extend', { id }, { headers: k, body: { months: 1, reason: 'Many systems to search by hand' } })).status).toBe(409);
    const denied = await call('post', '/v1/admin/requests/{id}/deny', { id }, { headers: k, body: { reason: 'excessive', note: 'Fourth request this month' } });
    expect(denied.body.status).toBe('denied');
    expect((await call('get', '/v1/admin/requests/{id}', { id: randomUUID() }, { headers: k })).status).toBe(404);
    const key = await call('post', '/v1/admin/keys', {}, { headers: k, body: { name: 'openapi test' } });
    expect(key.status).toBe(201);
    expect((await call('delete', '/v1/admin/keys/{id}', { id: key.body.id }, { headers: k })).status).toBe(204);
    expect((await call('delete', '/v1/admin/keys/{id}', { id: key.body.id }, { headers: k })).status).toBe(404);
  });

  test('operations and console routes', async () => {
    expect((await call('get', '/health/live')).body.status).toBe('ok');
    expect((await call('get', '/health/ready')).body.info).toMatchObject({ database: { status: 'up' }, redis: { status: 'up' } });
    expect((await call('get', '/health')).status).toBe(200);
    expect((await call('get', '/metrics')).body).toContain('dsar_requests');
    expect((await call('get', '/console/login')).status).toBe(200);
    expect((await call('get', '/console')).status).toBe(303);
    expect((await call('get', '/docs')).status).toBe(200);
    expect((await call('get', '/docs/openapi.json')).body.openapi).toBe(doc.openapi);
  });

  test('Swagger UI is served from here: every script and style it loads comes from this server', async () => {
    const html = await (await fetch(`${h.baseUrl}/docs`)).text();
    const assets = [...html.matchAll(/(?:src|href)=['"]([^'"]+)['"]/g)].map((m) => m[1]!);
    expect(assets.length).toBeGreaterThanOrEqual(3);
    for (const a of assets) {
      expect(a).not.toMatch(/^(https?:)?\/\//);
      const res = await fetch(new URL(a, `${h.baseUrl}/docs`));
      expect({ a, status: res.status }).toEqual({ a, status: 200 });
    }
  });
});
