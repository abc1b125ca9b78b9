// Property-based fuzzing of the public write endpoints with inputs that are invalid by construction:
// every one must get a 4xx (never a 5xx, never a 2xx) and no row may ever be stored.
// Reproduce a failure with FUZZ_SEED=<seed printed in the failure> npm test -- test/security/fuzz
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { startHarness, linkFrom, uniqueEmail, type Harness } from '../support/harness.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20_261_122);
const RUNS = { intake: 1500, verify: 1000, routes: 500 };

let h: Harness;
let realId: string;

beforeAll(async () => {
  h = await startHarness();
  // One real request awaiting verification: invalid bodies sent to it must not count as attempts.
  const email = uniqueEmail('fuzz-target');
  const res = await fetch(`${h.baseUrl}/v1/requests`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'access', email }),
  });
  expect(res.status).toBe(202);
  realId = linkFrom((await h.smtp.waitFor(email)).text).id; // the request is fully settled before fuzzing
  await h.stopWorker();
});
afterAll(async () => {
  await h?.stop();
});

// ---- building blocks -------------------------------------------------------------------------

interface Case {
  method: string;
  path: string;
  contentType?: string;
  body?: string;
}

const PROTO_KEYS = [...Object.getOwnPropertyNames(Object.prototype), 'prototype', 'isAdmin'];
const key = fc.oneof(fc.constantFrom(...PROTO_KEYS), fc.string({ unit: 'binary', maxLength: 20 }));
const extraKey = key.filter((k) => k !== 'type' && k !== 'email' && k !== 'token');
const jsonish = fc.jsonValue({ maxDepth: 2 });
const hugeString = fc.string({ unit: 'grapheme', minLength: 300, maxLength: 3000 });

/** JSON text of an object from entries, so that "__proto__" and friends are real own keys. */
const objectText = (entries: [string, unknown][]) =>
  `{${entries.filter(([, v]) => v !== undefined).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`;

const validType = fc.constantFrom('access', 'erasure');
const validEmail = fc.constantFrom('someone@example.com', 'a.b+tag@example.org', 'x@sub.example.net');
const notAString = fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(jsonish, { maxLength: 4 }), fc.dictionary(key, jsonish, { maxKeys: 4 }));

const badType = fc
  .oneof(notAString, fc.string({ unit: 'binary', maxLength: 30 }), hugeString, fc.constantFrom('ACCESS', ' access', 'erasure ', 'rectify', 'access\u0000', 'аccess'))
  .filter((v) => v !== 'access' && v !== 'erasure');

const badEmail = fc.oneof(
  notAString,
  fc.string({ unit: 'binary', maxLength: 60 }).filter((s) => !s.includes('@')),
  hugeString.filter((s) => !s.includes('@')),
  fc.string({ unit: 'grapheme-ascii', minLength: 250, maxLength: 400 }).map((s) => `${s.replace(/[@\s]/g, 'a')}@example.com`), // > 254
  validEmail.map((e) => `Eve <${e}>`),
  validEmail.map((e) => `${e}@example.com`),
  validEmail.map((e) => e.replace('@', ' @')),
  validEmail.map((e) => e.replace('@', '@@')),
  fc.constantFrom('x@[127.0.0.1]', 'x@127.0.0.1', 'x@localhost', '@example.com', 'x@', 'x@.com', 'x@example..com', '"a\nb"@example.com', "x@example.com'--", 'x@ex ample.com'),
);

const entriesArb = (fields: Record<string, fc.Arbitrary<unknown>>) =>
  fc.record(fields).map((r) => Object.entries(r) as [string, unknown][]);

/** JSON objects for POST /v1/requests that fail validation, each for a known reason. */
const invalidIntakeObject = fc.oneof(
  entriesArb({ type: badType, email: fc.oneof(validEmail, badEmail) }),
  entriesArb({ type: validType, email: badEmail }),
  entriesArb({ type: validType }),
  entriesArb({ email: validEmail }),
  fc.constant([] as [string, unknown][]),
  fc
    .tuple(validType, validEmail, fc.array(fc.tuple(extraKey, jsonish), { minLength: 1, maxLength: 3 }), fc.nat(3))
    .map(([type, email, extra, at]) => {
      const entries: [string, unknown][] = [['type', type], ['email', email]];
      entries.splice(Math.min(at, 2), 0, ...extra);
      return entries;
    }),
  // Duplicate keys: the last one wins in JSON.parse, and here it is invalid.
  fc.tuple(validEmail, badType).map(([email, t]) => [['type', 'access'], ['email', email], ['type', t]] as [string, unknown][]),
);

const invalidTokenObject = fc.oneof(
  entriesArb({ token: notAString }),
  entriesArb({ token: fc.string({ unit: 'binary', maxLength: 15 }) }),
  entriesArb({ token: fc.string({ unit: 'grapheme-ascii', minLength: 129, maxLength: 2000 }) }),
  fc.constant([] as [string, unknown][]),
  fc
    .tuple(fc.string({ unit: 'grapheme-ascii', minLength: 16, maxLength: 128 }), fc.array(fc.tuple(extraKey, jsonish), { minLength: 1, maxLength: 3 }))
    .map(([token, extra]) => [['token', token], ...extra] as [string, unknown][]),
);

const notJson = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }).filter((s) => {
    try {
      JSON.parse(s);
      return false;
    } catch {
      return s.length > 0;
    }
  }),
  fc.constantFrom('{"type":"access",', "{'type':'access'}", '{type:"access"}', '{"type":"access","email":"x@example.com",}', 'NaN', 'undefined', '\u0000', '<xml/>', 'type=access&email=x%40example.com'),
);

/** Top-level JSON that is not an object. */
const notAnObject = fc.oneof(fc.array(jsonish, { maxLength: 4 }), fc.string(), fc.integer(), fc.boolean(), fc.constant(null)).map((v) => JSON.stringify(v));

const WRONG_TYPES = ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'text/json', 'application/jsonx', 'application/json-patch+json', 'application/ld+json', 'application/json; charset=latin1', 'application/json; charset=ascii', 'image/png'];
const wrongContentType = fc.oneof(
  fc.constantFrom(...WRONG_TYPES),
  fc.string({ unit: 'grapheme-ascii', maxLength: 40 }).filter((s) => !/^\s*application\/json\s*(;|$)/i.test(s)),
);

/** Bodies that are invalid for an endpoint whose valid JSON objects are `validObject`. */
function invalidRequest(invalidObject: fc.Arbitrary<[string, unknown][]>, validObject: string) {
  return fc.oneof(
    { weight: 6, arbitrary: invalidObject.map((e) => ({ contentType: 'application/json', body: objectText(e) })) },
    { weight: 2, arbitrary: notJson.map((body) => ({ contentType: 'application/json', body })) },
    { weight: 1, arbitrary: notAnObject.map((body) => ({ contentType: 'application/json', body })) },
    { weight: 2, arbitrary: wrongContentType.map((contentType) => ({ contentType, body: validObject })) },
    { weight: 1, arbitrary: fc.integer({ min: 17_000, max: 60_000 }).map((n) => ({ contentType: 'application/json', body: validObject.replace(/}$/, `,"pad":"${'x'.repeat(n)}"}`) })) },
    { weight: 1, arbitrary: fc.constantFrom('application/json; charset=utf-8', 'Application/JSON').chain((contentType) => invalidObject.map((e) => ({ contentType, body: objectText(e) }))) },
  );
}

async function send(c: Case): Promise<number> {
  const res = await fetch(h.baseUrl + c.path, {
    method: c.method,
    headers: c.contentType === undefined ? {} : { 'content-type': c.contentType },
    body: c.body,
    redirect: 'manual',
  });
  await res.arrayBuffer();
  return res.status;
}

/** Rows of dsar_requests / audit_events / dsar_tasks, in one round trip. */
async function counts(): Promise<string> {
  const [row] = await h.prisma.$queryRaw<{ c: string }[]>`
    SELECT (SELECT count(*) FROM dsar_requests) || '/' || (SELECT count(*) FROM audit_events) || '/' || (SELECT count(*) FROM dsar_tasks) AS c`;
  return row!.c;
}

/**
 * Runs a property where every case must answer 4xx and leave the database as it was. Rows are
 * counted around each case (not once for the whole run) so that shrinking pins down the case that
 * stored something instead of blaming every later one.
 */
async function fuzz(name: string, arb: fc.Arbitrary<Case>, numRuns: number) {
  const statuses = new Map<number, number>();
  await fc
    .assert(
      fc.asyncProperty(arb, async (c) => {
        const before = await counts();
        const status = await send(c);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        const after = await counts();
        if (status < 400 || status > 499) throw new Error(`${name}: got ${status}`);
        if (after !== before) throw new Error(`${name}: rows changed ${before} → ${after}`);
      }),
      { numRuns, seed: SEED, includeErrorInReport: true },
    )
    .catch((err: Error) => {
      throw new Error(`${err.message}\n(fuzz seed ${SEED}: rerun with FUZZ_SEED=${SEED})`);
    });
  return statuses;
}

// ---- properties --------------------------------------------------------------------------------

describe(`fuzzing (seed ${SEED})`, () => {
  test(`POST /v1/requests: ${RUNS.intake} invalid bodies, all 4xx, nothing stored`, async () => {
    const arb = invalidRequest(invalidIntakeObject, '{"type":"access","email":"valid@example.com"}').map((b): Case => ({ method: 'POST', path: '/v1/requests', ...b }));
    const statuses = await fuzz('intake', arb, RUNS.intake);
    // The generators reach every layer: parser (400), validation (400), content type (415), size (413).
    expect([...statuses.keys()].sort()).toEqual([400, 413, 415]);
  });

  test(`POST /v1/requests/:id/verify: ${RUNS.verify} invalid ids and bodies, all 4xx, nothing stored or counted`, async () => {
    const id = fc.oneof(
      { weight: 3, arbitrary: fc.constant(realId) },
      { weight: 1, arbitrary: fc.constant(realId.toUpperCase()) },
      { weight: 2, arbitrary: fc.uuid().filter((u) => u.toLowerCase() !== realId) },
      { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 80 }).map(encodeURIComponent).filter((s) => !['.', '..'].includes(s)) },
      { weight: 1, arbitrary: fc.constantFrom("1' OR '1'='1", '00000000-0000-0000-0000-000000000000', `${realId}x`, `${realId.slice(0, -1)}g`, '%00', '..%2f..%2fetc%2fpasswd', 'null', '-1').map(encodeURIComponent) },
    );
    const validToken = fc.string({ unit: 'grapheme-ascii', minLength: 16, maxLength: 128 }).map((token) => JSON.stringify({ token }));
    const arb = fc.oneof(
      // Any id, invalid body.
      { weight: 4, arbitrary: fc.tuple(id, invalidRequest(invalidTokenObject, '{"token":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}')).map(([i, b]): Case => ({ method: 'POST', path: `/v1/requests/${i}/verify`, ...b })) },
      // A well-formed token for an id that does not exist (or cannot be one).
      { weight: 1, arbitrary: fc.tuple(id.filter((i) => i.toLowerCase() !== realId), validToken).map(([i, body]): Case => ({ method: 'POST', path: `/v1/requests/${i}/verify`, contentType: 'application/json', body })) },
    );
    const statuses = await fuzz('verify', arb, RUNS.verify);
    expect([...statuses.keys()].sort()).toEqual([400, 404, 413, 415]);
    const target = await h.prisma.dsarRequest.findUniqueOrThrow({ where: { id: realId } });
    expect(target).toMatchObject({ status: 'awaiting_verification', verificationAttempts: 0 });
  });

  test(`random methods and paths: ${RUNS.routes} requests, all 4xx, nothing stored`, async () => {
    const segment = fc
      .string({ unit: 'grapheme', minLength: 1, maxLength: 40 })
      .map(encodeURIComponent)
      .filter((s) => !['.', '..', 'health'].includes(s.toLowerCase()) && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s));
    const path = fc.oneof(
      segment.map((s) => `/v1/requests/${s}`),
      segment.map((s) => `/v1/requests/${s}/verify`),
      fc.tuple(segment, segment).map(([a, b]) => `/v1/requests/${a}/${b}`),
      segment.map((s) => `/v1/${s}`),
      segment.map((s) => `/${s}`),
      fc.constant('/v1/requests'),
      fc.constant(`/v1/requests/${realId}/verify`),
    );
    const method = fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'PROPFIND', 'PURGE');
    const body = fc.option(fc.oneof(notJson, notAnObject, invalidIntakeObject.map(objectText)), { nil: undefined });
    const arb = fc
      .tuple(method, path, body)
      // Valid reads: the status of a known request, the confirmation page of a well-formed id.
      .filter(([m, p]) => !(['GET', 'HEAD'].includes(m) && p === `/v1/requests/${realId}/verify`))
      // GET on POST-only /v1/requests is a 404; POST on it is covered above (bodies are invalid here too).
      .map(([m, p, b]): Case => (m === 'GET' || m === 'HEAD' ? { method: m, path: p } : { method: m, path: p, contentType: 'application/json', body: b }));
    await fuzz('routes', arb, RUNS.routes);
  });
});

// Found by the fuzzer: class-transformer silently drops "__proto__", "constructor" and keys naming
// inherited methods, so a valid request with such an extra key used to be accepted (202) and, on
// the verify endpoint, to count as a verification attempt. The body parser now refuses them.
describe('keys that shadow Object.prototype are refused like any unknown field', () => {
  test.each([...Object.getOwnPropertyNames(Object.prototype), 'prototype'])('%s', async (k) => {
    const before = await counts();
    const intake = await send({ method: 'POST', path: '/v1/requests', contentType: 'application/json', body: objectText([['type', 'access'], ['email', 'someone@example.com'], [k, {}]]) });
    const nested = await send({ method: 'POST', path: '/v1/requests', contentType: 'application/json', body: objectText([['type', 'access'], ['email', 'someone@example.com'], ['x', JSON.parse(objectText([[k, 1]]))]]) });
    const verify = await send({ method: 'POST', path: `/v1/requests/${realId}/verify`, contentType: 'application/json', body: objectText([[k, []], ['token', 'A'.repeat(43)]]) });
    expect([intake, nested, verify]).toEqual([400, 400, 400]);
    expect(await counts()).toBe(before);
  });
});
