// The fakes' own documented traps, checked with plain HTTP calls.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { startVendorFakes, type VendorFakes } from '../../src/demo/fakes/index.js';

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

describe('vendor fakes', () => {
  test('Auth0: token needs the right audience; DELETE of an unknown id answers 204', async () => {
    const token = (audience: string) => call(`${fakes.auth0.url}/oauth/token`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials', client_id: fakes.auth0.clientId, client_secret: fakes.auth0.clientSecret, audience }),
    });
    expect((await token('https://elsewhere/api/v2/')).status).toBe(403);
    const { body } = await token(`https://${fakes.auth0.domain}/api/v2/`);
    const del = await call(`${fakes.auth0.url}/api/v2/users/auth0%7Cnobody`, { method: 'DELETE', headers: { authorization: `Bearer ${body.access_token}` } });
    expect(del.status).toBe(204);
    const noAuth = await call(`${fakes.auth0.url}/api/v2/users-by-email?email=a@b.c`);
    expect([noAuth.status, noAuth.body.error]).toEqual([401, 'Unauthorized']);
  });

  test('Intercom: search lags behind creation when configured; a bad version header is refused', async () => {
    const headers = { authorization: `Bearer ${fakes.intercom.accessToken}`, 'intercom-version': '2.14', 'content-type': 'application/json' };
    const search = () => call(`${fakes.intercom.url}/contacts/search`, { method: 'POST', headers, body: JSON.stringify({ query: { field: 'email', operator: '=', value: 'a@b.c' } }) });
    fakes.intercom.addContact({ role: 'lead', email: 'a@b.c' });
    fakes.intercom.searchLagMs = 60_000;
    expect((await search()).body.total_count).toBe(0);
    fakes.intercom.searchLagMs = 0;
    expect((await search()).body.total_count).toBe(1);
    const v = await call(`${fakes.intercom.url}/contacts/x`, { headers: { ...headers, 'intercom-version': '9.9' } });
    expect([v.status, v.body.errors[0].code]).toEqual([400, 'intercom_version_invalid']);
  });

  test('Amplitude: unknown ids give 400 and schedule nothing unless ignore_invalid_id', async () => {
    const headers = { authorization: `Basic ${Buffer.from(`${fakes.amplitude.apiKey}:${fakes.amplitude.secretKey}`).toString('base64')}`, 'content-type': 'application/json' };
    const u = fakes.amplitude.addUser({ user_id: 'u-1' });
    const req = (extra: object) => call(`${fakes.amplitude.url}/api/2/deletions/users`, { method: 'POST', headers, body: JSON.stringify({ amplitude_ids: [u.amplitude_id], user_ids: ['ghost'], requester: 'dpo@x.test', ...extra }) });
    expect((await req({})).status).toBe(400);
    expect(fakes.amplitude.jobs.size).toBe(0);
    const ok = await req({ ignore_invalid_id: true });
    expect([ok.status, ok.body.status, ok.body.invalid_ids]).toEqual([200, 'staging', ['ghost']]);
    fakes.amplitude.rateLimitNext(1);
    const limited = await req({ ignore_invalid_id: true });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('x-ratelimit-reset')).toBeNull();
  });

  test('Pardot: fields required; deleted prospects answer 404 with the recycle-bin warning', async () => {
    const tok = await call(`${fakes.salesforce.url}/services/oauth2/token`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: fakes.salesforce.clientId, client_secret: fakes.salesforce.clientSecret }).toString(),
    });
    const headers = { authorization: `Bearer ${tok.body.access_token}`, 'pardot-business-unit-id': fakes.pardot.businessUnitId };
    const p = fakes.pardot.addProspect({ email: 'a@b.c' });
    const noFields = await call(`${fakes.pardot.url}/api/v5/objects/prospects/${p.id}`, { headers });
    expect([noFields.status, noFields.body.code]).toEqual([400, 13]);
    const noBu = await call(`${fakes.pardot.url}/api/v5/objects/prospects/${p.id}?fields=id`, { headers: { authorization: headers.authorization } });
    expect([noBu.status, noBu.body.code]).toEqual([400, 181]);
    expect((await call(`${fakes.pardot.url}/api/v5/objects/prospects/${p.id}`, { method: 'DELETE', headers })).status).toBe(204);
    const read = await call(`${fakes.pardot.url}/api/v5/objects/prospects/${p.id}?fields=id`, { headers });
    expect([read.status, read.headers.get('pardot-warning')]).toEqual([404, '201;Record In Recycle Bin']);
  });

  test('SendGrid: ids must be one comma-separated value; delete jobs are asynchronous', async () => {
    const headers = { authorization: `Bearer ${fakes.sendgrid.apiKey}` };
    const c = fakes.sendgrid.addContact({ email: 'a@b.c' });
    fakes.sendgrid.deleteJobDelayMs = 150;
    expect((await call(`${fakes.sendgrid.url}/v3/marketing/contacts?ids=${c.id}&ids=x`, { method: 'DELETE', headers })).status).toBe(400);
    const del = await call(`${fakes.sendgrid.url}/v3/marketing/contacts?ids=${c.id},unknown`, { method: 'DELETE', headers });
    expect(del.status).toBe(202);
    const job = () => call(`${fakes.sendgrid.url}/v3/marketing/contacts/imports/${del.body.job_id}`, { headers });
    expect((await job()).body.status).toBe('pending');
    expect(fakes.sendgrid.contacts.has(c.id)).toBe(true);
    await new Promise((r) => setTimeout(r, 200));
    const done = await job();
    expect([done.body.status, done.body.results.deleted_count]).toEqual(['completed', 1]);
    expect(fakes.sendgrid.contacts.has(c.id)).toBe(false);
    fakes.sendgrid.deleteJobDelayMs = 0;
  });

  test('Hotjar: user-lookup needs a token', async () => {
    const r = await call(`${fakes.hotjar.url}/v1/organizations/${fakes.hotjar.organizationId}/user-lookup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ data_subject_email: 'a@b.c' }) });
    expect(r.status).toBe(401);
    expect(fakes.hotjar.lookups).toHaveLength(0);
  });
});
