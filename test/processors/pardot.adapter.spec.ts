// Pardot (Account Engagement v5) + Salesforce, against fakes written from the vendors' documents:
// the token on the org's My Domain host (form body, instance_url), Pardot on its own host with the
// business-unit header, prospects to the recycle bin, Salesforce records to Salesforce's.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { startVendorFakes, type VendorFakes } from '../../src/demo/fakes/index.js';
import { PardotAdapter, soqlString } from '../../src/processors/pardot/pardot.adapter.js';
import { loadVendorConfig } from '../../src/processors/vendor-config.js';
import { failure, firstIndex, makeCtx, retryCtx } from './support.js';

const EMAIL = 'jane.doe@example.com';
let fakes: VendorFakes;
let adapter: PardotAdapter;

beforeAll(async () => {
  fakes = await startVendorFakes({ pardot: { pageSize: 2 } });
  adapter = new PardotAdapter(loadVendorConfig(fakes.env).pardot, 3000);
});
afterAll(() => fakes.stop());
beforeEach(() => fakes.reset());

function seed() {
  // The person typed capitals into a Salesforce form; Pardot keeps the address as given.
  const lead = fakes.salesforce.addLead({ Email: 'Jane.Doe@Example.com', FirstName: 'Jane', LastName: 'Doe', Company: 'Acme', Title: 'CTO' });
  const contact = fakes.salesforce.addContact({ Email: EMAIL, FirstName: 'Jane', LastName: 'Doe', Phone: '+351900000001' });
  fakes.salesforce.addLead({ Email: 'someone.else@example.com', LastName: 'Else', Company: 'Other' });
  // AMPSEA: three prospects share the e-mail; page size 2 is not used (the adapter asks for 1000).
  const a = fakes.pardot.addProspect({ email: EMAIL, firstName: 'Jane', lastName: 'Doe', company: 'Acme', jobTitle: 'CTO', industry: 'Software', phone: '+351900000001', country: 'Portugal', score: 87, grade: 'A-', salesforceId: lead.Id, crmLeadFid: lead.Id });
  const b = fakes.pardot.addProspect({ email: EMAIL, firstName: 'J.', salesforceId: contact.Id, crmContactFid: contact.Id });
  const c = fakes.pardot.addProspect({ email: 'JANE.DOE@example.com' });
  fakes.pardot.addProspect({ email: 'other@example.com' });
  return { prospects: [a.id, b.id, c.id], lead: lead.Id, contact: contact.Id };
}

describe('Pardot + Salesforce adapter', () => {
  test('access reads every prospect sharing the e-mail and the Salesforce lead and contact, mapped to items', async () => {
    const s = seed();
    const res = await adapter.access(makeCtx({ email: EMAIL }).ctx);
    expect(res.outcome).toBe('found');
    const records = res.records as Record<string, { id?: number; Id?: string }>[];
    expect(records.filter((r) => r.pardotProspect).map((r) => r.pardotProspect!.id)).toEqual(s.prospects);
    expect(records.filter((r) => r.salesforceLead).map((r) => r.salesforceLead!.Id)).toEqual([s.lead]);
    expect(records.filter((r) => r.salesforceContact).map((r) => r.salesforceContact!.Id)).toEqual([s.contact]);
    const first = res.items.filter((i) => i.where === `Pardot prospect ${s.prospects[0]}`).map((i) => [i.item, i.value]);
    expect(first).toEqual([
      ['email', EMAIL], ['name', 'Jane Doe'], ['phone_number', '+351900000001'], ['business_role', 'CTO'],
      ['business_type', 'Software'], ['company', 'Acme'], ['country', 'Portugal'], ['lead_score', { score: 87, grade: 'A-' }],
    ]);
    expect(res.items).toContainEqual({ item: 'company', value: 'Acme', where: `Salesforce lead ${s.lead}` });
    expect(res.items).toContainEqual({ item: 'phone_number', value: '+351900000001', where: `Salesforce contact ${s.contact}` });
    // Every Pardot call carried the token and business unit, every query its fields.
    expect([...fakes.pardot.log, ...fakes.salesforce.log].every((r) => r.status < 400)).toBe(true);
    // The token came from the My Domain host, form-encoded, and Salesforce was called on instance_url.
    const token = fakes.salesforce.calls.find((c) => c.path === '/services/oauth2/token')!;
    expect(token.headers['content-type']).toMatch(/application\/x-www-form-urlencoded/);
    expect(fakes.salesforce.calls.filter((c) => c.path.endsWith('/query')).map((c) => new URLSearchParams(c.query).get('q'))).toEqual([
      expect.stringMatching(/^SELECT Id, Email, .* FROM Lead WHERE Email = 'jane\.doe@example\.com'$/),
      expect.stringMatching(/^SELECT Id, Email, .* FROM Contact WHERE Email = 'jane\.doe@example\.com'$/),
    ]);
  });

  test('not_found for an unknown e-mail, at Pardot and Salesforce alike', async () => {
    fakes.pardot.addProspect({ email: 'other@example.com' });
    fakes.salesforce.addLead({ Email: 'other@example.com', LastName: 'Other', Company: 'X' });
    expect((await adapter.access(makeCtx({ email: EMAIL }).ctx)).outcome).toBe('not_found');
    expect((await adapter.erase(makeCtx({ email: EMAIL }).ctx)).outcome).toBe('not_found');
  });

  test('erase stores every id first, deletes the Salesforce records then the prospects, and says what remains and who must finish it', async () => {
    const s = seed();
    const first = makeCtx({ email: EMAIL }, fakes.pardot);
    const r1 = await adapter.erase(first.ctx);
    expect(r1.outcome).toBe('action_required');
    expect(r1.actions).toEqual([
      { what: 'Pardot prospect (moved to the Pardot recycle bin)', count: 3, how: 'recycled' },
      { what: 'Salesforce lead (moved to the Salesforce recycle bin)', count: 1, how: 'recycled' },
      { what: 'Salesforce contact (moved to the Salesforce recycle bin)', count: 1, how: 'recycled' },
    ]);
    expect(r1.remains).toMatch(/3 prospect\(s\) in the Pardot recycle bin and 2 lead\/contact record\(s\) in the Salesforce recycle bin/);
    expect(r1.officerActions).toHaveLength(1);
    expect(r1.officerActions![0]).toMatchObject({ kind: 'pardot_permanent_delete', outcomeWhenDone: 'erased' });
    expect(r1.officerActions![0]!.instructions).toContain(`prospect id(s) ${s.prospects.join(', ')}`);
    expect(r1.officerActions![0]!.instructions).toContain(s.lead);
    expect(first.saved).toMatchObject({ pardotProspectIds: s.prospects, salesforceLeadIds: [s.lead], salesforceContactIds: [s.contact] });
    expect(first.savedAtLogLength[0]).toBeLessThanOrEqual(firstIndex(fakes.pardot, 'DELETE'));
    // Salesforce first (Pardot's permanent deletion needs the synced record gone).
    const sfDelete = fakes.salesforce.calls.findIndex((c) => c.method === 'DELETE');
    expect(fakes.salesforce.calls[sfDelete]!.at).toBeLessThanOrEqual(fakes.pardot.calls.find((c) => c.method === 'DELETE')!.at);
    expect(fakes.pardot.active().map((p) => p.email)).toEqual(['other@example.com']);
    expect(fakes.pardot.recycleBin().map((p) => p.id).sort()).toEqual([...s.prospects].sort());
    expect(fakes.salesforce.state(s.lead)).toBe('recycled');
    expect(fakes.salesforce.state(s.contact)).toBe('recycled');
    // What the officer is asked to do is possible now: the synced records are gone.
    for (const id of s.prospects) expect(fakes.pardot.permanentlyDelete(id)).toEqual({ deleted: true });

    // A retry (worker killed after the deletes) reports the same: 404s are "already in the bin".
    const r2 = await adapter.erase(retryCtx(first, fakes.pardot).ctx);
    expect(r2).toEqual(r1);
  });

  test('a query that returns someone else stops the task before anything is deleted', async () => {
    seed();
    const stray = new PardotAdapter(loadVendorConfig(fakes.env).pardot, 3000);
    fakes.pardot.ignoreEmailFilter = true;
    try {
      const err = await failure(stray.erase(makeCtx({ email: EMAIL }).ctx));
      expect(err.kind).toBe('permanent');
      expect(err.message).toMatch(/not the subject's: stopped, nothing deleted/);
      expect(fakes.pardot.requests('DELETE')).toHaveLength(0);
      expect(fakes.salesforce.requests('DELETE')).toHaveLength(0);
    } finally {
      fakes.pardot.ignoreEmailFilter = false;
    }
  });

  test('SOQL string literals are escaped', () => {
    expect(soqlString("o'brien\\x@example.com")).toBe("'o\\'brien\\\\x@example.com'");
  });

  test('the token comes only from the My Domain host: login.salesforce.com is refused by configuration, and a generic login host is an auth failure', async () => {
    expect(() => loadVendorConfig({ ...fakes.env, SALESFORCE_LOGIN_URL: 'https://login.salesforce.com' })).toThrow(/SALESFORCE_LOGIN_URL must be your org's My Domain URL/);
    expect(() => loadVendorConfig({ ...fakes.env, SALESFORCE_LOGIN_URL: '' })).toThrow(/SALESFORCE_LOGIN_URL must be set when Pardot is configured/);
    fakes.salesforce.genericLoginHost = true;
    try {
      const err = await failure(new PardotAdapter(loadVendorConfig(fakes.env).pardot, 3000).access(makeCtx({ email: EMAIL }).ctx));
      expect([err.kind, err.status]).toEqual(['auth', 400]);
    } finally {
      fakes.salesforce.genericLoginHost = false;
    }
  });

  test('bad client credentials and a wrong business unit → auth', async () => {
    const cfg = loadVendorConfig(fakes.env).pardot;
    const e1 = await failure(new PardotAdapter({ ...cfg, clientSecret: 'x' }, 3000).access(makeCtx({ email: EMAIL }).ctx));
    expect([e1.kind, e1.status]).toEqual(['auth', 400]);
    const e2 = await failure(new PardotAdapter({ ...cfg, businessUnitId: '0Uv000000000009XXX' }, 3000).access(makeCtx({ email: EMAIL }).ctx));
    expect(e2.kind).toBe('auth');
  });

  test('an expired session mid-run is refreshed once', async () => {
    seed();
    await adapter.access(makeCtx({ email: EMAIL }).ctx);
    fakes.salesforce.expireTokens();
    expect((await adapter.erase(makeCtx({ email: EMAIL }).ctx)).outcome).toBe('action_required');
    expect(fakes.pardot.active()).toHaveLength(1);
  });

  test('code 66 (concurrency) is retried; an enforced limit of 5 concurrent calls is respected by retries', async () => {
    seed();
    await adapter.access(makeCtx({ email: EMAIL }).ctx);
    fakes.pardot.rateLimitNext(1);
    expect((await adapter.access(makeCtx({ email: EMAIL }).ctx)).outcome).toBe('found');
    expect(fakes.pardot.rateLimited).toBe(1);

    fakes.pardot.setRateLimit({ maxConcurrent: 5 });
    fakes.pardot.slowNext(8, 150);
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => adapter.access(makeCtx({ email: EMAIL }).ctx)));
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    expect(fakes.pardot.rateLimited).toBeGreaterThan(1);

    fakes.pardot.setRateLimit({});
    fakes.pardot.rateLimitNext(3);
    const err = await failure(adapter.access(makeCtx({ email: EMAIL }).ctx));
    expect([err.kind, err.retryAfterMs]).toEqual(['rate_limited', 1000]);
    expect(err.message).toContain('concurrent request limit');
  });

  test('5xx → transient', async () => {
    seed();
    await adapter.access(makeCtx({ email: EMAIL }).ctx);
    fakes.pardot.failNext(3, 503);
    expect((await failure(adapter.access(makeCtx({ email: EMAIL }).ctx))).kind).toBe('transient');
  });
});
