// The inventory against the product's published data map, both versions (../shared/seeds beside the
// repository), item by item; then the inventory's own invariants.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from '@jest/globals';
import { DATA_ITEMS, NOT_STATED, PROCESSORS, PURPOSES, SOURCES, deriveRecipients, isDataItemKey, type DataItemKey, type MapVersion } from '../../src/inventory/inventory.js';
import { checkNothingInvented, checkVersion, parseSeed, type Inventory } from './seed-map.js';

const SEEDS_DIR = fileURLToPath(new URL('../../../shared/seeds/', import.meta.url));

function seedText(prefix: string): string {
  const files = readdirSync(SEEDS_DIR).filter((f) => f.startsWith(prefix) && f.endsWith('.txt'));
  expect(files).toHaveLength(1);
  return readFileSync(SEEDS_DIR + files[0], 'utf8');
}

const TEXT: Record<MapVersion, string> = { current: seedText('000_'), earlier: seedText('001_') };
const SEED = { current: parseSeed(TEXT.current), earlier: parseSeed(TEXT.earlier) };
// Held by the product, named by the map only indirectly (e-mail and name come from the inviting user).
// Not items of the map itself: the product's own invitations, and what Pardot's lead scoring produces.
const PRODUCT_OWN: DataItemKey[] = ['invitation', 'lead_score'];

const real = (): Inventory => ({ items: DATA_ITEMS, processors: PROCESSORS });
/** A deep copy to break on purpose. */
const copy = (): Inventory => structuredClone({ items: [...DATA_ITEMS], processors: PROCESSORS }) as Inventory;
const item = (inv: Inventory, key: DataItemKey) => inv.items.find((i) => i.key === key)!;
type Writable<T> = { -readonly [K in keyof T]: T[K] extends readonly (infer E)[] ? E[] : T[K] };
const w = <T>(x: T) => x as Writable<T>;

describe('the seeds parse completely', () => {
  test.each(['current', 'earlier'] as const)('%s: 19 items, the providers of that version, nothing unplaced', (v) => {
    const s = SEED[v];
    expect(s.problems).toEqual([]);
    expect(s.items.size).toBe(19);
    expect(s.providers.map((p) => p.key)).toEqual(
      v === 'current'
        ? ['amplitude', 'auth0', 'hotjar', 'intercom', 'pardot', 'sendgrid']
        : ['amplitude', 'auth0', 'hotjar', 'inline-manual', 'intercom', 'sendgrid'],
    );
    expect(s.items.get('email')!.uses.length).toBe(v === 'current' ? 8 : 9);
    expect(s.providers.find((p) => p.key === 'auth0')!.receives.map((e) => e.key)).toEqual(['email']);
    expect([...s.tableRecipients]).toContain('azure-app-insights');
  });

  test('a line the mapping does not know is reported, not skipped', () => {
    const text = TEXT.current.replace('    Hotjar – tracking and analysis\n', '    Hotjar – tracking and analysis\n    Acme – profiling everyone\n');
    expect(text).not.toBe(TEXT.current);
    expect(parseSeed(text).problems).toEqual(['unrecognised line under "Events and activity tracking": Acme – profiling everyone']);
    const provider = TEXT.current.replace('    • State\n', '    • State\n    • Shoe size\n');
    expect(parseSeed(provider).problems).toEqual(['unrecognised entry under Pardot: Shoe size']);
  });
});

describe('the inventory states every fact of the data map', () => {
  test.each(['current', 'earlier'] as const)('%s version', (v) => {
    expect(checkVersion(SEED[v], v, real())).toEqual([]);
  });

  test('and nothing the map does not (beyond the product\'s own items)', () => {
    expect(checkNothingInvented([SEED.current, SEED.earlier], real(), PRODUCT_OWN)).toEqual([]);
  });

  test('pairs the map adds only through a provider section are there (Pardot), with the version that states them', () => {
    for (const key of ['email', 'name', 'phone_number', 'user_id', 'company', 'country'] as const) {
      expect(item(real(), key).uses).toContainEqual({ purpose: PURPOSES.marketing, recipient: 'pardot', inMap: ['current'] });
    }
    expect(item(real(), 'name').uses).toContainEqual({ purpose: PURPOSES.analytics, recipient: 'amplitude', inMap: ['earlier'] });
    expect(item(real(), 'name').uses).toContainEqual({ purpose: PURPOSES.onboarding, recipient: 'inline-manual', inMap: ['earlier'], note: 'first name only' });
  });
});

describe('the checker fails when the inventory drops or misstates a fact', () => {
  const current = (inv: Inventory) => checkVersion(SEED.current, 'current', inv);
  const earlier = (inv: Inventory) => checkVersion(SEED.earlier, 'earlier', inv);

  test('a use missing from an item (Pardot for the phone number)', () => {
    const inv = copy();
    const phone = item(inv, 'phone_number');
    w(phone).uses = phone.uses.filter((u) => u.recipient !== 'pardot');
    expect(current(inv)).toEqual(['current: phone_number: no use to pardot in this version, though its section lists it']);
  });

  test('a pair of the earlier version (Inline Manual onboarding for the e-mail address)', () => {
    const inv = copy();
    const email = item(inv, 'email');
    w(email).uses = email.uses.filter((u) => u.recipient !== 'inline-manual');
    expect(earlier(inv)).toEqual([
      'earlier: email: use onboarding to inline-manual is missing',
      'earlier: email: no use to inline-manual in this version, though its section lists it',
    ]);
    expect(current(inv)).toEqual([]);
  });

  test('a use ascribed to a version that does not state it', () => {
    const inv = copy();
    const use = item(inv, 'phone_number').uses.find((u) => u.recipient === 'pardot')!;
    w(use).inMap = ['current', 'earlier'];
    expect(earlier(inv)).toEqual([`earlier: phone_number: use "${PURPOSES.marketing}" to pardot is not in this version`]);
  });

  test('the domain-only note, a source, an office, a listed item, a version of a processor', () => {
    const inv = copy();
    const email = item(inv, 'email');
    for (const u of email.uses) if (u.recipient === 'amplitude') delete w(u).note;
    const name = item(inv, 'name');
    w(name).sources = name.sources.filter((s) => s !== SOURCES.invitedBy);
    inv.processors.hotjar.office = 'Valletta, Malta';
    inv.processors.pardot.sends = inv.processors.pardot.sends.filter((k) => k !== 'company');
    inv.processors.pardot.inMap = ['current', 'earlier'];
    expect(current(inv)).toEqual([
      'current: email: use analytics to amplitude (domain part only) is missing',
      `current: name: source "${SOURCES.invitedBy}" is missing`,
      `current: hotjar: office "Valletta, Malta" differs from "Level 2, St Julian's Business Centre, 3, Elia Zammit Street, St Julian's STJ 1000, Malta"`,
      'current: pardot sends: company ("Company") is missing',
    ]);
    expect(earlier(inv)).toContain('earlier: processor pardot is not named in this version');
  });

  test('every single use, source and exchanged item counts: dropping any one of them is reported', () => {
    const both = (inv: Inventory) => [...current(inv), ...earlier(inv)];
    let dropped = 0;
    DATA_ITEMS.forEach((it, n) => {
      if (PRODUCT_OWN.includes(it.key)) return; // not in the map: nothing to check it against
      it.uses.forEach((u, m) => {
        if (u.inMap.length === 0) return;
        const inv = copy();
        w(inv.items[n]!).uses = inv.items[n]!.uses.filter((_, j) => j !== m);
        expect([`${it.key}: ${u.purpose} ${u.recipient ?? ''}`, both(inv).length > 0]).toEqual([`${it.key}: ${u.purpose} ${u.recipient ?? ''}`, true]);
        dropped++;
      });
      it.sources.forEach((s, m) => {
        if (s === NOT_STATED) return;
        const inv = copy();
        w(inv.items[n]!).sources = inv.items[n]!.sources.filter((_, j) => j !== m);
        expect([`${it.key}: ${s}`, both(inv).length > 0]).toEqual([`${it.key}: ${s}`, true]);
        dropped++;
      });
    });
    for (const p of Object.values(PROCESSORS)) {
      for (const dir of ['sends', 'receives'] as const) {
        for (const k of p[dir]) {
          const inv = copy();
          inv.processors[p.key][dir] = p[dir].filter((x) => x !== k);
          expect([`${p.key} ${dir} ${k}`, both(inv).length > 0]).toEqual([`${p.key} ${dir} ${k}`, true]);
          dropped++;
        }
      }
    }
    expect(dropped).toBeGreaterThan(100);
  });

  test('an invented source or exchanged item', () => {
    const inv = copy();
    const company = item(inv, 'company');
    w(company).sources = [SOURCES.signUp];
    inv.processors.hotjar.sends = [...inv.processors.hotjar.sends, 'email'];
    expect(checkNothingInvented([SEED.current, SEED.earlier], inv, PRODUCT_OWN)).toEqual([
      `company: source "${SOURCES.signUp}" is not in the map`,
      'hotjar sends: email is not in the map',
    ]);
  });
});

describe('inventory invariants', () => {
  test('every item has a source, a retention statement and uses whose recipients exist', () => {
    for (const i of DATA_ITEMS) {
      expect(i.sources.length).toBeGreaterThanOrEqual(1);
      for (const s of i.sources) expect(s.trim()).not.toBe('');
      if (i.sources.includes(NOT_STATED)) expect(i.sources).toEqual([NOT_STATED]);
      expect(i.retention.trim()).not.toBe('');
      expect(i.uses.length).toBeGreaterThanOrEqual(1);
      for (const u of i.uses) {
        expect(u.purpose.trim()).not.toBe('');
        if (u.recipient !== undefined) expect(Object.keys(PROCESSORS)).toContain(u.recipient);
        for (const v of u.inMap) expect(['current', 'earlier']).toContain(v);
      }
    }
  });

  test('keys are unique and every key the adapters emit still exists', () => {
    expect(new Set(DATA_ITEMS.map((i) => i.key)).size).toBe(DATA_ITEMS.length);
    const emitted = [
      'activity', 'address', 'browser', 'business_role', 'business_type', 'company', 'content', 'country', 'device_type',
      'email', 'geolocation', 'invitation', 'ip_address', 'name', 'operating_system', 'payer_id', 'phone_number',
      'subscription_plan', 'user_creation_date', 'user_id', 'user_role',
    ];
    for (const k of emitted) expect(isDataItemKey(k)).toBe(true);
    expect(isDataItemKey('shoe_size')).toBe(false);
  });

  test('every processor exchanges only item keys, each with a use to it, and says where it stands on transfers', () => {
    for (const [key, p] of Object.entries(PROCESSORS)) {
      expect(p.key).toBe(key);
      for (const k of [...p.sends, ...p.receives]) {
        expect(isDataItemKey(k)).toBe(true);
        expect(DATA_ITEMS.find((i) => i.key === k)!.uses.some((u) => u.recipient === p.key)).toBe(true);
      }
      for (const k of Object.keys(p.notes ?? {})) expect([...p.sends, ...p.receives]).toContain(k);
      expect(p.inMap.length).toBeGreaterThanOrEqual(1);
      if (p.inEea !== true) {
        expect(typeof p.safeguard).toBe('string');
        expect(p.safeguard!.trim()).not.toBe('');
      }
    }
    expect(PROCESSORS.hotjar.inEea).toBe(true);
    expect(PROCESSORS.intercom.inEea).toBe(true);
    expect(PROCESSORS['inline-manual'].inEea).toBe(false);
    for (const k of ['amplitude', 'auth0', 'pardot', 'sendgrid'] as const) expect(PROCESSORS[k].inEea).toBe(false);
  });

  test('every processor is some item\'s recipient', () => {
    const recipients = new Set(DATA_ITEMS.flatMap((i) => i.uses.flatMap((u) => (u.recipient ? [u.recipient] : []))));
    expect([...recipients].sort()).toEqual(Object.keys(PROCESSORS).sort());
  });

  test('only the password cannot be shown back, and it says who holds it and why', () => {
    expect(DATA_ITEMS.filter((i) => !i.readable).map((i) => i.key)).toEqual(['password']);
    for (const i of DATA_ITEMS) expect(i.notShown === undefined).toBe(i.readable);
    const pw = DATA_ITEMS.find((i) => i.key === 'password')!;
    expect(pw.notShown!.heldBy).toBe('auth0');
    expect(pw.uses.map((u) => u.recipient)).toContain('auth0');
    expect(pw.notShown!.why).toMatch(/hash/);
  });

  test('Pardot\'s lead scoring is described as profiling without an Art. 22 decision', () => {
    const p = PROCESSORS.pardot.profiling!;
    expect(p.art22Decision).toBe(false);
    for (const s of [p.what, p.logic, p.consequences]) expect(s.trim()).not.toBe('');
    expect(p.consequences).toMatch(/profiling/);
    expect(Object.values(PROCESSORS).filter((x) => x.profiling).map((x) => x.key)).toEqual(['pardot']);
  });

  test('the derived purposes and recipients follow the uses', () => {
    for (const i of DATA_ITEMS) {
      expect(i.recipients).toEqual(deriveRecipients(i.uses));
      for (const u of i.uses) if (u.inMap.length === 0 || u.inMap.includes('current')) expect(i.purposes).toContain(u.purpose);
    }
    const name = DATA_ITEMS.find((i) => i.key === 'name')!;
    expect(name.purposes).not.toContain(PURPOSES.onboarding);
    expect(name.recipients).toContainEqual({ processor: 'amplitude', note: 'named only in an earlier version of our data map' });
    expect(DATA_ITEMS.find((i) => i.key === 'phone_number')!.recipients.map((r) => r.processor)).toEqual(['intercom', 'pardot']);
  });
});
