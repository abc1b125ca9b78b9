// Salesforce fake: one server playing the org's My Domain host (https://<mydomain>.my.salesforce.com),
// which is both the OAuth token host and the REST `instance_url`. Written from vendors.md §0.4, §5
// (token answer) and §10 (Salesforce). Traps kept:
// - POST /services/oauth2/token is form-encoded only; client credentials work only on the My Domain
//   host: with `genericLoginHost` the fake plays login.salesforce.com and answers 400 invalid_grant
//   "request not supported on this domain" (§10). The answer has instance_url and no expires_in.
// - Tokens go into the (shareable) TokenRegistry with the connected app's scopes: the Pardot fake
//   accepts them only with `pardot_api`; REST here needs `api` (or `full`).
// - REST under /services/data/vNN.0/: SOQL query (SELECT … FROM Lead|Contact WHERE … with =, !=,
//   IN, LIKE, AND/OR, parentheses; string comparison case-insensitive; `\'` escapes; mixing AND and
//   OR without parentheses is refused), paged with nextRecordsUrl; malformed SOQL → 400
//   MALFORMED_QUERY, unknown columns → 400 INVALID_FIELD; errors are arrays [{errorCode, message}].
// - DELETE sobjects/{type}/{Id} → 204 into Salesforce's own recycle bin (no longer returned by
//   query, returned by queryAll, restorable); a second DELETE → 404 ENTITY_IS_DELETED; unknown id
//   → 404 NOT_FOUND; expired or unknown session → 401 INVALID_SESSION_ID.
// - Limits answer 403 REQUEST_LIMIT_EXCEEDED (Salesforce's form, not a 429).
// UNCONFIRMED choices (kept plausible): GET of a recycled record answers 404 ENTITY_IS_DELETED; a
// purged record answers NOT_FOUND; a token without `api` scope gets 401 "This session is not valid
// for use with the REST API"; SOQL beyond the subset above answers MALFORMED_QUERY (a fake limit).
import { createHmac, randomBytes } from 'node:crypto';
import { type FakeRequest, type FakeResponse, FakeVendorServer, type FakeServerOptions } from './fake-server.js';

export type SalesforceObjectType = 'Lead' | 'Contact';

export interface SalesforceFakeRecord {
  Id: string;
  Email?: string | null;
  FirstName?: string | null;
  LastName?: string | null;
  [field: string]: unknown;
}

interface StoredRecord {
  type: SalesforceObjectType;
  fields: SalesforceFakeRecord;
  /** In the recycle bin since (ISO), or undefined while active. */
  deletedAt?: string;
}

export interface SalesforceFakeOptions extends FakeServerOptions {
  /** The org's My Domain (shown in `id` URLs only; the fake answers on its own URL). */
  myDomain?: string;
  clientId?: string;
  clientSecret?: string;
  /** The connected app's OAuth scopes, space-separated (default "api pardot_api"). */
  scope?: string;
  /** Session lifetime (Salesforce default 2 hours; the token answer carries no expires_in). */
  sessionTimeoutSec?: number;
  /** Play the generic login host (login.salesforce.com): client credentials are refused there. */
  genericLoginHost?: boolean;
  /** The connected app has a "run as" user for the client-credentials flow (default true). */
  clientCredentialsEnabled?: boolean;
  /** Records per query batch when the caller sends no Sforce-Query-Options (Salesforce: 2000). */
  queryBatchSize?: number;
}

const LEAD_FIELDS = [
  'Id', 'IsDeleted', 'FirstName', 'LastName', 'Name', 'Salutation', 'Email', 'Phone', 'MobilePhone', 'Company', 'Title',
  'Industry', 'Street', 'City', 'State', 'PostalCode', 'Country', 'LeadSource', 'Status', 'Website', 'Description',
  'HasOptedOutOfEmail', 'OwnerId', 'CreatedDate', 'LastModifiedDate', 'SystemModstamp', 'IsConverted',
];
const CONTACT_FIELDS = [
  'Id', 'IsDeleted', 'AccountId', 'FirstName', 'LastName', 'Name', 'Salutation', 'Email', 'Phone', 'MobilePhone', 'Title',
  'Department', 'MailingStreet', 'MailingCity', 'MailingState', 'MailingPostalCode', 'MailingCountry', 'LeadSource',
  'Description', 'HasOptedOutOfEmail', 'OwnerId', 'CreatedDate', 'LastModifiedDate', 'SystemModstamp',
];
const KEY_PREFIX: Record<SalesforceObjectType, string> = { Lead: '00Q', Contact: '003' };
const API_VERSION = /^v(\d{2})\.0$/;

/** Salesforce's REST error body: an array of {message, errorCode}. */
const sfError = (status: number, errorCode: string, message: string, fields?: string[]): FakeResponse => ({
  status,
  body: [{ message, errorCode, ...(fields ? { fields } : {}) }],
});
const oauthError = (error: string, description: string): FakeResponse => ({ status: 400, body: { error, error_description: description } });

export class SalesforceFake extends FakeVendorServer {
  readonly name = 'salesforce';
  readonly myDomain: string;
  readonly clientId: string;
  readonly clientSecret: string;
  scope: string;
  genericLoginHost: boolean;
  clientCredentialsEnabled: boolean;
  queryBatchSize: number;
  readonly orgId = '00D5g00000DsArFAKE';
  readonly runAsUserId = '0055g00000DsArUSER';
  private readonly ttl: number;
  private readonly records = new Map<string, StoredRecord>();
  /** Ids emptied from the recycle bin (hard-deleted). */
  private readonly purged = new Set<string>();
  private readonly locators = new Map<string, { version: string; rows: Record<string, unknown>[]; at: number; size: number }>();
  private seq = 0;

  constructor(opts: SalesforceFakeOptions = {}) {
    super(opts);
    this.myDomain = opts.myDomain ?? 'dsar-fake.my.salesforce.com';
    this.clientId = opts.clientId ?? '3MVG9fake.salesforce.connected.app.consumer.key';
    this.clientSecret = opts.clientSecret ?? 'fake-salesforce-consumer-secret';
    this.scope = opts.scope ?? 'api pardot_api';
    this.ttl = opts.sessionTimeoutSec ?? 7200;
    this.genericLoginHost = opts.genericLoginHost ?? false;
    this.clientCredentialsEnabled = opts.clientCredentialsEnabled ?? true;
    this.queryBatchSize = opts.queryBatchSize ?? 2000;
  }

  // ---- seeding and inspection ----

  addLead(fields: Partial<SalesforceFakeRecord>): SalesforceFakeRecord {
    return this.add('Lead', fields);
  }

  addContact(fields: Partial<SalesforceFakeRecord>): SalesforceFakeRecord {
    return this.add('Contact', fields);
  }

  /** Active (not recycled) leads. */
  leads(): SalesforceFakeRecord[] {
    return this.list('Lead', false);
  }

  /** Active (not recycled) contacts. */
  contacts(): SalesforceFakeRecord[] {
    return this.list('Contact', false);
  }

  /** Records in the recycle bin, with their type. */
  recycleBin(): { type: SalesforceObjectType; record: SalesforceFakeRecord; deletedAt: string }[] {
    return [...this.records.values()].filter((r) => r.deletedAt).map((r) => ({ type: r.type, record: r.fields, deletedAt: r.deletedAt! }));
  }

  /** 'active', 'recycled' (in the recycle bin), 'purged' (hard-deleted) or 'unknown'. */
  state(id: string): 'active' | 'recycled' | 'purged' | 'unknown' {
    const key = this.find(id);
    if (key) return this.records.get(key)!.deletedAt ? 'recycled' : 'active';
    return this.purged.has(to18(id)) ? 'purged' : 'unknown';
  }

  /** Undelete from the recycle bin (as a user or the undelete() call would). */
  restore(id: string): boolean {
    const r = this.records.get(this.find(id) ?? '');
    if (!r?.deletedAt) return false;
    r.deletedAt = undefined;
    r.fields.IsDeleted = false;
    return true;
  }

  /** Empties the recycle bin (all of it, or one record): hard deletion. */
  purge(id?: string): number {
    let n = 0;
    for (const [key, r] of this.records) {
      if (!r.deletedAt || (id !== undefined && key !== this.find(id))) continue;
      this.records.delete(key);
      this.purged.add(key);
      n++;
    }
    return n;
  }

  private add(type: SalesforceObjectType, fields: Partial<SalesforceFakeRecord>): SalesforceFakeRecord {
    const now = new Date().toISOString().replace('Z', '+0000');
    const id = fields.Id ? to18(fields.Id) : this.newId(type);
    const name = [fields.FirstName, fields.LastName].filter(Boolean).join(' ');
    const record: SalesforceFakeRecord = {
      IsDeleted: false, Name: name || null, CreatedDate: now, LastModifiedDate: now, SystemModstamp: now, OwnerId: this.runAsUserId,
      ...(type === 'Lead' ? { Company: '[not provided]', Status: 'Open - Not Contacted', IsConverted: false } : {}),
      ...fields,
      Id: id,
    };
    this.records.set(id, { type, fields: record });
    return record;
  }

  private list(type: SalesforceObjectType, recycled: boolean): SalesforceFakeRecord[] {
    return [...this.records.values()].filter((r) => r.type === type && Boolean(r.deletedAt) === recycled).map((r) => r.fields);
  }

  private newId(type: SalesforceObjectType): string {
    const n = (++this.seq).toString(36).toUpperCase().padStart(7, '0');
    return to18(`${KEY_PREFIX[type]}5g000${n}`); // 3 + 5 + 7 = 15 characters
  }

  /** The stored key of an id given in 15- or 18-character form. */
  private find(id: string): string | undefined {
    if (!/^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$/.test(id)) return undefined;
    const key = to18(id.slice(0, 15));
    return this.records.has(key) ? key : undefined;
  }

  protected clearStore(): void {
    this.records.clear();
    this.purged.clear();
    this.locators.clear();
  }

  protected tooManyRequests(): FakeResponse {
    // Salesforce signals API limits with 403 REQUEST_LIMIT_EXCEEDED, not 429 (no reset header). A burst
    // over a rate or concurrency limit (what the base class enforces) is the concurrent-requests
    // limit; the org's daily allocation ("TotalRequests Limit exceeded") is `dailyLimitReached`.
    return sfError(403, 'REQUEST_LIMIT_EXCEEDED', this.dailyLimitReached ? 'TotalRequests Limit exceeded.' : 'ConcurrentPerOrgLongTxn Limit exceeded');
  }

  /** When set, limit answers say the org's daily API allocation is used up. */
  dailyLimitReached = false;

  // ---- HTTP ----

  protected handle(req: FakeRequest): FakeResponse {
    if (req.path === '/services/oauth2/token') return req.method === 'POST' ? this.token(req) : oauthError('invalid_request', 'must use HTTP POST');
    if (req.path === '/services/data' || req.path === '/services/data/') {
      return { status: 200, body: ['58.0', '59.0', '60.0', '61.0', '62.0'].map((v) => ({ label: 'Fake', url: `/services/data/v${v}`, version: v })) };
    }
    const m = /^\/services\/data\/([^/]+)(\/.*)?$/.exec(req.path);
    if (!m) return sfError(404, 'NOT_FOUND', 'The requested resource does not exist');
    const version = API_VERSION.exec(m[1]!);
    if (!version || Number(version[1]) < 20 || Number(version[1]) > 66) return sfError(404, 'NOT_FOUND', 'The requested resource does not exist');
    const auth = this.session(req.headers.authorization);
    if (auth) return auth;
    const rest = m[2] ?? '/';
    const v = m[1]!;
    if (rest === '/query' || rest === '/queryAll') {
      if (req.method !== 'GET') return sfError(405, 'METHOD_NOT_ALLOWED', `HTTP Method '${req.method}' not allowed. Allowed are GET,HEAD`);
      return this.query(req, v, rest === '/queryAll');
    }
    const more = /^\/query(?:All)?\/([^/]+)$/.exec(rest);
    if (more && req.method === 'GET') return this.nextBatch(more[1]!);
    const so = /^\/sobjects\/([^/]+)\/([^/]+)$/.exec(rest);
    if (so) return this.sobject(req, v, so[1]!, decodeURIComponent(so[2]!));
    return sfError(404, 'NOT_FOUND', 'The requested resource does not exist');
  }

  private token(req: FakeRequest): FakeResponse {
    // Form-encoded only: a JSON body carries no readable grant_type for Salesforce.
    const form = String(req.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded');
    const b = (form ? req.body ?? {} : {}) as Record<string, string>;
    if (!b.grant_type) return oauthError('unsupported_grant_type', 'grant type not supported');
    if (b.grant_type !== 'client_credentials') {
      if (['password', 'refresh_token', 'authorization_code', 'urn:ietf:params:oauth:grant-type:jwt-bearer'].includes(b.grant_type)) {
        return oauthError('invalid_grant', 'authentication failure'); // flows the fake does not model
      }
      return oauthError('unsupported_grant_type', 'grant type not supported');
    }
    if (this.genericLoginHost) return oauthError('invalid_grant', 'request not supported on this domain');
    if (b.client_id !== this.clientId) return oauthError('invalid_client_id', 'client identifier invalid');
    if (b.client_secret !== this.clientSecret) return oauthError('invalid_client', 'invalid client credentials');
    if (!this.clientCredentialsEnabled) return oauthError('invalid_grant', 'no client credentials user enabled');
    const scopes = this.scope.split(/\s+/).filter(Boolean);
    const access = this.issueToken(this.ttl, { scopes, audience: this.url, clientId: b.client_id });
    const issuedAt = String(Date.now());
    const id = `${this.url}/id/${this.orgId}/${this.runAsUserId}`;
    const signature = createHmac('sha256', this.clientSecret).update(id + issuedAt).digest('base64');
    return { status: 200, body: { access_token: access, signature, scope: scopes.join(' '), instance_url: this.url, id, token_type: 'Bearer', issued_at: issuedAt } };
  }

  /** An error answer when the session is missing, expired, foreign or lacks the `api` scope. */
  private session(authorization: string | undefined): FakeResponse | undefined {
    // Salesforce takes both `Bearer` and the older `OAuth` scheme.
    const m = /^(?:Bearer|OAuth) (\S+)$/i.exec(authorization ?? '');
    const grant = m ? this.tokens.check(`Bearer ${m[1]}`) : undefined;
    if (!grant || grant.audience !== this.url) return sfError(401, 'INVALID_SESSION_ID', 'Session expired or invalid');
    if (!grant.scopes.includes('api') && !grant.scopes.includes('full')) {
      return sfError(401, 'INVALID_SESSION_ID', 'This session is not valid for use with the REST API');
    }
    return undefined;
  }

  private query(req: FakeRequest, version: string, all: boolean): FakeResponse {
    const q = req.query.get('q');
    if (!q) return sfError(400, 'MALFORMED_QUERY', 'A query string has to be specified');
    let parsed: Soql;
    try {
      parsed = parseSoql(q);
    } catch (e) {
      if (e instanceof SoqlError) return sfError(400, e.code, e.message);
      throw e;
    }
    const type = (['Lead', 'Contact'] as const).find((t) => t.toLowerCase() === parsed.from.toLowerCase());
    if (!type) return sfError(400, 'INVALID_TYPE', `\n${q}\n${caret(parsed.fromCol)}\nERROR at Row:1:Column:${parsed.fromCol}\nsObject type '${parsed.from}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.`);
    const resolve = (f: { name: string; col: number }) => {
      const name = this.fieldName(type, f.name);
      if (!name) throw new SoqlError('INVALID_FIELD', `\n${q}\n${caret(f.col)}\nERROR at Row:1:Column:${f.col}\nNo such column '${f.name}' on entity '${type}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.`);
      return name;
    };
    let rows: Record<string, unknown>[];
    try {
      const select = parsed.fields.map(resolve);
      const where = parsed.where ? bindFields(parsed.where, resolve) : undefined;
      const order = parsed.orderBy ? { ...parsed.orderBy, field: resolve(parsed.orderBy) } : undefined;
      let matches = [...this.records.values()].filter((r) => r.type === type && (all || !r.deletedAt) && (!where || evaluate(where, r.fields)));
      if (order) {
        matches.sort((a, b) => compare(a.fields[order.field], b.fields[order.field]) * (order.desc ? -1 : 1));
      }
      if (parsed.offset) matches = matches.slice(parsed.offset);
      if (parsed.limit !== undefined) matches = matches.slice(0, parsed.limit);
      rows = matches.map((r) => ({
        attributes: { type, url: `/services/data/${version}/sobjects/${type}/${r.fields.Id}` },
        ...Object.fromEntries(select.map((f) => [f, r.fields[f] ?? null])),
      }));
    } catch (e) {
      if (e instanceof SoqlError) return sfError(400, e.code, e.message);
      throw e;
    }
    return this.batch(version, rows, 0, batchSize(req.headers['sforce-query-options'], this.queryBatchSize));
  }

  private batch(version: string, rows: Record<string, unknown>[], from: number, size: number): FakeResponse {
    const page = rows.slice(from, from + size);
    const done = from + size >= rows.length;
    const body: Record<string, unknown> = { totalSize: rows.length, done, records: page };
    if (!done) {
      const locator = `01g5g0000${randomBytes(5).toString('hex').toUpperCase()}`;
      this.locators.set(locator, { version, rows, at: from + size, size });
      body.nextRecordsUrl = `/services/data/${version}/query/${locator}-${from + size}`;
    }
    return { status: 200, body };
  }

  private nextBatch(ref: string): FakeResponse {
    const m = /^(01g[0-9A-Za-z]+)-(\d+)$/.exec(ref);
    const cursor = m ? this.locators.get(m[1]!) : undefined;
    if (!m || !cursor || Number(m[2]) !== cursor.at) return sfError(400, 'INVALID_QUERY_LOCATOR', 'invalid query locator');
    this.locators.delete(m[1]!);
    return this.batch(cursor.version, cursor.rows, cursor.at, cursor.size);
  }

  private sobject(req: FakeRequest, version: string, typeName: string, id: string): FakeResponse {
    const type = (['Lead', 'Contact'] as const).find((t) => t.toLowerCase() === typeName.toLowerCase());
    if (!type) return sfError(404, 'NOT_FOUND', 'The requested resource does not exist');
    if (req.method !== 'GET' && req.method !== 'DELETE') {
      return sfError(405, 'METHOD_NOT_ALLOWED', `HTTP Method '${req.method}' not allowed. Allowed are HEAD,GET,PATCH,DELETE`);
    }
    const wellFormed = /^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$/.test(id);
    if (!wellFormed) {
      return req.method === 'DELETE'
        ? sfError(400, 'MALFORMED_ID', `${type} ID: id value of incorrect type: ${id}`, ['Id'])
        : sfError(404, 'NOT_FOUND', `Provided external ID field does not exist or is not accessible: ${id}`);
    }
    const key = this.find(id);
    const r = key ? this.records.get(key) : undefined;
    if (!r || r.type !== type) return sfError(404, 'NOT_FOUND', 'The requested resource does not exist');
    if (r.deletedAt) return sfError(404, 'ENTITY_IS_DELETED', 'entity is deleted', []);
    if (req.method === 'DELETE') {
      r.deletedAt = new Date().toISOString();
      r.fields.IsDeleted = true;
      return { status: 204 };
    }
    const wanted = req.query.get('fields');
    let names = [...new Set([...(type === 'Lead' ? LEAD_FIELDS : CONTACT_FIELDS), ...Object.keys(r.fields)])];
    if (wanted) {
      const resolved = wanted.split(',').map((f) => f.trim()).filter(Boolean).map((f) => [f, this.fieldName(type, f)] as const);
      const bad = resolved.find(([, n]) => !n);
      if (bad) return sfError(400, 'INVALID_FIELD', `No such column '${bad[0]}' on sobject of type ${type}`);
      names = resolved.map(([, n]) => n!);
    }
    return {
      status: 200,
      body: { attributes: { type, url: `/services/data/${version}/sobjects/${type}/${r.fields.Id}` }, ...Object.fromEntries(names.map((n) => [n, r.fields[n] ?? null])) },
    };
  }

  /** The canonical name of a field of `type` (SOQL names are case-insensitive), or undefined. */
  private fieldName(type: SalesforceObjectType, name: string): string | undefined {
    const known = [...(type === 'Lead' ? LEAD_FIELDS : CONTACT_FIELDS)];
    for (const r of this.records.values()) if (r.type === type) for (const k of Object.keys(r.fields)) if (k.endsWith('__c')) known.push(k);
    return known.find((k) => k.toLowerCase() === name.toLowerCase());
  }
}

// ---- 15/18-character ids ----

/** The 18-character form of a Salesforce id (the 3-character case-safe suffix appended). */
export function to18(id: string): string {
  if (id.length === 18) return id.slice(0, 15) + suffix(id.slice(0, 15));
  if (id.length !== 15) return id;
  return id + suffix(id);
}

function suffix(id15: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';
  let out = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    let bits = 0;
    for (let i = 0; i < 5; i++) {
      const c = id15[chunk * 5 + i]!;
      if (c >= 'A' && c <= 'Z') bits |= 1 << i;
    }
    out += alphabet[bits];
  }
  return out;
}

function batchSize(header: string | string[] | undefined, fallback: number): number {
  const m = /batchSize=(\d+)/i.exec(typeof header === 'string' ? header : '');
  // Salesforce takes 200..2000 from the header; the fake's own default may be smaller (tests).
  return m ? Math.min(2000, Math.max(200, Number(m[1]))) : fallback;
}

const caret = (col: number) => `${' '.repeat(Math.max(0, col - 1))}^`;

// ---- a small SOQL subset ----

class SoqlError extends Error {
  constructor(readonly code: 'MALFORMED_QUERY' | 'INVALID_FIELD', message: string) {
    super(message);
  }
}

type Literal = string | number | boolean | null;
type Cond =
  | { kind: 'cmp'; field: string; col: number; op: '=' | '!=' | '<' | '>' | '<=' | '>='; value: Literal }
  | { kind: 'in'; field: string; col: number; not: boolean; values: Literal[] }
  | { kind: 'like'; field: string; col: number; pattern: string }
  | { kind: 'and' | 'or'; parts: Cond[] }
  | { kind: 'not'; part: Cond };

interface Soql {
  fields: { name: string; col: number }[];
  from: string;
  fromCol: number;
  where?: Cond;
  orderBy?: { name: string; col: number; desc: boolean };
  limit?: number;
  offset?: number;
}

interface Token {
  t: 'ident' | 'string' | 'number' | 'op' | 'punct' | 'eof';
  v: string;
  col: number;
}

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', '"': '"', "'": "'", '\\': '\\', _: '\\_', '%': '\\%' };

function tokenize(q: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const fail = (col: number, what: string) => {
    throw new SoqlError('MALFORMED_QUERY', `\n${q}\n${caret(col)}\nERROR at Row:1:Column:${col}\n${what}`);
  };
  while (i < q.length) {
    const c = q[i]!;
    const col = i + 1;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'") {
      let v = '';
      i++;
      for (;;) {
        if (i >= q.length) fail(col, 'line 1:' + col + " mismatched character '<EOF>' expecting '''");
        const ch = q[i]!;
        if (ch === '\\') {
          const e = ESCAPES[q[i + 1] ?? ''];
          if (e === undefined) fail(i + 1, `Invalid string literal '${q.slice(col - 1, i + 2)}'. Illegal character sequence '\\${q[i + 1] ?? ''}' in string literal.`);
          v += e;
          i += 2;
        } else if (ch === "'") {
          i++;
          break;
        } else {
          v += ch;
          i++;
        }
      }
      out.push({ t: 'string', v, col });
    } else if (/[A-Za-z_]/.test(c)) {
      let j = i;
      while (j < q.length && /[A-Za-z0-9_.]/.test(q[j]!)) j++;
      out.push({ t: 'ident', v: q.slice(i, j), col });
      i = j;
    } else if (/[0-9]/.test(c) || (c === '-' && /[0-9]/.test(q[i + 1] ?? ''))) {
      let j = i + 1;
      while (j < q.length && /[0-9.]/.test(q[j]!)) j++;
      out.push({ t: 'number', v: q.slice(i, j), col });
      i = j;
    } else if (q.startsWith('!=', i) || q.startsWith('<>', i) || q.startsWith('<=', i) || q.startsWith('>=', i)) {
      out.push({ t: 'op', v: q.slice(i, i + 2) === '<>' ? '!=' : q.slice(i, i + 2), col });
      i += 2;
    } else if (c === '=' || c === '<' || c === '>') {
      out.push({ t: 'op', v: c, col });
      i++;
    } else if (c === ',' || c === '(' || c === ')') {
      out.push({ t: 'punct', v: c, col });
      i++;
    } else {
      fail(col, `unexpected token: '${c}'`);
    }
  }
  out.push({ t: 'eof', v: '<EOF>', col: q.length + 1 });
  return out;
}

const KEYWORDS = new Set(['select', 'from', 'where', 'and', 'or', 'not', 'in', 'like', 'order', 'by', 'asc', 'desc', 'limit', 'offset', 'null', 'true', 'false', 'nulls', 'first', 'last']);

function parseSoql(q: string): Soql {
  const toks = tokenize(q);
  let p = 0;
  const peek = () => toks[p]!;
  const fail = (tok: Token, what = `unexpected token: ${tok.v}`): never => {
    throw new SoqlError('MALFORMED_QUERY', `\n${q}\n${caret(tok.col)}\nERROR at Row:1:Column:${tok.col}\n${what}`);
  };
  const kw = (word: string) => peek().t === 'ident' && peek().v.toLowerCase() === word;
  const expectKw = (word: string) => (kw(word) ? toks[p++]! : fail(peek()));
  const ident = () => {
    const tok = peek();
    if (tok.t !== 'ident' || KEYWORDS.has(tok.v.toLowerCase())) fail(tok);
    p++;
    return { name: tok.v, col: tok.col };
  };
  const literal = (): Literal => {
    const tok = toks[p++]!;
    if (tok.t === 'string') return tok.v;
    if (tok.t === 'number') return Number(tok.v);
    if (tok.t === 'ident' && ['null', 'true', 'false'].includes(tok.v.toLowerCase())) return tok.v.toLowerCase() === 'null' ? null : tok.v.toLowerCase() === 'true';
    return fail(tok);
  };

  expectKw('select');
  const fields = [ident()];
  while (peek().v === ',') {
    p++;
    fields.push(ident());
  }
  if (peek().v === '(') fail(peek(), 'unsupported by the fake: functions and subqueries');
  expectKw('from');
  const from = ident();

  const condition = (): Cond => {
    if (peek().v === '(' && peek().t === 'punct') {
      p++;
      const inner = expression();
      if (peek().v !== ')') fail(peek());
      p++;
      return inner;
    }
    const f = ident();
    if (kw('not') && toks[p + 1]?.v.toLowerCase() === 'in') {
      p += 2;
      return { kind: 'in', field: f.name, col: f.col, not: true, values: list() };
    }
    if (kw('in')) {
      p++;
      return { kind: 'in', field: f.name, col: f.col, not: false, values: list() };
    }
    if (kw('like')) {
      p++;
      const tok = toks[p++]!;
      if (tok.t !== 'string') fail(tok);
      return { kind: 'like', field: f.name, col: f.col, pattern: tok.v };
    }
    const op = toks[p++]!;
    if (op.t !== 'op') fail(op);
    return { kind: 'cmp', field: f.name, col: f.col, op: op.v as '=', value: literal() };
  };
  const list = (): Literal[] => {
    if (peek().v !== '(') fail(peek());
    p++;
    const values = [literal()];
    while (peek().v === ',') {
      p++;
      values.push(literal());
    }
    if (peek().v !== ')') fail(peek());
    p++;
    return values;
  };
  // SOQL wants parentheses whenever logical operators are mixed: `a AND b OR c` and `a AND NOT b`
  // are refused, `a AND (b OR c)` and `a AND (NOT b)` are fine.
  const expression = (): Cond => {
    if (kw('not')) {
      p++;
      const negated: Cond = { kind: 'not', part: condition() };
      if (kw('and') || kw('or')) fail(peek());
      return negated;
    }
    const first = condition();
    if (!kw('and') && !kw('or')) return first;
    const joiner = peek().v.toLowerCase() as 'and' | 'or';
    const parts = [first];
    while (kw('and') || kw('or')) {
      if (peek().v.toLowerCase() !== joiner) fail(peek());
      p++;
      parts.push(condition());
    }
    return { kind: joiner, parts };
  };

  const out: Soql = { fields, from: from.name, fromCol: from.col };
  if (kw('where')) {
    p++;
    out.where = expression();
  }
  if (kw('order')) {
    p++;
    expectKw('by');
    const f = ident();
    let desc = false;
    if (kw('asc') || kw('desc')) desc = toks[p++]!.v.toLowerCase() === 'desc';
    if (kw('nulls')) {
      p++;
      if (!kw('first') && !kw('last')) fail(peek());
      p++;
    }
    out.orderBy = { ...f, desc };
  }
  if (kw('limit')) {
    p++;
    const n = toks[p++]!;
    if (n.t !== 'number' || !/^\d+$/.test(n.v)) fail(n);
    out.limit = Number(n.v);
  }
  if (kw('offset')) {
    p++;
    const n = toks[p++]!;
    if (n.t !== 'number' || !/^\d+$/.test(n.v)) fail(n);
    out.offset = Number(n.v);
  }
  if (peek().t !== 'eof') fail(peek());
  return out;
}

function bindFields(c: Cond, resolve: (f: { name: string; col: number }) => string): Cond {
  switch (c.kind) {
    case 'and':
    case 'or':
      return { kind: c.kind, parts: c.parts.map((x) => bindFields(x, resolve)) };
    case 'not':
      return { kind: 'not', part: bindFields(c.part, resolve) };
    default:
      return { ...c, field: resolve({ name: c.field, col: c.col }) };
  }
}

// Text comparisons in SOQL are case-insensitive.
function same(a: unknown, b: Literal): boolean {
  if (b === null) return a === null || a === undefined;
  if (typeof a === 'string' && typeof b === 'string') return a.toLowerCase() === b.toLowerCase();
  return a === b;
}

function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  if (typeof a === 'string' && typeof b === 'string') return a.toLowerCase().localeCompare(b.toLowerCase());
  return (a as number) < (b as number) ? -1 : 1;
}

function likeRegex(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && (pattern[i + 1] === '%' || pattern[i + 1] === '_')) re += `\\${pattern[++i]}`;
    else if (c === '%') re += '.*';
    else if (c === '_') re += '.';
    else re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 'is');
}

function evaluate(c: Cond, r: Record<string, unknown>): boolean {
  switch (c.kind) {
    case 'and':
      return c.parts.every((x) => evaluate(x, r));
    case 'or':
      return c.parts.some((x) => evaluate(x, r));
    case 'not':
      return !evaluate(c.part, r);
    case 'in':
      return c.values.some((v) => same(r[c.field], v)) !== c.not;
    case 'like':
      return typeof r[c.field] === 'string' && likeRegex(c.pattern).test(r[c.field] as string);
    case 'cmp': {
      if (c.op === '=') return same(r[c.field], c.value);
      if (c.op === '!=') return !same(r[c.field], c.value);
      const d = compare(r[c.field], c.value);
      return c.op === '<' ? d < 0 : c.op === '>' ? d > 0 : c.op === '<=' ? d <= 0 : d >= 0;
    }
  }
}
