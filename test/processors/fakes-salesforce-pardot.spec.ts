// The Salesforce and Pardot fakes over plain HTTP: each strict behaviour refuses what the vendor
// refuses (vendors.md §0.4, §5, §9.3, §10), and seedSubject puts a person everywhere.
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { SalesforceFake, seedSubject, startVendorFakes, to18, type VendorFakes } from '../../src/demo/fakes/index.js';
import { call, formBody } from './fake-http.js';

let fakes: VendorFakes;
beforeAll(async () => {
  fakes = await startVendorFakes();
});
afterAll(() => fakes.stop());
beforeEach(() => fakes.reset());

const sf = () => fakes.salesforce;
const pd = () => fakes.pardot;

async function sfToken(fake: SalesforceFake = sf()) {
  const r = await call(`${fake.url}/services/oauth2/token`, formBody({ grant_type: 'client_credentials', client_id: fake.clientId, client_secret: fake.clientSecret }));
  expect(r.status).toBe(200);
  return r.body.access_token as string;
}

async function soql(q: string, token: string, headers: Record<string, string> = {}, path = 'query') {
  return call(`${sf().url}/services/data/v62.0/${path}?q=${encodeURIComponent(q)}`, { headers: { authorization: `Bearer ${token}`, ...headers } });
}

describe('Salesforce fake: token', () => {
  test('client credentials on the My Domain host: form only, no expires_in, instance_url is this host, signed', async () => {
    const json = await call(`${sf().url}/services/oauth2/token`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials', client_id: sf().clientId, client_secret: sf().clientSecret }),
    });
    expect([json.status, json.body]).toEqual([400, { error: 'unsupported_grant_type', error_description: 'grant type not supported' }]);
    const badId = await call(`${sf().url}/services/oauth2/token`, formBody({ grant_type: 'client_credentials', client_id: 'nope', client_secret: sf().clientSecret }));
    expect([badId.status, badId.body.error]).toEqual([400, 'invalid_client_id']);
    const badSecret = await call(`${sf().url}/services/oauth2/token`, formBody({ grant_type: 'client_credentials', client_id: sf().clientId, client_secret: 'nope' }));
    expect([badSecret.status, badSecret.body.error]).toEqual([400, 'invalid_client']);

    const ok = await call(`${sf().url}/services/oauth2/token`, formBody({ grant_type: 'client_credentials', client_id: sf().clientId, client_secret: sf().clientSecret }));
    expect(ok.status).toBe(200);
    expect(Object.keys(ok.body).sort()).toEqual(['access_token', 'id', 'instance_url', 'issued_at', 'scope', 'signature', 'token_type']);
    expect([ok.body.instance_url, ok.body.token_type, ok.body.scope]).toEqual([sf().url, 'Bearer', 'api pardot_api']);
    const expected = createHmac('sha256', sf().clientSecret).update(ok.body.id + ok.body.issued_at).digest('base64');
    expect(ok.body.signature).toBe(expected);
  });

  test('the generic login host refuses client credentials: 400 invalid_grant "request not supported on this domain"', async () => {
    const login = await new SalesforceFake({ genericLoginHost: true }).start();
    try {
      const r = await call(`${login.url}/services/oauth2/token`, formBody({ grant_type: 'client_credentials', client_id: login.clientId, client_secret: login.clientSecret }));
      expect([r.status, r.body]).toEqual([400, { error: 'invalid_grant', error_description: 'request not supported on this domain' }]);
    } finally {
      await login.stop();
    }
  });

  test('a connected app without a run-as user cannot use client credentials', async () => {
    sf().clientCredentialsEnabled = false;
    try {
      const r = await call(`${sf().url}/services/oauth2/token`, formBody({ grant_type: 'client_credentials', client_id: sf().clientId, client_secret: sf().clientSecret }));
      expect([r.status, r.body.error_description]).toEqual([400, 'no client credentials user enabled']);
    } finally {
      sf().clientCredentialsEnabled = true;
    }
  });
});

describe('Salesforce fake: REST', () => {
  test('sessions: missing, expired or without the api scope → 401 INVALID_SESSION_ID (array body)', async () => {
    const none = await soql('SELECT Id FROM Lead', '');
    expect([none.status, none.body]).toEqual([401, [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]]);
    const token = await sfToken();
    expect((await soql('SELECT Id FROM Lead', token)).status).toBe(200);
    sf().expireTokens();
    expect((await soql('SELECT Id FROM Lead', token)).body[0].errorCode).toBe('INVALID_SESSION_ID');

    sf().scope = 'pardot_api';
    try {
      const pardotOnly = await soql('SELECT Id FROM Lead', await sfToken());
      expect([pardotOnly.status, pardotOnly.body[0].message]).toEqual([401, 'This session is not valid for use with the REST API']);
    } finally {
      sf().scope = 'api pardot_api';
    }
  });

  test('SOQL by e-mail: case-insensitive, only the selected fields with attributes, \\\' escapes, OR of conditions', async () => {
    const lead = sf().addLead({ Email: 'Jane.Doe@Example.com', FirstName: 'Jane', LastName: 'Doe', Company: 'Acme' });
    const contact = sf().addContact({ Email: 'jane.doe@example.com', LastName: 'Doe' });
    const irish = sf().addLead({ Email: "o'brien@example.com", LastName: "O'Brien" });
    sf().addLead({ Email: 'other@example.com', LastName: 'Other' });
    const token = await sfToken();

    const leads = await soql("SELECT Id, Email FROM Lead WHERE Email = 'jane.doe@example.com'", token);
    expect(leads.status).toBe(200);
    expect(leads.body).toEqual({
      totalSize: 1, done: true,
      records: [{ attributes: { type: 'Lead', url: `/services/data/v62.0/sobjects/Lead/${lead.Id}` }, Id: lead.Id, Email: 'Jane.Doe@Example.com' }],
    });
    const contacts = await soql("select id from contact where email = 'JANE.DOE@EXAMPLE.COM'", token);
    expect(contacts.body.records.map((r: { Id: string }) => r.Id)).toEqual([contact.Id]);

    const escaped = await soql("SELECT Id FROM Lead WHERE Email = 'o\\'brien@example.com'", token);
    expect(escaped.body.records.map((r: { Id: string }) => r.Id)).toEqual([irish.Id]);
    const either = await soql("SELECT Id FROM Lead WHERE Email = 'jane.doe@example.com' OR Email = 'o\\'brien@example.com'", token);
    expect(either.body.totalSize).toBe(2);
    const grouped = await soql("SELECT Id FROM Lead WHERE (Email = 'jane.doe@example.com' OR Email = 'x@y.z') AND LastName = 'doe'", token);
    expect(grouped.body.records.map((r: { Id: string }) => r.Id)).toEqual([lead.Id]);
  });

  test('malformed SOQL → 400 MALFORMED_QUERY; unknown column → INVALID_FIELD; unknown object → INVALID_TYPE', async () => {
    const token = await sfToken();
    const unescaped = await soql("SELECT Id FROM Lead WHERE Email = 'o'brien@example.com'", token);
    expect([unescaped.status, unescaped.body[0].errorCode]).toEqual([400, 'MALFORMED_QUERY']);
    expect(unescaped.body[0].message).toContain('ERROR at Row:1:Column:');
    const doubleQuoted = await soql('SELECT Id FROM Lead WHERE Email = "a@b.c"', token);
    expect(doubleQuoted.body[0].errorCode).toBe('MALFORMED_QUERY');
    const mixed = await soql("SELECT Id FROM Lead WHERE Email = 'a' AND LastName = 'b' OR Email = 'c'", token);
    expect(mixed.body[0].errorCode).toBe('MALFORMED_QUERY');
    const bareNot = await soql("SELECT Id FROM Lead WHERE Email = 'a@b.c' AND NOT LastName = 'b'", token);
    expect(bareNot.body[0].errorCode).toBe('MALFORMED_QUERY');
    expect((await soql("SELECT Id FROM Lead WHERE Email = 'a@b.c' AND (NOT LastName = 'b')", token)).status).toBe(200);
    const noQ = await call(`${sf().url}/services/data/v62.0/query`, { headers: { authorization: `Bearer ${token}` } });
    expect([noQ.status, noQ.body[0].errorCode]).toEqual([400, 'MALFORMED_QUERY']);
    const field = await soql("SELECT Id, Mail FROM Lead WHERE Email = 'a@b.c'", token);
    expect([field.status, field.body[0].errorCode]).toEqual([400, 'INVALID_FIELD']);
    const type = await soql("SELECT Id FROM Leads WHERE Email = 'a@b.c'", token);
    expect([type.status, type.body[0].errorCode]).toEqual([400, 'INVALID_TYPE']);
  });

  test('pages through nextRecordsUrl; a used locator is refused', async () => {
    for (let i = 0; i < 5; i++) sf().addContact({ Email: 'many@example.com', LastName: `N${i}` });
    sf().queryBatchSize = 2;
    try {
      const token = await sfToken();
      const seen: string[] = [];
      let page = await soql("SELECT Id FROM Contact WHERE Email = 'many@example.com'", token);
      const urls: string[] = [];
      for (;;) {
        expect(page.body.totalSize).toBe(5);
        seen.push(...page.body.records.map((r: { Id: string }) => r.Id));
        if (page.body.done) break;
        urls.push(page.body.nextRecordsUrl);
        page = await call(`${sf().url}${page.body.nextRecordsUrl}`, { headers: { authorization: `Bearer ${token}` } });
      }
      expect(new Set(seen).size).toBe(5);
      expect(urls).toHaveLength(2);
      const again = await call(`${sf().url}${urls[0]}`, { headers: { authorization: `Bearer ${token}` } });
      expect([again.status, again.body[0].errorCode]).toEqual([400, 'INVALID_QUERY_LOCATOR']);
    } finally {
      sf().queryBatchSize = 2000;
    }
  });

  test('DELETE → 204 into the recycle bin; a repeat → 404 ENTITY_IS_DELETED; unknown → NOT_FOUND; restorable', async () => {
    const lead = sf().addLead({ Email: 'gone@example.com', LastName: 'Gone' });
    const token = await sfToken();
    const auth = { authorization: `Bearer ${token}` };
    const url = `${sf().url}/services/data/v62.0/sobjects/Lead/${lead.Id}`;
    const read = await call(url, { headers: auth });
    expect([read.status, read.body.Email, read.body.attributes.type]).toEqual([200, 'gone@example.com', 'Lead']);
    const byShortId = await call(`${sf().url}/services/data/v62.0/sobjects/Lead/${lead.Id.slice(0, 15)}`, { headers: auth });
    expect(byShortId.body.Id).toBe(lead.Id);
    const wrongType = await call(`${sf().url}/services/data/v62.0/sobjects/Contact/${lead.Id}`, { method: 'DELETE', headers: auth });
    expect([wrongType.status, wrongType.body[0].errorCode]).toEqual([404, 'NOT_FOUND']);

    const del = await call(url, { method: 'DELETE', headers: auth });
    expect([del.status, del.text]).toEqual([204, '']);
    expect((await soql("SELECT Id FROM Lead WHERE Email = 'gone@example.com'", token)).body.totalSize).toBe(0);
    const all = await soql("SELECT Id, IsDeleted FROM Lead WHERE Email = 'gone@example.com'", token, {}, 'queryAll');
    expect(all.body.records.map((r: { IsDeleted: boolean }) => r.IsDeleted)).toEqual([true]);
    const again = await call(url, { method: 'DELETE', headers: auth });
    expect([again.status, again.body[0].errorCode]).toEqual([404, 'ENTITY_IS_DELETED']);
    expect(sf().recycleBin().map((r) => r.record.Id)).toEqual([lead.Id]);
    const unknownId = to18('00Q5g0000ZZZZZZ');
    const unknown = await call(`${sf().url}/services/data/v62.0/sobjects/Lead/${unknownId}`, { method: 'DELETE', headers: auth });
    expect([unknown.status, unknown.body[0].errorCode]).toEqual([404, 'NOT_FOUND']);

    expect(sf().restore(lead.Id)).toBe(true);
    expect((await soql("SELECT Id FROM Lead WHERE Email = 'gone@example.com'", token)).body.totalSize).toBe(1);
    expect(sf().leads().map((l) => l.Id)).toEqual([lead.Id]);
    await call(url, { method: 'DELETE', headers: auth });
    expect(sf().purge()).toBe(1);
    expect(sf().state(lead.Id)).toBe('purged');
  });

  test('limits answer 403 REQUEST_LIMIT_EXCEEDED, not 429', async () => {
    const token = await sfToken();
    sf().rateLimitNext(1);
    const r = await soql('SELECT Id FROM Lead', token);
    expect([r.status, r.body[0].errorCode]).toEqual([403, 'REQUEST_LIMIT_EXCEEDED']);
  });
});

describe('Pardot fake', () => {
  const prospects = (query: string, headers: Record<string, string>) => call(`${pd().url}/api/v5/objects/prospects?${query}`, { headers });
  async function headers() {
    return { authorization: `Bearer ${await sfToken()}`, 'pardot-business-unit-id': pd().businessUnitId };
  }

  test('only Salesforce tokens with pardot_api; the business unit header on every call; no token endpoint here', async () => {
    const own = await call(`${pd().url}/services/oauth2/token`, formBody({ grant_type: 'client_credentials', client_id: sf().clientId, client_secret: sf().clientSecret }));
    expect(own.status).toBe(404);
    const bogus = await prospects('fields=id', { authorization: 'Bearer made-up', 'pardot-business-unit-id': pd().businessUnitId });
    expect([bogus.status, bogus.body.code]).toEqual([401, 184]);
    const h = await headers();
    expect((await prospects('fields=id', h)).status).toBe(200);
    const noBu = await prospects('fields=id', { authorization: h.authorization });
    expect([noBu.status, noBu.body]).toEqual([400, { code: 181, message: 'A required header is missing: Pardot-Business-Unit-Id header not found on request.' }]);
    const otherBu = await prospects('fields=id', { ...h, 'pardot-business-unit-id': '0Uv000000000000AAA' });
    expect(otherBu.status).toBe(403);
    sf().scope = 'api';
    try {
      const apiOnly = await prospects('fields=id', { ...h, authorization: `Bearer ${await sfToken()}` });
      expect([apiOnly.status, apiOnly.body.code]).toEqual([403, 49]);
    } finally {
      sf().scope = 'api pardot_api';
    }
    sf().expireTokens();
    expect((await prospects('fields=id', h)).body.code).toBe(184);
  });

  test('fields are required and only they come back; query by e-mail returns every prospect sharing it', async () => {
    const a = pd().addProspect({ email: 'jane@example.com', firstName: 'Jane', phone: '+351900000001' });
    const b = pd().addProspect({ email: 'Jane@Example.com', firstName: 'J.' });
    pd().addProspect({ email: 'other@example.com' });
    const h = await headers();
    const noFields = await prospects('email=jane%40example.com', h);
    expect([noFields.status, noFields.body]).toEqual([400, { code: 13, message: 'One or more required parameters are missing: fields' }]);
    const badField = await prospects('fields=id,emailAddress&email=jane%40example.com', h);
    expect(badField.status).toBe(400);
    const unknownParam = await prospects('fields=id&mail=jane%40example.com', h);
    expect(unknownParam.status).toBe(400);
    const found = await prospects('fields=id,email&email=jane%40example.com', h);
    expect(found.body).toEqual({ values: [{ id: a.id, email: 'jane@example.com' }, { id: b.id, email: 'Jane@Example.com' }], nextPageToken: null, nextPageUrl: null });
    const one = await call(`${pd().url}/api/v5/objects/prospects/${a.id}?fields=id,firstName`, { headers: h });
    expect(one.body).toEqual({ id: a.id, firstName: 'Jane' });
    const readNoFields = await call(`${pd().url}/api/v5/objects/prospects/${a.id}`, { headers: h });
    expect(readNoFields.body.code).toBe(13);
  });

  test('paging: limit ≤ 1000, nextPageToken with nothing but fields beside it, tokens expire', async () => {
    const ids = Array.from({ length: 5 }, () => pd().addProspect({ email: 'many@example.com' }).id);
    const h = await headers();
    expect((await prospects('fields=id&limit=1001', h)).status).toBe(400);
    const first = await prospects('fields=id&email=many%40example.com&limit=2', h);
    expect(first.body.values.map((p: { id: number }) => p.id)).toEqual(ids.slice(0, 2));
    const token = first.body.nextPageToken as string;
    expect(first.body.nextPageUrl).toContain(`nextPageToken=${token}`);
    const withFilter = await prospects(`fields=id&email=many%40example.com&nextPageToken=${token}`, h);
    expect(withFilter.status).toBe(400);
    const withLimit = await prospects(`fields=id&limit=2&nextPageToken=${token}`, h);
    expect(withLimit.status).toBe(400);
    const second = await prospects(`fields=id&nextPageToken=${token}`, h);
    expect(second.body.values.map((p: { id: number }) => p.id)).toEqual(ids.slice(2, 4));
    const viaUrl = await call(second.body.nextPageUrl, { headers: h });
    expect([viaUrl.body.values.map((p: { id: number }) => p.id), viaUrl.body.nextPageToken]).toEqual([ids.slice(4), null]);

    const again = await prospects('fields=id&email=many%40example.com&limit=2', h);
    pd().expirePageTokens();
    expect((await prospects(`fields=id&nextPageToken=${again.body.nextPageToken}`, h)).status).toBe(400);
  });

  test('DELETE → 204 into the recycle bin; repeat DELETE and reads → 404 with Pardot-Warning 201; deleted=true|all', async () => {
    const p = pd().addProspect({ email: 'bin@example.com' });
    const keep = pd().addProspect({ email: 'bin@example.com' });
    const h = await headers();
    const url = `${pd().url}/api/v5/objects/prospects/${p.id}`;
    expect((await call(url, { method: 'DELETE', headers: h })).status).toBe(204);
    const repeat = await call(url, { method: 'DELETE', headers: h });
    expect([repeat.status, repeat.headers.get('pardot-warning')]).toEqual([404, '201;Record In Recycle Bin']);
    const read = await call(`${url}?fields=id`, { headers: h });
    expect([read.status, read.headers.get('pardot-warning')]).toEqual([404, '201;Record In Recycle Bin']);
    const readDeleted = await call(`${url}?fields=id,isDeleted&deleted=true`, { headers: h });
    expect(readDeleted.body).toEqual({ id: p.id, isDeleted: true });
    const unknown = await call(`${pd().url}/api/v5/objects/prospects/999999`, { method: 'DELETE', headers: h });
    expect([unknown.status, unknown.body.code, unknown.headers.get('pardot-warning')]).toEqual([404, 109, null]);

    const ids = async (q: string) => (await prospects(`fields=id&email=bin%40example.com${q}`, h)).body.values.map((x: { id: number }) => x.id);
    expect(await ids('')).toEqual([keep.id]);
    expect(await ids('&deleted=true')).toEqual([p.id]);
    expect(await ids('&deleted=all')).toEqual([p.id, keep.id]);
    expect((await prospects('fields=id&deleted=yes', h)).status).toBe(400);
    expect(pd().recycleBin().map((x) => x.id)).toEqual([p.id]);
  });

  test('a later form fill revives a recycled prospect; permanent deletion waits for the synced Salesforce record', async () => {
    const lead = sf().addLead({ Email: 'sync@example.com', LastName: 'Sync' });
    const p = pd().addProspect({ email: 'sync@example.com', salesforceId: lead.Id, crmLeadFid: lead.Id });
    const h = await headers();
    expect(pd().permanentlyDelete(p.id)).toEqual({ deleted: false, reason: 'prospect is not in the recycle bin' });
    await call(`${pd().url}/api/v5/objects/prospects/${p.id}`, { method: 'DELETE', headers: h });
    expect(pd().formFill('SYNC@example.com').id).toBe(p.id);
    expect(pd().active().map((x) => x.id)).toEqual([p.id]);

    await call(`${pd().url}/api/v5/objects/prospects/${p.id}`, { method: 'DELETE', headers: h });
    expect(pd().permanentlyDelete(p.id)).toEqual({ deleted: false, reason: 'the synced Salesforce lead or contact still exists' });
    const del = await call(`${sf().url}/services/data/v62.0/sobjects/Lead/${lead.Id}`, { method: 'DELETE', headers: { authorization: h.authorization } });
    expect(del.status).toBe(204);
    expect(pd().permanentlyDelete(p.id)).toEqual({ deleted: true });
    expect(pd().prospects.has(p.id)).toBe(false);
    expect(pd().formFill('sync@example.com').id).not.toBe(p.id); // gone for good: a new prospect
  });

  test('a misbehaving e-mail filter returns other people too (adapters must check what they delete)', async () => {
    pd().addProspect({ email: 'jane@example.com' });
    pd().addProspect({ email: 'someone.else@example.com' });
    const h = await headers();
    pd().ignoreEmailFilter = true;
    try {
      const r = await prospects('fields=id,email&email=jane%40example.com', h);
      expect(r.body.values.map((p: { email: string }) => p.email)).toEqual(['jane@example.com', 'someone.else@example.com']);
    } finally {
      pd().ignoreEmailFilter = false;
    }
  });

  test('5 concurrent requests → code 66; the daily quota → code 122', async () => {
    const h = await headers();
    pd().enforceDocumentedLimits();
    pd().slowNext(7, 150);
    const answers = await Promise.all(Array.from({ length: 7 }, () => prospects('fields=id', h)));
    const limited = answers.filter((a) => a.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(1);
    expect(limited.every((a) => a.body.code === 66)).toBe(true);
    expect(answers.filter((a) => a.status === 200).length).toBeLessThanOrEqual(5);

    pd().setRateLimit({});
    pd().dailyQuota = pd().callsToday + 1;
    try {
      expect((await prospects('fields=id', h)).status).toBe(200);
      const over = await prospects('fields=id', h);
      expect([over.status, over.body.code]).toEqual([429, 122]);
    } finally {
      pd().dailyQuota = undefined;
    }
  });
});

describe('seedSubject', () => {
  test('puts the person in every way these vendors hold one', async () => {
    const seeded = seedSubject(fakes, { email: 'Jane.Doe@Example.com', userId: 'u-42', firstName: 'Jane', lastName: 'Doe', company: 'Acme' });
    const email = 'jane.doe@example.com';
    // Salesforce: a lead and a contact, found by a case-insensitive SOQL query.
    const token = await sfToken();
    for (const type of ['Lead', 'Contact']) {
      const r = await soql(`SELECT Id FROM ${type} WHERE Email = '${email}'`, token);
      expect(r.body.totalSize).toBe(1);
    }
    // Pardot: two prospects sharing the e-mail, each synced with one Salesforce record.
    expect(pd().active().filter((p) => p.email === email).map((p) => p.salesforceId).sort()).toEqual([seeded.salesforce.contact.Id, seeded.salesforce.lead.Id].sort());
    // Amplitude: two Amplitude ids under the user id, one with more than a page of events.
    const amp = [...fakes.amplitude.users.values()].filter((u) => u.user_id === 'u-42');
    expect(amp.map((u) => u.events?.length)).toEqual([1500, 1]);
    // Hotjar: a survey response under the e-mail and an identified user on the site.
    expect(fakes.hotjar.dataFor({ email }).map((h) => h.kind)).toEqual(['response']);
    expect(fakes.hotjar.dataFor({ siteUserIds: { [fakes.hotjar.siteId]: 'u-42' } }).map((h) => h.kind)).toEqual(['identified']);
    expect([...fakes.inlineManual.profiles.values()].map((p) => p.email)).toEqual([email]);
    expect(fakes.env.SALESFORCE_LOGIN_URL).toBe(sf().url);
    expect(fakes.env.PARDOT_BASE_URL).toBe(pd().url);
    expect(fakes.env.SALESFORCE_CLIENT_ID).toBe(sf().clientId);
  });
});
