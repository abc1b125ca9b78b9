// The Azure Application Insights fakes (Entra login, query API, ARM purge) driven over HTTP.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { AzureManagementFake, seedSubject, startVendorFakes, type VendorFakes } from '../../src/demo/fakes/index.js';

let fakes: VendorFakes;
const OTHER = { clientId: '0b7e4f1c-3d2a-4c5b-8e9f-1a2b3c4d5e6f', clientSecret: 'other~secret' };

beforeAll(async () => {
  // The documented purge limit (startVendorFakes relaxes it for the e2e tests and the demo).
  fakes = await startVendorFakes({ azureLogin: { clients: [OTHER] }, azureManagement: { purgesPerHour: 50 } });
});
afterAll(() => fakes.stop());
beforeEach(() => fakes.reset());

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function call(url: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = text;
  }
  return { status: res.status, headers: res.headers, text, body };
}

const env = () => fakes.env;
const form = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});
const creds = (c = { clientId: env().APPINSIGHTS_CLIENT_ID!, clientSecret: env().APPINSIGHTS_CLIENT_SECRET! }) => ({
  grant_type: 'client_credentials',
  client_id: c.clientId,
  client_secret: c.clientSecret,
});

async function token(resource: string, c?: { clientId: string; clientSecret: string }): Promise<string> {
  const r = await call(`${env().AZURE_LOGIN_URL}/${env().APPINSIGHTS_TENANT_ID}/oauth2/token`, form({ ...creds(c), resource }));
  expect(r.status).toBe(200);
  return r.body.access_token as string;
}
const queryToken = (c?: { clientId: string; clientSecret: string }) => token('https://api.applicationinsights.io', c);
const armToken = (c?: { clientId: string; clientSecret: string }) => token('https://management.azure.com/', c);

function query(tok: string, q: string, extra: Record<string, unknown> = {}, appId = env().APPINSIGHTS_APP_ID) {
  return call(`${env().APPINSIGHTS_QUERY_URL}/v1/apps/${appId}/query`, {
    method: 'POST',
    headers: { authorization: `Bearer ${tok}`, 'content-type': 'application/json' },
    body: JSON.stringify({ query: q, ...extra }),
  });
}

function purge(tok: string, body: unknown, resourceId = env().APPINSIGHTS_RESOURCE_ID, apiVersion = '2020-08-01', base = env().AZURE_MANAGEMENT_URL) {
  const qs = apiVersion ? `?api-version=${apiVersion}` : '';
  return call(`${base}${resourceId}/purge${qs}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${tok}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

const ALL = 'union withsource=SourceTable requests, pageViews, customEvents, traces, exceptions, dependencies';

function seed() {
  const subject = seedSubject(fakes, { email: 'ana.silva@example.test', userId: 'user-42', country: 'Portugal' }).appInsights;
  const other = fakes.appInsights.store.seedSubject({ userId: 'user-7', email: 'bo@example.test', ip: '198.51.100.9' });
  return { subject, other };
}

describe('Entra login fake', () => {
  const url = (v2 = false, tenant = env().APPINSIGHTS_TENANT_ID) => `${env().AZURE_LOGIN_URL}/${tenant}/oauth2/${v2 ? 'v2.0/' : ''}token`;

  test('v1 answers strings and echoes the resource; v2 answers numbers and takes scope=<resource>/.default', async () => {
    const v1 = await call(url(), form({ ...creds(), resource: 'https://api.applicationinsights.io' }));
    expect(v1.status).toBe(200);
    expect(v1.body).toEqual({
      token_type: 'Bearer', expires_in: '3599', ext_expires_in: '3599', expires_on: expect.stringMatching(/^\d{10}$/),
      not_before: expect.stringMatching(/^\d{10}$/), resource: 'https://api.applicationinsights.io', access_token: expect.any(String),
    });
    const v2 = await call(url(true), form({ ...creds(), scope: 'https://management.azure.com//.default' }));
    expect(v2.status).toBe(200);
    expect(v2.body).toEqual({ token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: expect.any(String) });
    expect(fakes.azureLogin.issued.map((t) => [t.version, t.audience])).toEqual([['v1', 'https://api.applicationinsights.io'], ['v2', 'https://management.azure.com/']]);
  });

  test('only a form body is read: JSON leaves grant_type missing', async () => {
    const r = await call(url(), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...creds(), resource: 'https://api.applicationinsights.io' }) });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({
      error: 'invalid_request',
      error_description: expect.stringMatching(/^AADSTS900144: The request body must contain the following parameter: 'grant_type'\.\r\nTrace ID: .+\r\nCorrelation ID: .+\r\nTimestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/),
      error_codes: [900144], timestamp: expect.any(String), trace_id: expect.any(String), correlation_id: expect.any(String),
      error_uri: 'https://login.microsoftonline.com/error?code=900144',
    });
  });

  test.each([
    ['unknown tenant', false, { resource: 'https://api.applicationinsights.io' }, 'nope.onmicrosoft.com', 400, 'invalid_request', 90002],
    ['unknown client', false, { resource: 'https://api.applicationinsights.io', client_id: 'ffffffff-0000-0000-0000-000000000000' }, undefined, 400, 'unauthorized_client', 700016],
    ['wrong secret', false, { resource: 'https://api.applicationinsights.io', client_secret: 'guess' }, undefined, 401, 'invalid_client', 7000215],
    ['no secret', false, { resource: 'https://api.applicationinsights.io', client_secret: '' }, undefined, 401, 'invalid_client', 7000218],
    ['v1 without resource', false, { scope: 'https://api.applicationinsights.io/.default' }, undefined, 400, 'invalid_request', 900144],
    ['unknown resource', false, { resource: 'https://graph.example.test' }, undefined, 400, 'invalid_resource', 500011],
    ['v2 with resource', true, { resource: 'https://api.applicationinsights.io' }, undefined, 400, 'invalid_request', 901002],
    ['v2 scope without /.default', true, { scope: 'https://api.applicationinsights.io/Data.Read' }, undefined, 400, 'invalid_scope', 1002012],
    ['v2 scopes for two resources', true, { scope: 'https://api.applicationinsights.io/.default https://management.azure.com/.default' }, undefined, 400, 'invalid_scope', 70011],
    ['another grant', false, { grant_type: 'password', resource: 'https://api.applicationinsights.io' }, undefined, 400, 'unsupported_grant_type', 70003],
  ])('%s → AADSTS error', async (_name, v2, fields, tenant, status, error, code) => {
    const r = await call(url(v2, tenant ?? env().APPINSIGHTS_TENANT_ID), form({ ...creds(), ...(fields as Record<string, string>) }));
    expect([r.status, r.body.error, r.body.error_codes]).toEqual([status, error, [code]]);
    expect(r.body.error_description).toMatch(new RegExp(`^AADSTS${code}: `));
  });

  test('client_secret_basic is accepted; GET is refused', async () => {
    const basic = Buffer.from(`${env().APPINSIGHTS_CLIENT_ID}:${env().APPINSIGHTS_CLIENT_SECRET}`).toString('base64');
    const r = await call(url(true), { ...form({ grant_type: 'client_credentials', scope: 'https://api.applicationinsights.io/.default' }), headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}` } });
    expect(r.status).toBe(200);
    const g = await call(url());
    expect([g.status, g.body.error_codes]).toEqual([400, [900561]]);
  });
});

describe('tokens and audiences', () => {
  test('each API refuses the other one’s token, a missing one and an expired one', async () => {
    const ai = await queryToken();
    const arm = await armToken();
    const q = await query(arm, 'requests | take 1');
    expect([q.status, q.body.error.code, q.body.error.message]).toEqual([403, 'InvalidTokenError', 'The provided authentication is not valid for this resource']);
    const p = await purge(ai, { table: 'AppRequests', filters: [{ column: 'UserId', operator: '==', value: 'x' }] });
    expect([p.status, p.body.error.code]).toEqual([401, 'InvalidAuthenticationTokenAudience']);
    expect(p.body.error.message).toContain("wrong audience or resource 'https://api.applicationinsights.io'");
    expect(p.headers.get('www-authenticate')).toMatch(/^Bearer /);

    const noAuthQ = await call(`${env().APPINSIGHTS_QUERY_URL}/v1/apps/${env().APPINSIGHTS_APP_ID}/query?query=requests`);
    expect([noAuthQ.status, noAuthQ.body.error.code]).toEqual([401, 'AuthorizationRequiredError']);
    const noAuthP = await call(`${env().AZURE_MANAGEMENT_URL}${env().APPINSIGHTS_RESOURCE_ID}/purge?api-version=2020-08-01`, { method: 'POST' });
    expect([noAuthP.status, noAuthP.body.error.code]).toEqual([401, 'AuthenticationFailed']);

    fakes.azureLogin.expireTokens();
    expect((await query(ai, 'requests | take 1')).status).toBe(403);
    expect((await purge(arm, { table: 'AppRequests', filters: [{ column: 'UserId', operator: '==', value: 'x' }] })).body.error.code).toBe('InvalidAuthenticationToken');
    // No purge was recorded for any refused call.
    expect(fakes.azureManagement.purges).toHaveLength(0);
  });

  test('a v2 token for ARM without the trailing slash is accepted by ARM', async () => {
    const r = await call(`${env().AZURE_LOGIN_URL}/${env().APPINSIGHTS_TENANT_ID}/oauth2/v2.0/token`, form({ ...creds(), scope: 'https://management.azure.com/.default' }));
    const p = await purge(r.body.access_token, { table: 'AppRequests', filters: [{ column: 'UserId', operator: '==', value: 'x' }] });
    expect(p.status).toBe(202);
  });
});

describe('query API fake', () => {
  test('finds the subject across tables by id, custom dimension and message text, with the API’s types', async () => {
    const { subject } = seed();
    const tok = await queryToken();
    const r = await query(tok, `${ALL}
      | where user_AuthenticatedId == "user-42" or customDimensions.email =~ 'ANA.SILVA@example.test' or message has "ana.silva@example.test"
      | project SourceTable, timestamp, user_Id, user_AuthenticatedId, client_IP, client_City, client_Browser, client_OS, client_Type, customDimensions, duration, severityLevel
      | order by timestamp asc`);
    expect(r.status).toBe(200);
    expect(r.headers.get('x-ms-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const t = r.body.tables[0];
    expect(t.name).toBe('PrimaryResult');
    expect(t.columns).toEqual([
      { name: 'SourceTable', type: 'string' }, { name: 'timestamp', type: 'datetime' }, { name: 'user_Id', type: 'string' },
      { name: 'user_AuthenticatedId', type: 'string' }, { name: 'client_IP', type: 'string' }, { name: 'client_City', type: 'string' },
      { name: 'client_Browser', type: 'string' }, { name: 'client_OS', type: 'string' }, { name: 'client_Type', type: 'string' },
      { name: 'customDimensions', type: 'dynamic' }, { name: 'duration', type: 'real' }, { name: 'severityLevel', type: 'int' },
    ]);
    expect(t.rows).toHaveLength(8);
    expect(t.rows.map((row: unknown[]) => row[0])).toEqual(['requests', 'requests', 'pageViews', 'customEvents', 'traces', 'traces', 'exceptions', 'dependencies']);
    const first = t.rows[0];
    expect(first[1]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(first.slice(2, 9)).toEqual([subject.anonymousId, 'user-42', '203.0.113.7', 'Lisbon', 'Firefox 128.0', 'Linux', 'PC']);
    // Dynamic columns travel as JSON text.
    expect(typeof first[9]).toBe('string');
    expect(JSON.parse(first[9])).toEqual({ email: 'ana.silva@example.test', userCreatedAt: expect.any(String) });
    expect(first[10]).toBe(42.5);
    // The trace that names the subject only in its message has no user columns.
    const bare = t.rows.find((row: unknown[]) => row[0] === 'traces' && row[3] === null);
    expect(bare[4]).toBe('0.0.0.0');
  });

  test('GET with query and timespan; the timespan bounds timestamp on top of the query', async () => {
    seed();
    fakes.appInsights.store.add('requests', { timestamp: new Date(Date.now() - 10 * 86_400_000), user_AuthenticatedId: 'user-42', name: 'old' });
    const tok = await queryToken();
    const get = (ts?: string) => call(
      `${env().APPINSIGHTS_QUERY_URL}/v1/apps/${env().APPINSIGHTS_APP_ID}/query?query=${encodeURIComponent('requests | where user_AuthenticatedId == "user-42" | project name')}${ts ? `&timespan=${ts}` : ''}`,
      { headers: { authorization: `Bearer ${tok}` } },
    );
    expect((await get()).body.tables[0].rows).toHaveLength(3);
    expect((await get('P7D')).body.tables[0].rows.map((r: string[]) => r[0])).toEqual(['GET /api/projects', 'POST /api/comments']);
    expect((await get('PT1M')).body.tables[0].rows).toEqual([]);
    const from = new Date(Date.now() - 11 * 86_400_000).toISOString();
    const to = new Date(Date.now() - 9 * 86_400_000).toISOString();
    expect((await get(`${from}/${to}`)).body.tables[0].rows).toEqual([['old']]);
    const bad = await get('seven-days');
    expect([bad.status, bad.body.error.code]).toEqual([400, 'BadArgumentError']);
    // ago() in the query does the same.
    const ago = await query(tok, 'requests | where timestamp > ago(7d) and user_AuthenticatedId == "user-42" | summarize count()');
    expect(ago.body.tables[0]).toEqual({ name: 'PrimaryResult', columns: [{ name: 'count_', type: 'long' }], rows: [[2]] });
  });

  test('summarize, order, take/limit, extend, project renames, in/in~/!in, contains, isnotempty, not(), tostring()', async () => {
    seed();
    const tok = await queryToken();
    const rows = async (q: string) => {
      const r = await query(tok, q);
      expect(r.status).toBe(200);
      return r.body.tables[0];
    };
    const byType = await rows(`${ALL} | where isnotempty(user_AuthenticatedId) | summarize n = count() by itemType, user_AuthenticatedId | order by n desc, itemType asc`);
    expect(byType.columns).toEqual([{ name: 'itemType', type: 'string' }, { name: 'user_AuthenticatedId', type: 'string' }, { name: 'n', type: 'long' }]);
    expect(byType.rows.slice(0, 2)).toEqual([['request', 'user-42', 2], ['request', 'user-7', 2]]);
    expect(byType.rows).toHaveLength(12);

    const ext = await rows(`customEvents | extend email = tostring(customDimensions["email"]) | where email in~ ("ANA.SILVA@EXAMPLE.TEST") | project email, who = user_AuthenticatedId, customDimensions.projectId`);
    expect(ext).toEqual({
      name: 'PrimaryResult',
      columns: [{ name: 'email', type: 'string' }, { name: 'who', type: 'string' }, { name: 'customDimensions_projectId', type: 'dynamic' }],
      rows: [['ana.silva@example.test', 'user-42', 'p-1']],
    });
    expect((await rows(`requests | where user_AuthenticatedId in ("user-42", "user-7") | take 3`)).rows).toHaveLength(3);
    expect((await rows(`requests | where user_AuthenticatedId !in ("user-42") | limit 10 | project user_AuthenticatedId`)).rows).toEqual([['user-7'], ['user-7']]);
    expect((await rows(`traces | where message contains "RESET MAIL" | project message`)).rows).toEqual([['Password reset mail queued for ana.silva@example.test'], ['Password reset mail queued for bo@example.test']]);
    // has matches whole terms only; contains matches inside them.
    expect((await rows(`traces | where message has "queu" | project message`)).rows).toEqual([]);
    expect((await rows(`traces | where not(message has "ana.silva@example.test") and (severityLevel == 1) | summarize count()`)).rows).toEqual([[3]]);
    expect((await rows(`requests | where user_AuthenticatedId == 'user-42' and name == "POST /api/comments" | project resultCode, success, duration`)).rows).toEqual([['500', 'False', 812]]);
    expect((await rows(`requests | where user_AuthenticatedId == "USER-42" | summarize count()`)).rows).toEqual([[0]]);
    expect((await rows(`requests | where user_AuthenticatedId =~ "USER-42" | summarize count()`)).rows).toEqual([[2]]);
    expect((await rows(`requests | where user_AuthenticatedId != "user-42" and customDimensions.email !~ "x" | summarize count()`)).rows).toEqual([[2]]);
    expect((await rows(`traces | where message == "it's \\"quoted\\"" or message == 'it\\'s' | summarize count()`)).rows).toEqual([[0]]);
  });

  test('refuses what it cannot resolve or parse, with the API’s 400 bodies', async () => {
    const tok = await queryToken();
    const unknownTable = await query(tok, 'AppRequests | where UserId == "x"');
    expect(unknownTable.status).toBe(400);
    expect(unknownTable.body.error).toEqual({
      message: 'The request had some invalid properties', code: 'BadArgumentError', correlationId: expect.any(String),
      innererror: {
        code: 'SemanticError', message: 'A semantic error occurred.',
        innererror: { code: 'SEM0100', message: "'where' operator: Failed to resolve table or column expression named 'AppRequests'" },
      },
    });
    const unknownUnion = await query(tok, 'union requests, customMetrics');
    expect(unknownUnion.body.error.innererror.innererror.message).toBe("'union' operator: Failed to resolve table or column expression named 'customMetrics'");
    const unknownColumn = await query(tok, 'requests | where UserId == "x"');
    expect(unknownColumn.body.error.innererror.innererror.message).toBe("'where' operator: Failed to resolve scalar expression named 'UserId'");
    const badCompare = await query(tok, 'requests | where timestamp > "2024-01-01"');
    expect(badCompare.body.error.innererror.code).toBe('SemanticError');

    const join = await query(tok, 'requests\n| join (traces) on operation_Id');
    expect(join.status).toBe(400);
    expect(join.body.error.innererror).toEqual({
      code: 'SyntaxError', message: 'A recognition error occurred in the query.',
      innererror: { code: 'SYN0002', message: "Query could not be parsed at 'join' on line [2,2]", line: 2, pos: 2, token: 'join' },
    });
    for (const q of ['search "ana"', 'requests | project-away client_IP', 'requests | where name == "open', 'requests | where name matches regex "x"', 'union kind=inner requests, traces']) {
      const r = await query(tok, q);
      expect([q, r.status, r.body.error.innererror.code]).toEqual([q, 400, 'SyntaxError']);
    }
    const noQuery = await query(tok, '   ');
    expect([noQuery.status, noQuery.body.error.code]).toEqual([400, 'BadArgumentError']);
  });

  test('wrong appId, missing Reader role, wrong path; a POST without JSON content type answers an empty 200', async () => {
    seed();
    const tok = await queryToken();
    const wrongApp = await query(tok, 'requests', {}, '00000000-0000-0000-0000-000000000000');
    expect([wrongApp.status, wrongApp.body.error.code]).toEqual([404, 'ApplicationNotFoundError']);
    const notReader = await query(await queryToken(OTHER), 'requests');
    expect([notReader.status, notReader.body.error.code]).toEqual([403, 'InsufficientAccessError']);
    const path = await call(`${env().APPINSIGHTS_QUERY_URL}/v1/apps/${env().APPINSIGHTS_APP_ID}/events/requests`, { headers: { authorization: `Bearer ${tok}` } });
    expect([path.status, path.body.error.code]).toEqual([404, 'PathNotFoundError']);
    const plain = await call(`${env().APPINSIGHTS_QUERY_URL}/v1/apps/${env().APPINSIGHTS_APP_ID}/query`, {
      method: 'POST', headers: { authorization: `Bearer ${tok}`, 'content-type': 'text/plain' }, body: JSON.stringify({ query: 'requests' }),
    });
    expect([plain.status, plain.text]).toEqual([200, '']);
  });

  test('workspace tables and numbers-as-strings are opt-in', async () => {
    seed();
    const tok = await queryToken();
    fakes.appInsights.workspaceTables = true;
    fakes.appInsights.numbersAsStrings = true;
    const r = await query(tok, 'AppRequests | where UserAuthenticatedId == "user-42" | project Success, DurationMs, Properties, _ResourceId | order by DurationMs asc');
    expect(r.body.tables[0].columns.map((c: { type: string }) => c.type)).toEqual(['bool', 'real', 'dynamic', 'string']);
    expect(r.body.tables[0].rows.map((row: unknown[]) => row.slice(0, 2))).toEqual([[true, '42.5'], [false, '812']]);
    expect(r.body.tables[0].rows[0][3]).toBe(fakes.appInsights.store.componentResourceId);
    fakes.appInsights.workspaceTables = false;
    fakes.appInsights.numbersAsStrings = false;
  });
});

describe('ARM purge fake', () => {
  const countFor = async (tok: string, userId: string) => {
    const r = await query(tok, `${ALL} | where user_AuthenticatedId == "${userId}" | summarize count() by SourceTable | order by SourceTable asc`);
    return Object.fromEntries(r.body.tables[0].rows as [string, number][]);
  };

  test('workspace purge: 202 with a status location; pending until completed; only then the rows are gone', async () => {
    seed();
    const arm = await armToken();
    const ai = await queryToken();
    const before = await countFor(ai, 'user-42');
    expect(before).toEqual({ customEvents: 1, dependencies: 1, exceptions: 1, pageViews: 1, requests: 2, traces: 1 });

    const p = await purge(arm, { table: 'AppRequests', filters: [{ column: 'UserAuthenticatedId', operator: 'in', value: ['user-42', 'nobody'] }] });
    expect(p.status).toBe(202);
    expect(p.body).toEqual({ operationId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    const location = p.headers.get('x-ms-status-location')!;
    expect(location).toBe(`${env().AZURE_MANAGEMENT_URL}${env().APPINSIGHTS_RESOURCE_ID}/operations/purge-${p.body.operationId}?api-version=2020-08-01`);

    const status = () => call(location, { headers: { authorization: `Bearer ${arm}` } });
    expect((await status()).body).toEqual({ status: 'pending' });
    expect(await countFor(ai, 'user-42')).toEqual(before);

    const p2 = await purge(arm, { table: 'AppTraces', filters: [{ column: 'Properties', key: 'email', operator: '==', value: 'ana.silva@example.test' }] });
    expect(p2.status).toBe(202);
    expect(fakes.azureManagement.purges.map((x) => [x.kind, x.table, x.filters])).toEqual([
      ['workspace', 'AppRequests', [{ column: 'UserAuthenticatedId', operator: 'in', value: ['user-42', 'nobody'] }]],
      ['workspace', 'AppTraces', [{ column: 'Properties', key: 'email', operator: '==', value: 'ana.silva@example.test' }]],
    ]);

    const done = fakes.azureManagement.completePurges();
    expect(done.map((x) => x.removed)).toEqual([2, 1]);
    expect((await status()).body).toEqual({ status: 'completed' });
    expect(await countFor(ai, 'user-42')).toEqual({ customEvents: 1, dependencies: 1, exceptions: 1, pageViews: 1 });
    // The other user is untouched, and so is the trace naming the subject only in its text.
    expect(await countFor(ai, 'user-7')).toEqual({ customEvents: 1, dependencies: 1, exceptions: 1, pageViews: 1, requests: 2, traces: 1 });
    expect(fakes.appInsights.store.find((r) => String(r.message ?? '').includes('ana.silva@example.test'))).toHaveLength(1);
    // The bare operationId is not a status path.
    const bare = await call(`${env().AZURE_MANAGEMENT_URL}${env().APPINSIGHTS_RESOURCE_ID}/operations/${p.body.operationId}?api-version=2020-08-01`, { headers: { authorization: `Bearer ${arm}` } });
    expect(bare.status).toBe(404);
  });

  test('classic component purge takes classic names and its own api-versions', async () => {
    seed();
    const componentId = fakes.appInsights.store.componentResourceId;
    const component = await new AzureManagementFake({
      store: fakes.appInsights.store, tokens: fakes.azureLogin.tokens, resources: [componentId], purgers: [env().APPINSIGHTS_CLIENT_ID!],
    }).start();
    try {
      const arm = await armToken();
      const wsName = await purge(arm, { table: 'AppRequests', filters: [{ column: 'UserId', operator: '==', value: 'x' }] }, componentId, '2020-02-02', component.url);
      expect([wsName.status, wsName.body.error.code]).toEqual([400, 'BadRequest']);
      const wrongVersion = await purge(arm, { table: 'requests', filters: [{ column: 'user_Id', operator: '==', value: 'x' }] }, componentId, '2020-08-01', component.url);
      expect([wrongVersion.status, wrongVersion.body.error.code]).toEqual([400, 'NoRegisteredProviderFound']);
      const ok = await purge(arm, { table: 'exceptions', filters: [{ column: 'user_AuthenticatedId', operator: '=~', value: 'USER-42' }, { column: 'timestamp', operator: '>', value: '2000-01-01T00:00:00' }] }, componentId, '2015-05-01', component.url);
      expect(ok.status).toBe(202);
      expect(ok.headers.get('x-ms-status-location')).toContain(`${componentId}/operations/purge-${ok.body.operationId}?api-version=2015-05-01`);
      expect(component.completePurges().map((x) => x.removed)).toEqual([1]);
      expect(fakes.appInsights.store.find((r, t) => t === 'exceptions' && r.user_AuthenticatedId === 'user-42')).toHaveLength(0);
    } finally {
      await component.stop();
    }
  });

  test.each([
    ['a classic table name on a workspace', { table: 'requests', filters: [{ column: 'user_Id', operator: '==', value: 'x' }] }, 'BadRequest'],
    ['an unknown column', { table: 'AppRequests', filters: [{ column: 'user_AuthenticatedId', operator: '==', value: 'x' }] }, 'BadRequest'],
    ['an unsupported operator', { table: 'AppRequests', filters: [{ column: 'UserId', operator: 'has', value: 'x' }] }, 'BadRequest'],
    ['in without an array', { table: 'AppRequests', filters: [{ column: 'UserId', operator: 'in', value: 'x' }] }, 'BadRequest'],
    ['between with one value', { table: 'AppRequests', filters: [{ column: 'TimeGenerated', operator: 'between', value: ['2024-01-01'] }] }, 'BadRequest'],
    ['a custom dimension without key', { table: 'AppRequests', filters: [{ column: 'Properties', operator: '==', value: 'x' }] }, 'BadRequest'],
    ['no filters', { table: 'AppRequests', filters: [] }, 'BadRequest'],
    ['no table', { filters: [{ column: 'UserId', operator: '==', value: 'x' }] }, 'BadRequest'],
    ['a body that is not an object', ['AppRequests'], 'InvalidRequestContent'],
  ])('refuses %s', async (_name, body, code) => {
    const r = await purge(await armToken(), body);
    expect([r.status, r.body.error.code]).toEqual([400, code]);
    expect(typeof r.body.error.message).toBe('string');
    expect(fakes.azureManagement.purges).toHaveLength(0);
  });

  test('api-version, resource, content type and the Data Purger role are checked', async () => {
    const arm = await armToken();
    const body = { table: 'AppRequests', filters: [{ column: 'UserId', operator: '==', value: 'x' }] };
    expect((await purge(arm, body, undefined, '')).body.error.code).toBe('MissingApiVersionParameter');
    expect((await purge(arm, body, undefined, '2015-05-01')).body.error.code).toBe('NoRegisteredProviderFound');
    const missing = await purge(arm, body, env().APPINSIGHTS_RESOURCE_ID!.replace('product-logs', 'other-logs'));
    expect([missing.status, missing.body.error.code]).toEqual([404, 'ResourceNotFound']);
    // ARM paths are case-insensitive.
    expect((await purge(arm, body, env().APPINSIGHTS_RESOURCE_ID!.toLowerCase())).status).toBe(202);
    const text = await call(`${env().AZURE_MANAGEMENT_URL}${env().APPINSIGHTS_RESOURCE_ID}/purge?api-version=2020-08-01`, {
      method: 'POST', headers: { authorization: `Bearer ${arm}`, 'content-type': 'text/plain' }, body: JSON.stringify(body),
    });
    expect([text.status, text.body.error.code]).toEqual([415, 'UnsupportedMediaType']);
    const notPurger = await purge(await armToken(OTHER), body);
    expect([notPurger.status, notPurger.body.error.code]).toEqual([403, 'AuthorizationFailed']);
    expect(notPurger.body.error.message).toContain(`The client '${OTHER.clientId}'`);
    expect(notPurger.body.error.message).toContain("perform action 'Microsoft.OperationalInsights/workspaces/purge/action'");
    expect(fakes.azureManagement.purges).toHaveLength(1);
  });

  test('50 purge requests per hour, then ARM’s 429 with Retry-After', async () => {
    const arm = await armToken();
    const body = { table: 'AppRequests', filters: [{ column: 'UserId', operator: '==', value: 'x' }] };
    for (let i = 0; i < 50; i++) expect((await purge(arm, body)).status).toBe(202);
    const limited = await purge(arm, body);
    expect([limited.status, limited.body.error.code]).toEqual([429, 'TooManyRequests']);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(3000);
    expect(fakes.azureManagement.purges).toHaveLength(50);
    // Status reads are not purges and are not throttled with them.
    const status = await call(`${env().AZURE_MANAGEMENT_URL}${env().APPINSIGHTS_RESOURCE_ID}/operations/${fakes.azureManagement.purges[0]!.purgeId}?api-version=2020-08-01`, { headers: { authorization: `Bearer ${arm}` } });
    expect(status.body).toEqual({ status: 'pending' });
    // reset() restores the hourly allowance (and keeps the limit).
    fakes.reset();
    expect((await purge(await armToken(), body)).status).toBe(202);
  });
});

describe('wiring', () => {
  test('env carries the Azure settings; seedSubject seeds Application Insights telemetry', () => {
    const names = Object.keys(fakes.env).filter((k) => /^(APPINSIGHTS|AZURE)_/.test(k)).sort();
    expect(names).toEqual([
      'APPINSIGHTS_APP_ID', 'APPINSIGHTS_CLIENT_ID', 'APPINSIGHTS_CLIENT_SECRET', 'APPINSIGHTS_PURGE_BATCH_SECONDS', 'APPINSIGHTS_QUERY_URL', 'APPINSIGHTS_RESOURCE_ID',
      'APPINSIGHTS_TENANT_ID', 'AZURE_LOGIN_URL', 'AZURE_MANAGEMENT_URL',
    ]);
    expect(fakes.env.APPINSIGHTS_RESOURCE_ID).toMatch(/\/providers\/Microsoft\.OperationalInsights\/workspaces\/[^/]+$/);
    const seeded = seed().subject;
    expect(Object.fromEntries(Object.entries(seeded.rows).map(([t, r]) => [t, r.length]))).toEqual({
      requests: 2, pageViews: 1, customEvents: 1, traces: 2, exceptions: 1, dependencies: 1,
    });
    expect(fakes.appInsights.store.count()).toBe(16);
  });
});
