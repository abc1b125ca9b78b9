// The OpenAPI call validator (test/support/openapi.ts): valid calls to every documented operation
// pass, with the fakes' answers matching the documented response schemas; each kind of wrong call
// is reported, so the validator can fail.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { startVendorFakes, type VendorFakes } from '../../src/demo/fakes/index.js';
import { ALLOWED_UNDOCUMENTED, assertVendorCallsValid, vendorCallViolations } from '../support/openapi.js';

let fakes: VendorFakes;
beforeAll(async () => {
  fakes = await startVendorFakes();
});
afterAll(() => fakes.stop());
beforeEach(() => fakes.reset());

async function call(url: string, init: RequestInit = {}) {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

async function auth0Token(): Promise<string> {
  const r = await call(`${fakes.auth0.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: fakes.auth0.clientId, client_secret: fakes.auth0.clientSecret, audience: fakes.auth0.audience }).toString(),
  });
  expect(r.status).toBe(200);
  return r.body.access_token as string;
}

const icHeaders = () => ({ authorization: `Bearer ${fakes.intercom.accessToken}`, 'intercom-version': '2.14', 'content-type': 'application/json' });
const sgHeaders = () => ({ authorization: `Bearer ${fakes.sendgrid.apiKey}`, 'content-type': 'application/json' });

describe('valid calls pass, and the fakes answer as documented', () => {
  test('Auth0: token (form and JSON), users-by-email, user, logs, v3 search, delete, 404, 429', async () => {
    const db = fakes.auth0.addUser({ user_id: 'auth0|v-1', email: 'val@example.com', name: 'Val' }, [{ date: '2026-01-01T00:00:00.000Z', type: 's', ip: '203.0.113.7' }]);
    fakes.auth0.addUser({ user_id: 'google-oauth2|77', email: 'Val@Example.com' });
    const token = await auth0Token();
    const json = await call(`${fakes.auth0.url}/oauth/token`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials', client_id: fakes.auth0.clientId, client_secret: fakes.auth0.clientSecret, audience: fakes.auth0.audience }),
    });
    expect(json.body.token_type).toBe('Bearer');
    const h = { authorization: `Bearer ${token}` };
    const api = fakes.auth0.url + '/api/v2';
    expect((await call(`${api}/users-by-email?email=val%40example.com&fields=user_id,email&include_fields=true`, { headers: h })).body).toEqual([{ user_id: db.user_id, email: 'val@example.com' }]);
    expect((await call(`${api}/users/${encodeURIComponent(db.user_id)}`, { headers: h })).status).toBe(200);
    expect((await call(`${api}/users/auth0%7Cghost`, { headers: h })).status).toBe(404);
    expect((await call(`${api}/users/${encodeURIComponent(db.user_id)}/logs?page=0&per_page=100&sort=date:-1&include_totals=true`, { headers: h })).body.total).toBe(1);
    expect((await call(`${api}/users/${encodeURIComponent(db.user_id)}/logs`, { headers: h })).body).toHaveLength(1);
    const search = await call(`${api}/users?q=${encodeURIComponent('email:"val@example.com"')}&search_engine=v3&page=0&per_page=50&include_totals=true`, { headers: h });
    expect(search.body.total).toBe(2);
    expect((await call(`${api}/users/${encodeURIComponent(db.user_id)}`, { method: 'DELETE', headers: h })).status).toBe(204);
    fakes.auth0.rateLimitNext(1);
    expect((await call(`${api}/users-by-email?email=val%40example.com`, { headers: h })).status).toBe(429);
    expect(vendorCallViolations(fakes.auth0)).toEqual([]);
    expect(fakes.auth0.calls.length).toBe(10);
  });

  test('Intercom: every documented operation, the allow-listed conversation read, 404 and 429', async () => {
    const c = fakes.intercom.addContact({ role: 'user', email: 'val@example.com', external_id: 'u-1', name: 'Val', location: { country: 'Portugal' } });
    fakes.intercom.addNote(c.id, { body: '<p>note</p>' });
    fakes.intercom.addTag(c.id, 'VIP');
    fakes.intercom.addCompany(c.id, { name: 'Acme' });
    const conv = fakes.intercom.addConversation({ contactIds: [c.id], body: '<p>hi</p>', parts: [{ body: '<p>hello</p>' }], rating: { rating: 4 } });
    const u = fakes.intercom.url;
    const h = icHeaders();
    const found = await call(`${u}/contacts/search`, { method: 'POST', headers: h, body: JSON.stringify({ query: { operator: 'OR', value: [{ field: 'email', operator: '=', value: 'val@example.com' }, { field: 'external_id', operator: '=', value: 'u-1' }] }, pagination: { per_page: 50 } }) });
    expect(found.body.total_count).toBe(1);
    for (const sub of ['', '/notes', '/tags', '/companies']) expect((await call(`${u}/contacts/${c.id}${sub}`, { headers: h })).status).toBe(200);
    const convs = await call(`${u}/conversations/search`, { method: 'POST', headers: h, body: JSON.stringify({ query: { field: 'contact_ids', operator: '=', value: c.id } }) });
    expect(convs.body.conversations.map((x: { id: string }) => x.id)).toEqual([conv.id]);
    expect((await call(`${u}/conversations/${conv.id}`, { headers: { authorization: h.authorization, 'intercom-version': '2.14' } })).body.conversation_parts.total_count).toBe(1);
    expect((await call(`${u}/contacts/${c.id}`, { method: 'DELETE', headers: h })).body.deleted).toBe(true);
    expect((await call(`${u}/contacts/${c.id}`, { method: 'DELETE', headers: h })).status).toBe(404);
    fakes.intercom.rateLimitNext(1);
    expect((await call(`${u}/contacts/${c.id}`, { headers: h })).status).toBe(429);
    expect(vendorCallViolations(fakes.intercom)).toEqual([]);
  });

  test('SendGrid: contacts, delete job, erasure (202 and 429), every suppression read and delete', async () => {
    const c = fakes.sendgrid.addContact({ email: 'val@example.com', first_name: 'Val' });
    fakes.sendgrid.addSuppressions('val@example.com', { global: true, groups: [{ id: 101 }], bounces: [{ created: 1, reason: 'r', status: '5.1.1' }], blocks: [{ created: 1, reason: 'r', status: '4.0.0' }], spam_reports: [{ created: 1, ip: '10.0.0.1' }], invalid_emails: [{ created: 1, reason: 'bad' }] });
    const u = fakes.sendgrid.url;
    const h = sgHeaders();
    expect((await call(`${u}/v3/marketing/contacts/search/emails`, { method: 'POST', headers: h, body: JSON.stringify({ emails: ['Val@Example.com'] }) })).status).toBe(200);
    expect((await call(`${u}/v3/marketing/contacts/search/emails`, { method: 'POST', headers: h, body: JSON.stringify({ emails: ['nobody@example.com'] }) })).status).toBe(404);
    expect((await call(`${u}/v3/marketing/contacts/search`, { method: 'POST', headers: h, body: JSON.stringify({ query: "email = 'val@example.com'" }) })).body.contact_count).toBe(1);
    expect((await call(`${u}/v3/marketing/contacts/${c.id}`, { headers: { authorization: h.authorization } })).status).toBe(200);
    const e = encodeURIComponent('val@example.com');
    for (const p of [`asm/suppressions/global/${e}`, `asm/suppressions/${e}`, `suppression/bounces/${e}`, `suppression/blocks/${e}`, `suppression/spam_reports/${e}`, `suppression/invalid_emails/${e}`]) {
      expect((await call(`${u}/v3/${p}`, { headers: { authorization: h.authorization } })).status).toBe(200);
    }
    for (const p of [`asm/suppressions/global/${e}`, `asm/groups/101/suppressions/${e}`, `suppression/bounces/${e}`, `suppression/blocks/${e}`, `suppression/spam_reports/${e}`, `suppression/invalid_emails/${e}`]) {
      expect((await call(`${u}/v3/${p}`, { method: 'DELETE', headers: { authorization: h.authorization } })).status).toBe(204);
    }
    expect((await call(`${u}/v3/asm/suppressions/global/${e}`, { headers: { authorization: h.authorization } })).body).toEqual({});
    const del = await call(`${u}/v3/marketing/contacts?ids=${c.id}`, { method: 'DELETE', headers: { authorization: h.authorization } });
    expect(del.status).toBe(202);
    expect((await call(`${u}/v3/marketing/contacts/imports/${del.body.job_id}`, { headers: { authorization: h.authorization } })).body.status).toBe('completed');
    expect((await call(`${u}/v3/recipients/erasejob`, { method: 'POST', headers: h, body: JSON.stringify({ email_addresses: ['val@example.com'] }) })).status).toBe(202);
    fakes.sendgrid.rateLimitNext(1, 30);
    const limited = await call(`${u}/v3/recipients/erasejob`, { method: 'POST', headers: h, body: JSON.stringify({ email_addresses: ['val@example.com'] }) });
    expect([limited.status, limited.headers.get('x-envoy-ratelimited')]).toEqual([429, 'true']);
    expect(vendorCallViolations(fakes.sendgrid)).toEqual([]);
    expect(() => assertVendorCallsValid(fakes)).not.toThrow();
  });

  test('every allow-listed operation names its vendors.md citation', () => {
    expect(ALLOWED_UNDOCUMENTED.map((a) => `${a.vendor} ${a.method.toUpperCase()} ${a.path}`)).toEqual(['auth0 GET /users', 'intercom GET /conversations/{conversation_id}']);
    for (const a of ALLOWED_UNDOCUMENTED) expect(a.citation).toMatch(/vendors\.md §\d/);
  });
});

describe('wrong calls are reported', () => {
  test('a missing required query parameter (Auth0 users-by-email without email)', async () => {
    const token = await auth0Token();
    await call(`${fakes.auth0.url}/api/v2/users-by-email`, { headers: { authorization: `Bearer ${token}` } });
    expect(vendorCallViolations(fakes.auth0)).toEqual(['auth0 #2 GET /api/v2/users-by-email: get_users-by-email: missing required query parameter email']);
  });

  test('a wrong body shape (SendGrid search/emails with a string; erasure with no address)', async () => {
    const u = fakes.sendgrid.url;
    await call(`${u}/v3/marketing/contacts/search/emails`, { method: 'POST', headers: sgHeaders(), body: JSON.stringify({ emails: 'a@example.com' }) });
    await call(`${u}/v3/recipients/erasejob`, { method: 'POST', headers: sgHeaders(), body: JSON.stringify({ email_addresses: [] }) });
    const v = vendorCallViolations(fakes.sendgrid);
    expect(v).toHaveLength(2);
    expect(v[0]).toMatch(/^sendgrid #1 POST \/v3\/marketing\/contacts\/search\/emails: ListContactByEmail: request body does not match the schema: \/emails must be array/);
    expect(v[1]).toMatch(/EraseRecipientEmailData: request body does not match the schema: \/email_addresses must NOT have fewer than 1 items/);
  });

  test('a wrong content type (Intercom search as form data; Auth0 token as text)', async () => {
    await call(`${fakes.intercom.url}/contacts/search`, { method: 'POST', headers: { ...icHeaders(), 'content-type': 'application/x-www-form-urlencoded' }, body: 'query=x' });
    await call(`${fakes.auth0.url}/oauth/token`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'grant_type=client_credentials' });
    expect(vendorCallViolations(fakes.intercom)).toEqual([
      'intercom #1 POST /contacts/search: SearchContacts: request content type application/x-www-form-urlencoded is not documented (documented: application/json)',
    ]);
    expect(vendorCallViolations(fakes.auth0)).toEqual([
      'auth0 #1 POST /oauth/token: exchangeToken: request content type text/plain is not documented (documented: application/x-www-form-urlencoded, application/json)',
    ]);
  });

  test('an unknown operation, an undocumented method and an undocumented query parameter', async () => {
    const token = await auth0Token();
    await call(`${fakes.auth0.url}/api/v2/users/auth0%7Cx/roles`, { headers: { authorization: `Bearer ${token}` } });
    await call(`${fakes.auth0.url}/api/v2/users/auth0%7Cx`, { method: 'PATCH', headers: { authorization: `Bearer ${token}` } });
    await call(`${fakes.auth0.url}/api/v2/users-by-email?email=a%40b.co&search_engine=v3`, { headers: { authorization: `Bearer ${token}` } });
    await call(`${fakes.intercom.url}/contacts/x/segments`, { headers: icHeaders() });
    expect(vendorCallViolations(fakes.auth0)).toEqual([
      'auth0 #2 GET /api/v2/users/auth0%7Cx/roles: no documented operation for GET /api/v2/users/auth0%7Cx/roles (and not on the allow-list)',
      'auth0 #3 PATCH /api/v2/users/auth0%7Cx: PATCH is not a documented method of /api/v2/users/auth0%7Cx (documented: GET, DELETE)',
      'auth0 #4 GET /api/v2/users-by-email: get_users-by-email: query parameter search_engine is not documented for this operation',
    ]);
    expect(vendorCallViolations(fakes.intercom)).toEqual(['intercom #1 GET /contacts/x/segments: no documented operation for GET /contacts/x/segments (and not on the allow-list)']);
  });

  test('a missing Intercom-Version (project rule) and a version outside the enum', async () => {
    const c = fakes.intercom.addContact({ role: 'user', email: 'a@example.com' });
    await call(`${fakes.intercom.url}/contacts/${c.id}`, { headers: { authorization: `Bearer ${fakes.intercom.accessToken}` } });
    await call(`${fakes.intercom.url}/contacts/${c.id}`, { headers: { authorization: `Bearer ${fakes.intercom.accessToken}`, 'intercom-version': '2.99' } });
    const v = vendorCallViolations(fakes.intercom);
    expect(v).toHaveLength(2);
    expect(v[0]).toMatch(/^intercom #1 GET \/contacts\/.+: ShowContact: missing header intercom-version \(project rule: /);
    expect(v[1]).toMatch(/^intercom #2 GET \/contacts\/.+: ShowContact: header parameter Intercom-Version: .*must be equal to one of the allowed values/);
  });

  test('missing credentials, a repeated single-valued parameter, a body where none is taken', async () => {
    await call(`${fakes.sendgrid.url}/v3/suppression/bounces/a%40example.com`);
    await call(`${fakes.sendgrid.url}/v3/marketing/contacts?ids=a&ids=b`, { method: 'DELETE', headers: sgHeaders(), body: JSON.stringify({ ids: ['a'] }) });
    const v = vendorCallViolations(fakes.sendgrid);
    expect(v).toEqual([
      'sendgrid #1 GET /v3/suppression/bounces/a%40example.com: GetSuppressionBounces: no credentials for any of the documented security requirements (BearerAuth)',
      'sendgrid #2 DELETE /v3/marketing/contacts: DeleteContact: query parameter ids is repeated (2 times); the document takes one value',
      'sendgrid #2 DELETE /v3/marketing/contacts: DeleteContact: the operation takes no request body, one was sent',
    ]);
    expect(() => assertVendorCallsValid(fakes)).toThrow(/3 vendor call\(s\) break/);
  });

  test('a fake answer that breaks its documented schema is reported (the validator checks responses)', async () => {
    // An answer shaped like the vendor's would be; here a deliberately wrong one, injected as if it were the fake's own.
    fakes.sendgrid.addContact({ email: 'a@example.com' });
    const wrong = { status: 202, body: { job: 'x' } };
    fakes.sendgrid.failNext(1, wrong.status, wrong.body);
    await call(`${fakes.sendgrid.url}/v3/marketing/contacts?ids=x`, { method: 'DELETE', headers: { authorization: `Bearer ${fakes.sendgrid.apiKey}` } });
    expect(vendorCallViolations(fakes.sendgrid)).toEqual([]); // injected answers are not the vendor's
    fakes.sendgrid.calls[0]!.injected = false;
    expect(vendorCallViolations(fakes.sendgrid)).toEqual([
      "sendgrid #1 DELETE /v3/marketing/contacts: DeleteContact: fake's 202 answer does not match the documented schema: (root) must have required property 'job_id'",
    ]);
  });

  test('answers are checked per vendor: a user, a contact list, an undocumented-status error, a header', async () => {
    fakes.auth0.addUser({ user_id: 'auth0|r-1', email: 'r@example.com' });
    const token = await auth0Token();
    await call(`${fakes.auth0.url}/api/v2/users-by-email?email=r%40example.com`, { headers: { authorization: `Bearer ${token}` } });
    fakes.intercom.addContact({ role: 'lead', email: 'r@example.com' });
    await call(`${fakes.intercom.url}/contacts/search`, { method: 'POST', headers: icHeaders(), body: JSON.stringify({ query: { field: 'email', operator: '=', value: 'r@example.com' } }) });
    await call(`${fakes.intercom.url}/contacts/nobody`, { headers: icHeaders() });
    fakes.sendgrid.rateLimitNext(1, 30);
    await call(`${fakes.sendgrid.url}/v3/recipients/erasejob`, { method: 'POST', headers: sgHeaders(), body: JSON.stringify({ email_addresses: ['r@example.com'] }) });
    expect([...fakes.all.flatMap(vendorCallViolations)]).toEqual([]);
    // The same answers, spoiled one way each.
    (fakes.auth0.calls[1]!.responseBody as { email: unknown }[])[0]!.email = 42;
    (fakes.intercom.calls[0]!.responseBody as { data: { created_at: unknown }[] }).data[0]!.created_at = 1.5;
    (fakes.intercom.calls[1]!.responseBody as { errors: unknown[] }).errors = [{ message: 'no code' }];
    fakes.sendgrid.calls[0]!.responseHeaders['x-envoy-ratelimited'] = 'maybe';
    expect(vendorCallViolations(fakes.auth0)).toEqual(["auth0 #2 GET /api/v2/users-by-email: get_users-by-email: fake's 200 answer does not match the documented schema: /0/email must be string"]);
    expect(vendorCallViolations(fakes.intercom)).toEqual([
      "intercom #1 POST /contacts/search: SearchContacts: fake's 200 answer does not match the documented schema: /data/0/created_at must be integer",
      "intercom #2 GET /contacts/nobody: ShowContact: fake's 404 answer does not match the vendor's error schema: /errors/0 must have required property 'code'",
    ]);
    expect(vendorCallViolations(fakes.sendgrid)).toEqual(["sendgrid #1 POST /v3/recipients/erasejob: EraseRecipientEmailData: fake's 429 answer header X-Envoy-Ratelimited: must be boolean"]);
  });
});
