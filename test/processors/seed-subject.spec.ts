// seedSubject puts one person into the Auth0, Intercom and SendGrid fakes in every form those
// vendors allow, and each form is reachable through the vendor's API as documented.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { providerCapitalised, seedSubject, startVendorFakes, type VendorFakes } from '../../src/demo/fakes/index.js';
import { call, json } from '../support/fake-http.js';
import { assertVendorCallsValid } from '../support/openapi.js';
import { traces } from '../support/vendors.js';

let fakes: VendorFakes;
beforeAll(async () => {
  fakes = await startVendorFakes();
});
afterAll(() => fakes.stop());
beforeEach(() => fakes.reset());

describe('seedSubject', () => {
  test('Auth0: a database user and a social identity keeping the provider\'s capitalisation, with tenant logs', async () => {
    const seeded = seedSubject(fakes, { email: 'mary.jackson@example.com', userId: 'u-7', firstName: 'Mary', lastName: 'Jackson' });
    expect(seeded.auth0.email).toBe('mary.jackson@example.com');
    expect(seeded.auth0Social.email).toBe('Mary.Jackson@Example.com');
    expect(providerCapitalised('a.b@c.org')).toBe('A.B@C.org');
    const tok = await call(`${fakes.auth0.url}/oauth/token`, json('POST', { grant_type: 'client_credentials', client_id: fakes.auth0.clientId, client_secret: fakes.auth0.clientSecret, audience: fakes.auth0.audience }));
    const h = { headers: { authorization: `Bearer ${tok.body.access_token}` } };
    const byEmail = await call(`${fakes.auth0.url}/api/v2/users-by-email?email=mary.jackson%40example.com`, h);
    expect(byEmail.body.map((u: { user_id: string }) => u.user_id)).toEqual(['auth0|u-7']);
    const v3 = await call(`${fakes.auth0.url}/api/v2/users?q=${encodeURIComponent('email:"mary.jackson@example.com"')}&search_engine=v3`, h);
    expect(v3.body.map((u: { user_id: string }) => u.user_id).sort()).toEqual(['auth0|u-7', seeded.auth0Social.user_id].sort());
    expect(fakes.auth0.logsFor(seeded.auth0Social.user_id)).toHaveLength(1);
    expect(traces(fakes, 'mary.jackson@example.com', 'u-7').auth0).toBe(2);
    assertVendorCallsValid(fakes);
  });

  test('Intercom: a user contact with a note, a tag, a company and a rated conversation', async () => {
    const seeded = seedSubject(fakes, { email: 'mary.jackson@example.com', userId: 'u-7', company: 'NACA' });
    const h = { authorization: `Bearer ${fakes.intercom.accessToken}`, 'intercom-version': '2.14' };
    const contact = await call(`${fakes.intercom.url}/contacts/${seeded.intercom.id}`, { headers: h });
    expect([contact.body.external_id, contact.body.notes.total_count, contact.body.tags.total_count, contact.body.companies.total_count]).toEqual(['u-7', 1, 1, 1]);
    const convs = await call(`${fakes.intercom.url}/conversations/search`, json('POST', { query: { field: 'contact_ids', operator: '=', value: seeded.intercom.id } }, h));
    expect(convs.body.conversations.map((c: { id: string }) => c.id)).toEqual([seeded.intercomConversation.id]);
    expect(convs.body.conversations[0].conversation_rating.rating).toBe(5);
    assertVendorCallsValid(fakes);
  });

  test('SendGrid: a marketing contact, a bounce and transactional e-mail activity', async () => {
    seedSubject(fakes, { email: 'Mary.Jackson@example.com', firstName: 'Mary' });
    const h = { authorization: `Bearer ${fakes.sendgrid.apiKey}` };
    const found = await call(`${fakes.sendgrid.url}/v3/marketing/contacts/search/emails`, json('POST', { emails: ['mary.jackson@example.com'] }, h));
    expect(found.body.result['mary.jackson@example.com'].contact.first_name).toBe('Mary');
    expect((await call(`${fakes.sendgrid.url}/v3/suppression/bounces/mary.jackson%40example.com`, { headers: h })).body).toHaveLength(1);
    expect(fakes.sendgrid.activityFor('mary.jackson@example.com').map((m) => m.subject)).toEqual(['Welcome, Mary']);
    expect(traces(fakes, 'mary.jackson@example.com', 'x').sendgrid).toBe(2);
    assertVendorCallsValid(fakes);
  });
});
