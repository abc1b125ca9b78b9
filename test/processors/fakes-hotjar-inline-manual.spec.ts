// The Hotjar and Inline Manual fakes over plain HTTP: each strict behaviour refuses what the vendor
// refuses, and the unconfirmed parts follow their options (vendors.md §4, §7, §9.1, §9.2, §10).
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { InlineManualFake, startVendorFakes, type VendorFakes } from '../../src/demo/fakes/index.js';
import { call, formBody, jsonBody } from './fake-http.js';

let fakes: VendorFakes;
beforeAll(async () => {
  fakes = await startVendorFakes();
});
afterAll(() => fakes.stop());
beforeEach(() => fakes.reset());

describe('Hotjar fake', () => {
  const hj = () => fakes.hotjar;
  const credentials = () => ({ grant_type: 'client_credentials', client_id: hj().clientId, client_secret: hj().clientSecret });
  async function token() {
    const r = await call(`${hj().url}/v1/oauth/token`, formBody(credentials()));
    expect([r.status, r.body.token_type, r.body.expires_in]).toEqual([200, 'Bearer', 3600]);
    return { authorization: `Bearer ${r.body.access_token}` };
  }
  const lookup = (body: unknown, auth: Record<string, string>, org = hj().organizationId) =>
    call(`${hj().url}/v1/organizations/${org}/user-lookup`, jsonBody('POST', body, auth));

  test('token: form-encoded client credentials only; wrong or expired credentials → 401', async () => {
    const json = await call(`${hj().url}/v1/oauth/token`, jsonBody('POST', credentials()));
    expect([json.status, json.body.error]).toEqual([400, 'invalid_request']);
    const wrong = await call(`${hj().url}/v1/oauth/token`, formBody({ ...credentials(), client_secret: 'nope' }));
    expect([wrong.status, wrong.body.error]).toEqual([401, 'invalid_client']);
    hj().credentialsExpired = true;
    expect((await call(`${hj().url}/v1/oauth/token`, formBody(credentials()))).status).toBe(401);
  });

  test('user-lookup: token, JSON, the right organization, at least one identifier, a Scale plan', async () => {
    const auth = await token();
    expect((await lookup({ data_subject_email: 'a@b.c' }, {})).status).toBe(401);
    const form = await call(`${hj().url}/v1/organizations/${hj().organizationId}/user-lookup`, { ...formBody({ data_subject_email: 'a@b.c' }), headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' } });
    expect(form.status).toBe(400);
    expect((await lookup({ delete_all_hits: false }, auth)).status).toBe(400);
    expect((await lookup({ data_subject_site_id_to_user_id_map: {} }, auth)).status).toBe(400);
    expect((await lookup({ data_subject_email: 'not-an-email' }, auth)).status).toBe(400);
    expect((await lookup({ data_subject_site_id_to_user_id_map: { 'my-site': 'u-1' } }, auth)).status).toBe(400);
    expect((await lookup({ data_subject_email: 'a@b.c', delete_all_hits: 'yes' }, auth)).status).toBe(400);
    expect((await lookup({ data_subject_email: 'a@b.c' }, auth, '999')).status).toBe(404);
    hj().apiPlan = false;
    expect((await lookup({ data_subject_email: 'a@b.c' }, auth)).status).toBe(403);
    expect(hj().lookups).toHaveLength(0);
  });

  test('an e-mail-only lookup misses identified users; the report goes to the account, not the HTTP body', async () => {
    hj().addSubject({ email: 'jane@example.com', siteId: hj().siteId, userId: 'u-42' });
    const auth = await token();
    const byEmail = await lookup({ data_subject_email: 'Jane@Example.com', delete_all_hits: false }, auth);
    expect([byEmail.status, byEmail.body]).toEqual([200, {}]);
    expect(hj().reports.at(-1)!.hits.map((h) => h.kind)).toEqual(['response']);
    expect(hj().reports.at(-1)!.delivery).toBe('report sent to the Hotjar account');

    // Deleting by e-mail leaves the identified user's data.
    await lookup({ data_subject_email: 'jane@example.com', delete_all_hits: true }, auth);
    expect(hj().hits.map((h) => h.kind)).toEqual(['identified']);
    const byUser = await lookup({ data_subject_site_id_to_user_id_map: { [hj().siteId]: 'u-42' }, delete_all_hits: true }, auth);
    expect(byUser.status).toBe(200);
    expect(hj().hits).toEqual([]);
    expect(hj().lookups.map((l) => [l.deleteAllHits, l.matched])).toEqual([[false, 1], [true, 1], [true, 1]]);
  });

  test('the answer status and body are options (the real ones are unconfirmed)', async () => {
    hj().lookupStatus = 202;
    hj().lookupBody = { status: 'accepted' };
    try {
      const r = await lookup({ data_subject_email: 'a@b.c' }, await token());
      expect([r.status, r.body]).toEqual([202, { status: 'accepted' }]);
    } finally {
      hj().lookupStatus = 200;
      hj().lookupBody = {};
    }
  });
});

describe('Inline Manual fake', () => {
  const im = () => fakes.inlineManual;
  const bearer = (token = im().apiToken) => ({ authorization: `Bearer ${token}` });

  test('case-insensitive full-text search: partial matches on e-mail and names come back too', async () => {
    const jane = im().addProfile({ email: 'jane.doe@example.com', name: 'Jane Doe' });
    const longer = im().addProfile({ email: 'mary.jane.doe@example.com', name: 'Mary' });
    const byName = im().addProfile({ email: 'someone@example.com', name: 'JANE.DOE@EXAMPLE.COM fan club' });
    im().addProfile({ email: 'other@example.com', name: 'Other' });
    const r = await call(`${im().url}/people?search=${encodeURIComponent('Jane.Doe@Example.com')}`, { headers: bearer() });
    expect(r.body.data.map((p: { id: string }) => p.id)).toEqual([jane.id, longer.id, byName.id]);
    const all = await call(`${im().url}/people`, { headers: bearer() });
    expect(all.body.data).toHaveLength(4);
  });

  test('tokens: unknown or disabled → 401; without write access GET works and DELETE → 403', async () => {
    const p = im().addProfile({ email: 'jane@example.com' });
    expect((await call(`${im().url}/people/${p.id}`, { headers: bearer('nope') })).status).toBe(401);
    expect((await call(`${im().url}/people/${p.id}`, { headers: bearer(im().readOnlyToken) })).status).toBe(200);
    const ro = await call(`${im().url}/people/${p.id}`, { method: 'DELETE', headers: bearer(im().readOnlyToken) });
    expect([ro.status, ro.body.errors]).toEqual([403, ['This API token has no write access']]);
    expect(im().profiles.has(p.id)).toBe(true);
    im().disableToken(im().apiToken);
    expect((await call(`${im().url}/people/${p.id}`, { method: 'DELETE', headers: bearer() })).status).toBe(401);
    expect(im().profiles.has(p.id)).toBe(true);
  });

  test('DELETE → 204, then 404; unknown paths → 404, or an HTML page when asked', async () => {
    const p = im().addProfile({ email: 'jane@example.com' });
    const del = await call(`${im().url}/people/${p.id}`, { method: 'DELETE', headers: bearer() });
    expect([del.status, del.text]).toEqual([204, '']);
    expect((await call(`${im().url}/people/${p.id}`, { method: 'DELETE', headers: bearer() })).status).toBe(404);
    expect((await call(`${im().url}/api/v3/people?search=x`, { headers: bearer() })).status).toBe(404);
    im().unknownPathAnswer = 'html200';
    try {
      const html = await call(`${im().url}/api/v3/people?search=x`, { headers: bearer() });
      expect([html.status, html.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
      expect(html.text.startsWith('<!DOCTYPE html>')).toBe(true);
    } finally {
      im().unknownPathAnswer = 'json404';
    }
  });

  test('paths and the auth header are options', async () => {
    const custom = await new InlineManualFake({ searchPath: '/v1/profiles', searchParam: 'q', profilePath: '/v1/profiles/{id}/', authHeader: 'X-Api-Token', authScheme: '' }).start();
    try {
      const p = custom.addProfile({ email: 'jane@example.com' });
      const token = { 'x-api-token': custom.apiToken };
      expect((await call(`${custom.url}/v1/profiles?q=jane`, { headers: { authorization: `Bearer ${custom.apiToken}` } })).status).toBe(401);
      expect((await call(`${custom.url}/v1/profiles?q=jane`, { headers: token })).body.data.map((x: { id: string }) => x.id)).toEqual([p.id]);
      expect((await call(`${custom.url}/people?search=jane`, { headers: token })).status).toBe(404);
      expect((await call(`${custom.url}/v1/profiles/${p.id}/`, { method: 'DELETE', headers: token })).status).toBe(204);
    } finally {
      await custom.stop();
    }
  });
});
