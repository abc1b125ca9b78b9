// Hotjar against its strict fake (vendors.md §4, §9.2, §10): form-encoded client-credentials token,
// the user-lookup endpoint by e-mail and (with HOTJAR_SITE_ID) by site → user id; the report goes to
// the Hotjar account, never into the answer, so access is an officer action; deletion has no job id.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { startVendorFakes, type VendorFakes } from '../../src/demo/fakes/index.js';
import { HotjarAdapter } from '../../src/processors/hotjar/hotjar.adapter.js';
import { loadVendorConfig } from '../../src/processors/vendor-config.js';
import { failure, makeCtx, retryCtx } from './support.js';

const EMAIL = 'jane.doe@example.com';
const SUBJECT = { email: EMAIL, userId: 'u-42' };
let fakes: VendorFakes;
let adapter: HotjarAdapter;

const cfg = (env: Record<string, string> = {}) => loadVendorConfig({ ...fakes.env, ...env }).hotjar;
const hj = () => fakes.hotjar;
// Accepted lookups (the shared adapter's cached token is refused once after each fake reset).
const lookupBodies = () => hj().calls.filter((c) => c.path.endsWith('/user-lookup') && c.status === 200).map((c) => c.body);

beforeAll(async () => {
  fakes = await startVendorFakes({ hotjar: { lookupBody: { status: 'accepted' } } });
  adapter = new HotjarAdapter(cfg(), 3000);
});
afterAll(() => fakes.stop());
beforeEach(() => fakes.reset());

/** Survey responses under the e-mail and an identified user under the product's user id. */
function seed() {
  return hj().addSubject({ email: EMAIL, responses: [{ survey: 'NPS', answer: '9' }], userId: SUBJECT.userId, attributes: { plan: 'pro' } });
}

describe('Hotjar access', () => {
  test('looks up by e-mail and site → user id; the report goes to the Hotjar account, so an officer must forward it (never found / not_found)', async () => {
    expect(cfg().siteId).toBe(hj().siteId);
    const hits = seed();
    const t = makeCtx(SUBJECT, hj());
    const res = await adapter.access(t.ctx);
    expect(hj().log.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual(['POST /v1/oauth/token 200', `POST /v1/organizations/${hj().organizationId}/user-lookup 200`]);
    expect(hj().calls[0]!.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(lookupBodies()).toEqual([{ data_subject_email: EMAIL, data_subject_site_id_to_user_id_map: { [hj().siteId]: 'u-42' }, delete_all_hits: false }]);
    // What Hotjar sent to the account covers both kinds of data; nothing came back in the answer.
    expect(hj().reports.map((r) => [r.delivery, r.deleteAllHits, r.hits.map((h) => h.id)])).toEqual([['report sent to the Hotjar account', false, hits.map((h) => h.id)]]);

    const at = (t.saved.hotjarLookup as { at: string }).at;
    expect(t.saved).toEqual({ hotjarLookup: { at, response: { status: 'accepted' } } });
    expect(res.outcome).toBe('action_required');
    expect(res.items).toEqual([]);
    expect(res.records).toEqual([{ request: 'Hotjar user lookup', requestedAt: at, lookedUpBy: `the subject's e-mail address and user id u-42 on site ${hj().siteId}`, response: { status: 'accepted' } }]);
    expect(res.officerActions).toHaveLength(1);
    const action = res.officerActions![0]!;
    expect([action.kind, action.outcomeWhenDone, action.dueInDays]).toEqual(['hotjar_forward_report', 'forwarded', 7]);
    expect(action.instructions.split('\n')).toEqual([
      `Hotjar does not return the result of a user lookup through its API: it sends a User Lookup report to the company's Hotjar account (organization ${hj().organizationId}).`,
      `1. In Hotjar, find the User Lookup report Hotjar sent for this lookup: requested at ${at} (request req-1) by the subject's e-mail address and user id u-42 on site ${hj().siteId}.`,
      '2. Review it: check that every entry is about this subject.',
      '3. Send the report to the subject through the secure channel the company uses for access reports, then mark this action done.',
      "Tell the subject what it does not cover: personal data inside recordings and heatmaps: Hotjar's user lookup does not search them.",
    ]);
    expect(res.note).toMatch(/not into this answer/);

    // Hotjar holds nothing: still a lookup whose report must be forwarded, not "not_found".
    hj().reset();
    const empty = await adapter.access(makeCtx(SUBJECT).ctx);
    expect([empty.outcome, empty.officerActions?.[0]?.kind]).toEqual(['action_required', 'hotjar_forward_report']);
    expect(hj().reports.map((r) => r.hits)).toEqual([[]]);
  });

  test('a re-run does not send a second lookup (Hotjar would send a second report)', async () => {
    seed();
    const first = makeCtx(SUBJECT, hj());
    const r1 = await adapter.access(first.ctx);
    const r2 = await adapter.access(retryCtx(first, hj()).ctx);
    expect(r2).toEqual(r1);
    expect(lookupBodies()).toHaveLength(1);
  });

  test('without HOTJAR_SITE_ID the identified user is not looked up, and the officer is told so; without a product account there is nothing to look up by user id', async () => {
    seed();
    const noSite = new HotjarAdapter(cfg({ HOTJAR_SITE_ID: '' }), 3000);
    const res = await noSite.access(makeCtx(SUBJECT).ctx);
    expect(lookupBodies()).toEqual([{ data_subject_email: EMAIL, delete_all_hits: false }]);
    expect(hj().reports[0]!.hits.map((h) => h.kind)).toEqual(['response']); // the identified user's data is missed
    expect(res.officerActions![0]!.instructions).toContain('; data of users identified with the Identify API was not looked up, as HOTJAR_SITE_ID is not set.');

    const noAccount = await adapter.access(makeCtx({ email: EMAIL }).ctx);
    expect(lookupBodies()[1]).toEqual({ data_subject_email: EMAIL, delete_all_hits: false });
    expect(noAccount.officerActions![0]!.instructions).not.toContain('Identify');
    expect(() => loadVendorConfig({ HOTJAR_SITE_ID: 'site-1' })).toThrow('HOTJAR_SITE_ID');
  });
});

describe('Hotjar erasure', () => {
  test('delete_all_hits → scheduled with no job id, saying what the lookup does not cover; the data goes from the fake; a retry does not ask again', async () => {
    seed();
    hj().addResponse('someone.else@example.com');
    const t = makeCtx(SUBJECT, hj());
    const r1 = await adapter.erase(t.ctx);
    expect(lookupBodies()).toEqual([{ data_subject_email: EMAIL, data_subject_site_id_to_user_id_map: { [hj().siteId]: 'u-42' }, delete_all_hits: true }]);
    const at = t.saved.hotjarDeletionAt as string;
    expect(t.saved).toEqual({ hotjarOrganizationId: hj().organizationId, hotjarDeletionAt: at });
    expect(r1).toEqual({
      outcome: 'scheduled',
      actions: [{ what: `Hotjar data found by a user lookup by the subject's e-mail address and user id u-42 on site ${hj().siteId}`, count: 1, how: 'requested' }],
      retained: [],
      remains: "Not covered by this deletion: personal data inside recordings and heatmaps: Hotjar's user lookup does not search them, so Hotjar keeps what they hold.",
      note: `Hotjar accepted the deletion request (delete_all_hits) at ${at}; it gives no job id to follow.`,
    });
    expect(r1.vendorJob).toBeUndefined();
    expect(hj().dataFor({ email: EMAIL, siteUserIds: { [hj().siteId]: 'u-42' } })).toEqual([]);
    expect(hj().hits.map((h) => h.email)).toEqual(['someone.else@example.com']);

    expect(await adapter.erase(retryCtx(t, hj()).ctx)).toEqual(r1);
    expect(lookupBodies()).toHaveLength(1);
  });

  test('without HOTJAR_SITE_ID the identified user\'s data stays, and the result says so', async () => {
    seed();
    const r = await new HotjarAdapter(cfg({ HOTJAR_SITE_ID: '' }), 3000).erase(makeCtx(SUBJECT).ctx);
    expect(r.outcome).toBe('scheduled');
    expect(r.remains).toContain('data of users identified with the Identify API was not looked up, as HOTJAR_SITE_ID is not set');
    expect(hj().hits.map((h) => h.kind)).toEqual(['identified']);
  });
});

describe('Hotjar errors', () => {
  test('the token is cached, and refreshed once when it expires', async () => {
    const fresh = new HotjarAdapter(cfg(), 3000);
    await fresh.access(makeCtx(SUBJECT).ctx);
    await fresh.access(makeCtx(SUBJECT).ctx);
    expect(hj().requests('POST', '/v1/oauth/token')).toHaveLength(1);
    hj().expireTokens();
    await fresh.access(makeCtx(SUBJECT).ctx);
    expect(hj().requests('POST', '/v1/oauth/token')).toHaveLength(2);
    expect(hj().requests('POST', /user-lookup/).map((r) => r.status)).toEqual([200, 200, 401, 200]);
  });

  test('wrong secret or expired API key → auth; no API plan → auth; wrong organization → permanent; 5xx → transient', async () => {
    expect((await failure(new HotjarAdapter({ ...cfg(), clientSecret: 'x' }, 3000).access(makeCtx(SUBJECT).ctx))).kind).toBe('auth');
    hj().credentialsExpired = true;
    expect((await failure(new HotjarAdapter(cfg(), 3000).erase(makeCtx(SUBJECT).ctx))).kind).toBe('auth');
    hj().credentialsExpired = false;
    hj().apiPlan = false;
    expect(await failure(new HotjarAdapter(cfg(), 3000).access(makeCtx(SUBJECT).ctx))).toMatchObject({ kind: 'auth', status: 403 });
    hj().apiPlan = true;
    const wrongOrg = await failure(new HotjarAdapter({ ...cfg(), organizationId: '999' }, 3000).access(makeCtx(SUBJECT).ctx));
    expect([wrongOrg.kind, wrongOrg.status]).toEqual(['permanent', 404]);
    await adapter.access(makeCtx(SUBJECT).ctx);
    hj().failNext(3, 500);
    const t = makeCtx(SUBJECT);
    expect((await failure(adapter.erase(t.ctx))).kind).toBe('transient');
    expect(t.saved).toEqual({}); // not recorded as requested
  });
});
