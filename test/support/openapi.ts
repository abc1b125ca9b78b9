// Checks every call a vendor fake recorded against the vendor's official OpenAPI document
// (test/vendor-openapi/): the operation exists, path / query / header parameters (required, types,
// enums, no undocumented query parameters), security (a bearer token where the document asks for
// one), request content type and body against the schema; and the fake's own answer, for a status
// the operation documents, against the documented response schema and headers (proving the fakes
// right). Operations the vendors document elsewhere but the trimmed documents lack are on an
// explicit allow-list, each with its vendors.md citation; anything else is a violation.
// JSON Schema: Ajv's 2020-12 build for the OAS 3.1 documents (Auth0, SendGrid) and its draft-07
// build for OAS 3.0.1 (Intercom, whose `nullable` without `type` is rewritten as anyOf null).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { FakeVendorServer, RecordedCall } from '../../src/demo/fakes/index.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv, formats: string[]) => Ajv;

type Json = Record<string, unknown>;
type AnyAjv = Ajv | Ajv2020;

export type DocumentedVendor = 'auth0' | 'intercom' | 'sendgrid';

interface SpecSource {
  file: string;
  /** Path prefix of the document's server URL (Auth0 Management: /api/v2). */
  basePath: string;
  /** Schema used for error answers at statuses the operation does not document. */
  errorSchema?: string;
}

const SOURCES: Record<DocumentedVendor, SpecSource[]> = {
  auth0: [
    { file: 'auth0-management.json', basePath: '/api/v2' },
    { file: 'auth0-authentication.json', basePath: '' },
  ],
  intercom: [{ file: 'intercom.json', basePath: '', errorSchema: '#/components/schemas/error' }],
  sendgrid: [
    { file: 'sendgrid-contacts.json', basePath: '', errorSchema: '#/components/schemas/ErrorResponse' },
    { file: 'sendgrid-suppressions.json', basePath: '', errorSchema: '#/components/schemas/ErrorResponse' },
    { file: 'sendgrid-erasure.json', basePath: '' },
  ],
};

/** An operation the vendor documents but the trimmed document lacks, written as an OpenAPI operation. */
export interface AllowedOperation {
  vendor: DocumentedVendor;
  /** The document its $refs resolve in. */
  file: string;
  method: string;
  /** Path template relative to the document's server. */
  path: string;
  citation: string;
  operation: Json;
}

export const ALLOWED_UNDOCUMENTED: AllowedOperation[] = [
  {
    vendor: 'auth0',
    file: 'auth0-management.json',
    method: 'get',
    path: '/users',
    citation: 'vendors.md §1 Find by email ("Alternative: GET /api/v2/users?q=email:\\"<email>\\"&search_engine=v3 with page, per_page, include_totals"), §10 (v3 search is case-insensitive on e-mail)',
    operation: {
      operationId: 'get_users',
      parameters: [
        { name: 'q', in: 'query', schema: { type: 'string' } },
        { name: 'search_engine', in: 'query', schema: { type: 'string', enum: ['v3'] } },
        { name: 'page', in: 'query', schema: { type: 'integer', minimum: 0 } },
        { name: 'per_page', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100 } },
        { name: 'include_totals', in: 'query', schema: { type: 'boolean' } },
        { name: 'sort', in: 'query', schema: { type: 'string' } },
        { name: 'connection', in: 'query', schema: { type: 'string' } },
        { name: 'fields', in: 'query', schema: { type: 'string' } },
        { name: 'include_fields', in: 'query', schema: { type: 'boolean' } },
      ],
      security: [{ bearerAuth: [] }, { oAuth2ClientCredentials: ['read:users'] }],
      responses: {
        200: {
          description: 'Users (array, or paged object with include_totals)',
          content: {
            'application/json': {
              schema: {
                oneOf: [
                  { type: 'array', items: { $ref: '#/components/schemas/UserResponseSchema' } },
                  {
                    type: 'object',
                    required: ['users'],
                    properties: { start: { type: 'number' }, limit: { type: 'number' }, length: { type: 'number' }, total: { type: 'number' }, users: { type: 'array', items: { $ref: '#/components/schemas/UserResponseSchema' } } },
                  },
                ],
              },
            },
          },
        },
      },
    },
  },
  {
    vendor: 'intercom',
    file: 'intercom.json',
    method: 'get',
    path: '/conversations/{conversation_id}',
    citation: 'vendors.md §2 Retrieve ("then GET /conversations/{id}"), §10 Intercom (conversations)',
    operation: {
      operationId: 'retrieveConversation',
      parameters: [
        { name: 'Intercom-Version', in: 'header', schema: { $ref: '#/components/schemas/intercom_version' } },
        { name: 'conversation_id', in: 'path', required: true, schema: { type: 'string' } },
        { name: 'display_as', in: 'query', schema: { type: 'string', enum: ['plaintext'] } },
      ],
      responses: {
        200: {
          description: 'The conversation with its parts (a conversation list item plus conversation_parts)',
          content: {
            'application/json': {
              schema: {
                allOf: [{ $ref: '#/components/schemas/conversation_list_item' }],
                type: 'object',
                required: ['id', 'conversation_parts'],
                properties: {
                  conversation_parts: {
                    type: 'object',
                    required: ['conversation_parts'],
                    properties: {
                      type: { type: 'string', enum: ['conversation_part.list'] },
                      conversation_parts: { type: 'array', items: { type: 'object', required: ['id', 'part_type'], properties: { id: { type: 'string' }, part_type: { type: 'string' }, body: { type: 'string', nullable: true }, author: { $ref: '#/components/schemas/conversation_part_author' } } } },
                      total_count: { type: 'integer' },
                    },
                  },
                },
              },
            },
          },
        },
        404: { description: 'Not found', content: { 'application/json': { schema: { $ref: '#/components/schemas/error' } } } },
      },
    },
  },
];

/** Requirements stricter than a document, each with its reason. */
export const PROJECT_RULES = [
  {
    vendor: 'intercom' as const,
    header: 'intercom-version',
    reason: 'Intercom-Version is optional in the document (Intercom then uses the app\'s default version); we require adapters to pin it, and the fake refuses a missing one',
  },
];

/** Where a document's schema contradicts the vendor's own description; the override wins. */
export const SPEC_ERRATA: { file: string; operationId: string; status: string; schema: Json; citation: string }[] = [
  {
    file: 'sendgrid-contacts.json',
    operationId: 'DeleteContact',
    status: '202',
    schema: { type: 'object', required: ['job_id'], properties: { job_id: { type: 'string' } } },
    citation: 'vendors.md §6 Delete: "The spec types job_id as object; real responses are a string [spec quirk]"',
  },
  {
    file: 'sendgrid-suppressions.json',
    operationId: 'GetGlobalSuppression',
    status: '200',
    schema: { type: 'object', properties: { recipient_email: { type: 'string', format: 'email' } }, additionalProperties: false },
    citation: 'sendgrid-suppressions.json GetGlobalSuppression description: "If the address … is not globally suppressed, an empty JSON object {} will be returned" (the schema requires recipient_email)',
  },
];

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const DIR = fileURLToPath(new URL('../vendor-openapi/', import.meta.url));

interface LoadedSpec {
  source: SpecSource;
  doc: Json;
  id: string;
  strict: AnyAjv;
  coercing: AnyAjv;
  templates: { template: string; segments: string[]; literal: number; item: Json }[];
}

interface OperationMatch {
  spec: LoadedSpec;
  template: string;
  method: string;
  operation: Json;
  pathItem: Json;
  pathParams: Record<string, string>;
  allowed?: AllowedOperation;
}

const loaded = new Map<DocumentedVendor, LoadedSpec[]>();

function load(vendor: DocumentedVendor): LoadedSpec[] {
  const have = loaded.get(vendor);
  if (have) return have;
  const specs = SOURCES[vendor].map((source) => {
    let doc = JSON.parse(readFileSync(DIR + source.file, 'utf8')) as Json;
    const oas30 = String(doc.openapi).startsWith('3.0');
    if (oas30) doc = nullableToAnyOf(doc) as Json;
    const paths = { ...(doc.paths as Json) };
    for (const a of ALLOWED_UNDOCUMENTED.filter((x) => x.file === source.file)) {
      const item = { ...((paths[a.path] as Json) ?? {}) };
      if (item[a.method]) throw new Error(`allow-listed ${a.method} ${a.path} is in ${a.file} after all: remove it from the allow-list`);
      item[a.method] = { ...(oas30 ? (nullableToAnyOf(a.operation) as Json) : a.operation), 'x-allow-listed': a.citation };
      paths[a.path] = item;
    }
    doc = { ...doc, paths };
    const id = `urn:vendor-openapi:${source.file}`;
    const make = (coerce: boolean): AnyAjv => {
      const opts = { strict: false, allErrors: true, logger: false as const, coerceTypes: coerce };
      const ajv = oas30 ? new Ajv(opts) : new Ajv2020(opts);
      // Formats are annotations in OpenAPI; these are the ones the documents use as real constraints
      // (Intercom's addressable_list.type is typed "uri" while its values are words like "note").
      addFormats(ajv as Ajv, ['date-time', 'email', 'uuid']);
      ajv.addSchema({ ...doc, $id: id }, id);
      return ajv;
    };
    const templates = Object.entries(paths).map(([template, item]) => {
      const segments = (source.basePath + template).split('/').slice(1);
      return { template, segments, literal: segments.filter((s) => !/^\{.+\}$/.test(s)).length, item: item as Json };
    });
    return { source, doc, id, strict: make(false), coercing: make(true), templates };
  });
  loaded.set(vendor, specs);
  return specs;
}

// OAS 3.0 `nullable` as JSON Schema: Ajv handles it next to `type`; elsewhere (beside $ref, oneOf …)
// `true` becomes anyOf [schema, null] and `false` is dropped (Ajv refuses nullable without type).
function nullableToAnyOf(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(nullableToAnyOf);
  if (!node || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node as Json)) out[k] = nullableToAnyOf(v);
  if (out.nullable !== undefined && out.type === undefined) {
    const { nullable, ...rest } = out;
    return nullable === true ? { anyOf: [rest, { type: 'null' }] } : rest;
  }
  return out;
}

function pointer(...parts: string[]): string {
  return '#/' + parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
}

function deref(spec: LoadedSpec, node: unknown): Json {
  let n = node as Json;
  for (let i = 0; i < 10 && n && typeof n.$ref === 'string'; i++) {
    const ref = n.$ref as string;
    n = ref.slice(2).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~')).reduce<unknown>((o, k) => (o as Json)?.[k], spec.doc) as Json;
  }
  return n;
}

const compiled = new Map<string, ValidateFunction>();
function validator(spec: LoadedSpec, coerce: boolean, ref: string, override?: Json): ValidateFunction {
  const key = `${spec.id}|${coerce}|${ref}|${override ? JSON.stringify(override) : ''}`;
  let v = compiled.get(key);
  if (!v) {
    const ajv = coerce ? spec.coercing : spec.strict;
    v = ajv.compile(override ?? { $ref: spec.id + ref });
    compiled.set(key, v);
  }
  return v;
}

// Ajv's errors in one line; `wrapped`: the value was validated as property `v` of a wrapper object.
function ajvErrors(v: ValidateFunction, wrapped = false): string {
  return (v.errors ?? []).slice(0, 6).map((e) => {
    const at = wrapped ? e.instancePath.replace(/^\/v/, '') : e.instancePath || '(root)';
    return `${at ? `${at} ` : ''}${e.message}${e.params && 'allowedValues' in e.params ? ` ${JSON.stringify(e.params.allowedValues)}` : ''}`;
  }).join('; ');
}

function matchOperation(vendor: DocumentedVendor, method: string, path: string): OperationMatch | { methods: string[] } | undefined {
  const segs = path.split('/').slice(1);
  const candidates: { spec: LoadedSpec; t: LoadedSpec['templates'][number]; params: Record<string, string> }[] = [];
  for (const spec of load(vendor)) {
    for (const t of spec.templates) {
      if (t.segments.length !== segs.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < segs.length && ok; i++) {
        const m = /^\{(.+)\}$/.exec(t.segments[i]!);
        if (m) params[m[1]!] = segs[i]!;
        else ok = t.segments[i] === segs[i];
      }
      if (ok) candidates.push({ spec, t, params });
    }
  }
  if (candidates.length === 0) return undefined;
  candidates.sort((a, b) => b.t.literal - a.t.literal);
  const m = method.toLowerCase();
  const hit = candidates.find((c) => c.t.item[m]);
  if (!hit) return { methods: [...new Set(candidates.flatMap((c) => Object.keys(c.t.item).filter((k) => METHODS.includes(k))))] };
  const operation = hit.t.item[m] as Json;
  const allowed = operation['x-allow-listed'] ? ALLOWED_UNDOCUMENTED.find((a) => a.file === hit.spec.source.file && a.path === hit.t.template && a.method === m) : undefined;
  return { spec: hit.spec, template: hit.t.template, method: m, operation, pathItem: hit.t.item, pathParams: hit.params, allowed };
}

/** Problems with one recorded call (empty when it conforms). */
export function validateCall(vendor: DocumentedVendor, call: RecordedCall): string[] {
  const found = matchOperation(vendor, call.method, call.path);
  if (!found) return [`no documented operation for ${call.method} ${call.path} (and not on the allow-list)`];
  if ('methods' in found) return [`${call.method} is not a documented method of ${call.path} (documented: ${found.methods.map((x) => x.toUpperCase()).join(', ')})`];
  const { spec, operation } = found;
  const out: string[] = [];
  const opName = String(operation.operationId ?? `${found.method} ${found.template}`);
  const say = (msg: string) => out.push(`${opName}: ${msg}`);

  // Parameters: path-level ones overridden by the operation's own (by name and location).
  const params = new Map<string, Json>();
  for (const p of [...((found.pathItem.parameters as Json[]) ?? []), ...((operation.parameters as Json[]) ?? [])]) {
    const r = deref(spec, p);
    params.set(`${r.in}:${String(r.name).toLowerCase()}`, r);
  }
  const checkValue = (where: string, name: string, schema: Json | undefined, value: unknown) => {
    if (!schema) return;
    const v = validator(spec, true, '', { type: 'object', properties: { v: withDocRefs(spec, schema) } });
    if (!v({ v: value })) say(`${where} parameter ${name}: ${ajvErrors(v, true)}`);
  };
  for (const [key, p] of params) {
    const name = String(p.name);
    const schema = p.schema as Json | undefined;
    if (p.in === 'path') {
      const raw = found.pathParams[name];
      let value: string | undefined;
      try {
        value = raw === undefined ? undefined : decodeURIComponent(raw);
      } catch {
        say(`path parameter ${name} is not valid percent-encoding`);
        continue;
      }
      if (value === undefined || value === '') say(`missing path parameter ${name}`);
      else checkValue('path', name, schema, value);
    } else if (p.in === 'query') {
      const values = call.query.filter(([k]) => k === name).map(([, v]) => v);
      if (values.length === 0) {
        if (p.required) say(`missing required query parameter ${name}`);
        continue;
      }
      const isArray = deref(spec, schema).type === 'array';
      if (!isArray && values.length > 1) say(`query parameter ${name} is repeated (${values.length} times); the document takes one value`);
      checkValue('query', name, schema, isArray ? (p.explode === false ? values.join(',').split(',') : values) : values[0]);
    } else if (p.in === 'header') {
      const value = call.headers[key.slice(7)];
      if (value === undefined) {
        if (p.required) say(`missing required header ${name}`);
        continue;
      }
      checkValue('header', name, schema, Array.isArray(value) ? value.join(', ') : value);
    }
  }
  for (const [k] of new Map(call.query)) if (!params.has(`query:${k.toLowerCase()}`)) say(`query parameter ${k} is not documented for this operation`);
  for (const rule of PROJECT_RULES.filter((r) => r.vendor === vendor)) {
    if (call.headers[rule.header] === undefined) say(`missing header ${rule.header} (project rule: ${rule.reason})`);
  }

  // Security: any one requirement object satisfied (all of its schemes).
  const security = (operation.security ?? spec.doc.security ?? []) as Json[];
  if (security.length > 0) {
    const schemes = ((spec.doc.components as Json)?.securitySchemes ?? {}) as Record<string, Json>;
    const satisfied = security.some((req) => Object.keys(req).every((name) => schemeSatisfied(schemes[name], call, spec.source.basePath)));
    if (!satisfied) say(`no credentials for any of the documented security requirements (${security.map((r) => Object.keys(r).join('+') || '(none)').join(' | ')})`);
  }

  // Request body.
  const body = operation.requestBody ? deref(spec, operation.requestBody) : undefined;
  const hasBody = call.rawBody !== '';
  if (!body) {
    if (hasBody) say('the operation takes no request body, one was sent');
  } else if (!hasBody) {
    if (body.required) say('missing required request body');
  } else {
    const ct = String(call.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    const content = (body.content ?? {}) as Record<string, Json>;
    const media = Object.keys(content).find((k) => k.toLowerCase() === ct);
    if (!media) {
      say(`request content type ${ct || '(none)'} is not documented (documented: ${Object.keys(content).join(', ')})`);
    } else {
      let parsed: unknown;
      let form = false;
      if (/^application\/(.+\+)?json$/.test(ct)) {
        try {
          parsed = JSON.parse(call.rawBody);
        } catch {
          say('request body is not valid JSON');
        }
      } else if (ct === 'application/x-www-form-urlencoded') {
        parsed = Object.fromEntries(new URLSearchParams(call.rawBody));
        form = true;
      } else {
        parsed = call.rawBody;
      }
      if (parsed !== undefined && content[media]!.schema) {
        // Form fields arrive as strings: the coercing validator reads them as the schema's types.
        const v = validator(spec, form, pointer('paths', found.template, found.method, 'requestBody', 'content', media, 'schema'));
        if (!v(parsed)) say(`request body does not match the schema: ${ajvErrors(v)}`);
      }
    }
  }

  out.push(...responseProblems(spec, found, call).map((p) => `${opName}: ${p}`));
  return out;
}

function withDocRefs(spec: LoadedSpec, schema: Json): Json {
  // Parameter schemas are compiled on their own: point their local $refs into the document.
  return JSON.parse(JSON.stringify(schema).replace(/"\$ref":"#\//g, `"$ref":"${spec.id}#/`)) as Json;
}

function schemeSatisfied(scheme: Json | undefined, call: RecordedCall, basePath: string): boolean {
  if (!scheme) return false;
  const auth = String(call.headers.authorization ?? '');
  if (scheme.type === 'http') {
    const want = String(scheme.scheme).toLowerCase();
    return new RegExp(`^${want} \\S+`, 'i').test(auth);
  }
  if (scheme.type === 'oauth2' || scheme.type === 'openIdConnect') {
    // The token request itself is how the flow starts: its client credentials are in the body.
    const flows = Object.values((scheme.flows ?? {}) as Record<string, Json>);
    if (flows.some((f) => typeof f.tokenUrl === 'string' && (basePath + f.tokenUrl).replace(/\/$/, '') === call.path.replace(/\/$/, ''))) return true;
    return /^bearer \S+/i.test(auth);
  }
  if (scheme.type === 'apiKey') {
    const name = String(scheme.name);
    if (scheme.in === 'header') return call.headers[name.toLowerCase()] !== undefined;
    if (scheme.in === 'query') return call.query.some(([k]) => k === name);
  }
  return false;
}

function responseProblems(spec: LoadedSpec, found: OperationMatch, call: RecordedCall): string[] {
  if (call.injected) return [];
  const responses = (found.operation.responses ?? {}) as Record<string, Json>;
  const status = String(call.status);
  const key = [status, `${status[0]}XX`, 'default'].find((k) => responses[k] !== undefined);
  const out: string[] = [];
  if (!key) {
    // Undocumented status (Intercom documents few 404s, SendGrid few 429s): the vendor's error shape.
    if (call.status >= 400 && spec.source.errorSchema && call.responseBody !== undefined) {
      const v = validator(spec, false, spec.source.errorSchema);
      if (!v(call.responseBody)) out.push(`fake's ${status} answer does not match the vendor's error schema: ${ajvErrors(v)}`);
    }
    return out;
  }
  const response = deref(spec, responses[key]);
  for (const [name, h] of Object.entries((response.headers ?? {}) as Record<string, Json>)) {
    const header = deref(spec, h);
    const value = call.responseHeaders[name.toLowerCase()] ?? Object.entries(call.responseHeaders).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
    if (value === undefined) {
      if (header.required) out.push(`fake's ${status} answer lacks the documented header ${name}`);
      continue;
    }
    const v = validator(spec, true, '', { type: 'object', properties: { v: withDocRefs(spec, (header.schema as Json) ?? {}) } });
    if (!v({ v: value })) out.push(`fake's ${status} answer header ${name}: ${ajvErrors(v, true)}`);
  }
  const content = response.content as Record<string, Json> | undefined;
  if (!content || call.status === 204) return out;
  const media = Object.keys(content).find((k) => /json/.test(k));
  if (!media || !content[media]!.schema) return out;
  if (call.responseBody === undefined) return [...out, `fake's ${status} answer has no body; the document gives one (${media})`];
  const erratum = SPEC_ERRATA.find((e) => e.file === spec.source.file && e.operationId === found.operation.operationId && e.status === key);
  const ref = responses[key]!.$ref ? pointer(...String(responses[key]!.$ref).slice(2).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~')), 'content', media, 'schema') : pointer('paths', found.template, found.method, 'responses', key, 'content', media, 'schema');
  const v = validator(spec, false, ref, erratum ? withDocRefs(spec, erratum.schema) : undefined);
  if (!v(call.responseBody)) out.push(`fake's ${status} answer does not match the documented schema: ${ajvErrors(v)}`);
  return out;
}

export function isDocumentedVendor(name: string): name is DocumentedVendor {
  return name in SOURCES;
}

/**
 * Every problem with the calls a fake recorded, one line each ("<vendor> #<n> METHOD path: …").
 * Fakes of vendors without an OpenAPI document here (Amplitude, Hotjar, …) have none.
 */
export function vendorCallViolations(fake: FakeVendorServer): string[] {
  if (!isDocumentedVendor(fake.name)) return [];
  const vendor = fake.name;
  return fake.calls.flatMap((call, i) => validateCall(vendor, call).map((p) => `${vendor} #${i + 1} ${call.method} ${call.path}: ${p}`));
}

/** Throws, listing every violation, when any recorded call of these fakes breaks its vendor's document. */
export function assertVendorCallsValid(fakes: FakeVendorServer | FakeVendorServer[] | { all: FakeVendorServer[] }): void {
  const list = Array.isArray(fakes) ? fakes : 'all' in fakes ? fakes.all : [fakes];
  const problems = list.flatMap(vendorCallViolations);
  if (problems.length) throw new Error(`${problems.length} vendor call(s) break the vendors' OpenAPI documents:\n${problems.join('\n')}`);
}
