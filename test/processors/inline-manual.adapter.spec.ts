// Inline Manual against its fake (vendors.md §7, §9.1): per-site tokens (disabled, no write access),
// a case-insensitive full-text search (partial matches are other people). The paths are unconfirmed
// settings, so an answer that is not the People API's is an error naming the setting, and every
// DELETE is confirmed by a second search.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { InlineManualFake, startVendorFakes, type VendorFakes } from '../../src/demo/fakes/index.js';
import { InlineManualAdapter } from '../../src/processors/inline-manual/inline-manual.adapter.js';
import { loadVendorConfig } from '../../src/processors/vendor-config.js';
import { failure, firstIndex, makeCtx, retryCtx } from './support.js';

const EMAIL = 'jane.doe@example.com';
const NOTE = 'Inline Manual API paths are configured (INLINE_MANUAL_SEARCH_PATH, INLINE_MANUAL_PROFILE_PATH), not confirmed by the vendor.';
let fakes: VendorFakes;
let adapter: InlineManualAdapter;

const cfg = () => loadVendorConfig(fakes.env).inlineManual;
const im = () => fakes.inlineManual;
const log = () => im().log.map((r) => `${r.method} ${r.path} ${r.status}`);

beforeAll(async () => {
  fakes = await startVendorFakes();
  adapter = new InlineManualAdapter(cfg(), 3000);
});
afterAll(() => fakes.stop());
beforeEach(() => {
  fakes.reset();
  im().unknownPathAnswer = 'json404';
});

function seed() {
  im().addProfile({ id: 'p1', email: EMAIL, name: 'Jane', created_at: '2025-03-01T10:00:00.000Z' });
  im().addProfile({ id: 'p2', email: 'JANE.DOE@example.com', first_name: 'Jane', last_name: 'Doe' });
  // Full-text search also returns these; they are someone else.
  im().addProfile({ id: 'p3', email: `x${EMAIL}`, name: 'Not Jane' });
  im().addProfile({ id: 'p4', email: 'other@example.com', name: 'jane.doe@example.com fan' });
}

describe('Inline Manual access', () => {
  test('exact (case-insensitive) e-mail matches of the full-text search, each profile read and mapped', async () => {
    seed();
    const res = await adapter.access(makeCtx({ email: EMAIL }).ctx);
    expect(res.outcome).toBe('found');
    expect(res.note).toBe(NOTE);
    expect((res.records as { id: string }[]).map((r) => r.id)).toEqual(['p1', 'p2']);
    expect(res.items).toEqual([
      { item: 'email', value: EMAIL, where: 'Inline Manual profile p1' },
      { item: 'name', value: 'Jane', where: 'Inline Manual profile p1' },
      { item: 'user_creation_date', value: '2025-03-01T10:00:00.000Z', where: 'Inline Manual profile p1' },
      { item: 'email', value: 'JANE.DOE@example.com', where: 'Inline Manual profile p2' },
      { item: 'name', value: 'Jane Doe', where: 'Inline Manual profile p2' },
      { item: 'user_creation_date', value: im().profiles.get('p2')!.created_at, where: 'Inline Manual profile p2' },
    ]);
    expect(log()).toEqual(['GET /people 200', 'GET /people/p1 200', 'GET /people/p2 200']);
    expect(im().calls[0]!.query).toEqual([['search', EMAIL]]);
    expect(im().calls[0]!.headers.authorization).toBe(`Bearer ${im().apiToken}`);
  });

  test('not_found only when the search worked and holds no exact match', async () => {
    im().addProfile({ email: `x${EMAIL}` });
    expect(await adapter.access(makeCtx({ email: EMAIL }).ctx)).toEqual({ outcome: 'not_found', items: [], records: [], note: NOTE });
    expect(await adapter.erase(makeCtx({ email: EMAIL }).ctx)).toEqual({ outcome: 'not_found', actions: [], retained: [], note: NOTE });
    expect(im().requests('DELETE')).toHaveLength(0);
  });

  test.each([
    ['a JSON 404', 'json404', /^Inline Manual GET \/people-search answered HTTP 404: not the People search; check INLINE_MANUAL_BASE_URL and INLINE_MANUAL_SEARCH_PATH \(\/people-search\?search=\{email\}\)$/],
    ['an HTML 404', 'html404', /answered HTTP 404: not the People search; check INLINE_MANUAL_BASE_URL and INLINE_MANUAL_SEARCH_PATH/],
    ['an HTML page with 200', 'html200', /^Inline Manual answered HTTP 200 with text\/html, not JSON: check INLINE_MANUAL_BASE_URL and INLINE_MANUAL_SEARCH_PATH \(\/people-search\?search=\{email\}\)$/],
  ] as const)('a wrong search path answering %s is a permanent error naming INLINE_MANUAL_SEARCH_PATH, never not_found', async (_what, answer, message) => {
    seed();
    im().unknownPathAnswer = answer;
    const wrong = new InlineManualAdapter({ ...cfg(), searchPath: '/people-search?search={email}' }, 3000);
    for (const run of [() => wrong.access(makeCtx({ email: EMAIL }).ctx), () => wrong.erase(makeCtx({ email: EMAIL }).ctx)]) {
      const err = await failure(run());
      expect(err.kind).toBe('permanent');
      expect(err.message).toMatch(message);
      expect(err.message).not.toContain(EMAIL);
    }
    expect(im().requests('DELETE')).toHaveLength(0);
    expect(im().profiles.size).toBe(4);
  });

  test('a search answer without a list of profiles is an error', async () => {
    im().failNext(1, 200, { people_count: 2 });
    const err = await failure(adapter.access(makeCtx({ email: EMAIL }).ctx));
    expect([err.kind, err.message]).toEqual(['permanent', 'Inline Manual search answered JSON without a list of profiles: check INLINE_MANUAL_SEARCH_PATH (/people?search={email})']);
  });

  test('a wrong profile path: 404 for a profile the search returns is an error naming INLINE_MANUAL_PROFILE_PATH', async () => {
    seed();
    const wrong = new InlineManualAdapter({ ...cfg(), profilePath: '/profiles/{id}' }, 3000);
    const err = await failure(wrong.access(makeCtx({ email: EMAIL }).ctx));
    expect([err.kind, err.message]).toEqual(['permanent', 'Inline Manual answered 404 for a profile its search returns: check INLINE_MANUAL_PROFILE_PATH (/profiles/{id})']);
  });
});

describe('Inline Manual erasure', () => {
  test('deletes the exact matches after saving their ids, confirms with a second search; a retry (404s) reports the same', async () => {
    seed();
    const first = makeCtx({ email: EMAIL }, im());
    const r1 = await adapter.erase(first.ctx);
    expect(r1).toEqual({
      outcome: 'erased',
      actions: [{ what: 'Inline Manual user profile', count: 2, how: 'deleted' }],
      retained: [],
      note: `${NOTE} Deletion confirmed: the search no longer finds the subject.`,
    });
    expect(first.saved).toEqual({ inlineManualProfileIds: ['p1', 'p2'] });
    expect(first.savedAtLogLength[0]).toBeLessThanOrEqual(firstIndex(im(), 'DELETE'));
    expect(log()).toEqual(['GET /people 200', 'DELETE /people/p1 204', 'DELETE /people/p2 204', 'GET /people 200']);
    expect([...im().profiles.keys()]).toEqual(['p3', 'p4']);

    expect(await adapter.erase(retryCtx(first, im()).ctx)).toEqual(r1);
    expect(im().requests('DELETE').map((r) => r.status)).toEqual([204, 204, 404, 404]);
  });

  test('a DELETE that removes nothing is an error: an HTML 200 or a 404 while the search still finds the profile', async () => {
    seed();
    im().unknownPathAnswer = 'html200';
    const html = await failure(new InlineManualAdapter({ ...cfg(), profilePath: '/profile/{id}/remove' }, 3000).erase(makeCtx({ email: EMAIL }).ctx));
    expect([html.kind, html.message]).toEqual(['transient', "Inline Manual still lists 2 profile(s) with the subject's e-mail after deletion: DELETE was accepted but the search still returns the profile: check INLINE_MANUAL_PROFILE_PATH (/profile/{id}/remove)"]);

    im().unknownPathAnswer = 'json404';
    const t = makeCtx({ email: EMAIL });
    const gone = await failure(new InlineManualAdapter({ ...cfg(), profilePath: '/profiles/{id}' }, 3000).erase(t.ctx));
    expect([gone.kind, gone.message]).toEqual(['transient', "Inline Manual still lists 2 profile(s) with the subject's e-mail after deletion: DELETE answered 404 for a profile the search still returns: check INLINE_MANUAL_PROFILE_PATH (/profiles/{id})"]);
    expect(t.saved).toEqual({ inlineManualProfileIds: ['p1', 'p2'] });
    expect(im().profiles.size).toBe(4);
  });

  test('a profile that appears between the lookup and the check fails the attempt; the retry deletes it too', async () => {
    seed();
    const t = makeCtx({ email: EMAIL }, im());
    // The new profile arrives once the ids are saved, while the deletes run.
    const save = t.ctx.saveRefs;
    t.ctx.saveRefs = async (refs) => {
      await save(refs);
      im().addProfile({ id: 'p9', email: EMAIL });
    };
    const err = await failure(adapter.erase(t.ctx));
    expect([err.kind, err.message]).toEqual(['transient', "Inline Manual still lists 1 profile(s) with the subject's e-mail after deletion: the search returns a profile with the subject's e-mail that appeared after the lookup"]);
    const r = await adapter.erase(retryCtx(t, im()).ctx);
    expect(r.actions).toEqual([{ what: 'Inline Manual user profile', count: 3, how: 'deleted' }]);
    expect([...im().profiles.keys()]).toEqual(['p3', 'p4']);
  });

  test('a token without write access cannot delete (403 → auth); a wrong or disabled token → auth', async () => {
    seed();
    const ro = await failure(new InlineManualAdapter({ ...cfg(), apiToken: im().readOnlyToken }, 3000).erase(makeCtx({ email: EMAIL }).ctx));
    expect([ro.kind, ro.status]).toEqual(['auth', 403]);
    expect(im().profiles.size).toBe(4);
    expect((await failure(new InlineManualAdapter({ ...cfg(), apiToken: 'nope' }, 3000).access(makeCtx({ email: EMAIL }).ctx))).kind).toBe('auth');
    im().disableToken(im().apiToken);
    expect(await failure(adapter.access(makeCtx({ email: EMAIL }).ctx))).toMatchObject({ kind: 'auth', status: 401 });
  });
});

describe('Inline Manual settings', () => {
  test('other paths, auth header and scheme are honoured end to end; 5xx → transient', async () => {
    const custom = await new InlineManualFake({ searchPath: '/v3/people/search', searchParam: 'q', profilePath: '/v3/people/{id}/profile', authHeader: 'X-Api-Token', authScheme: '' }).start();
    try {
      custom.addProfile({ id: 'c1', email: EMAIL, name: 'Jane' });
      const cfgd = loadVendorConfig({
        ...fakes.env,
        INLINE_MANUAL_BASE_URL: custom.url,
        INLINE_MANUAL_SEARCH_PATH: '/v3/people/search?q={email}',
        INLINE_MANUAL_PROFILE_PATH: '/v3/people/{id}/profile',
        INLINE_MANUAL_AUTH_HEADER: 'X-Api-Token',
        INLINE_MANUAL_AUTH_SCHEME: '',
      }).inlineManual;
      const a = new InlineManualAdapter(cfgd, 3000);
      expect((await a.access(makeCtx({ email: EMAIL }).ctx)).outcome).toBe('found');
      expect(custom.calls[0]!.headers['x-api-token']).toBe(custom.apiToken);
      expect((await a.erase(makeCtx({ email: EMAIL }).ctx)).outcome).toBe('erased');
      expect(custom.log.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
        'GET /v3/people/search 200', 'GET /v3/people/c1/profile 200',
        'GET /v3/people/search 200', 'DELETE /v3/people/c1/profile 204', 'GET /v3/people/search 200',
      ]);
      custom.failNext(3, 502);
      expect((await failure(a.access(makeCtx({ email: EMAIL }).ctx))).kind).toBe('transient');
    } finally {
      await custom.stop();
    }
  });
});
