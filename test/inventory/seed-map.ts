// Reads the product's published data map (the seeds in ../shared/seeds) and checks an inventory against
// it. The mapping from the map's phrases to the inventory's keys lives here, not in the inventory:
// a phrase this file does not know is reported, so a new item, source, purpose or provider in the map
// fails the test until the inventory (and this table) take it in.
import { NOT_STATED, PURPOSES, SOURCES, type DataItem, type DataItemKey, type MapVersion, type Processor, type ProcessorKey } from '../../src/inventory/inventory.js';

type PurposeKey = keyof typeof PURPOSES;

/** Spaces, quotes and the product's two names made uniform, so both versions read alike. */
export function normalize(s: string): string {
  return s
    .replace(/\u00a0/g, ' ')
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/Kentico Kontent|Kontent\.ai|Kentico/g, '<product>')
    .replace(/\s+/g, ' ')
    .trim();
}

// The map's item names, as they open a row of its item table.
const ITEM_NAMES: Record<string, DataItemKey> = {
  Address: 'address',
  Browser: 'browser',
  'Business type': 'business_type',
  'Business role': 'business_role',
  Content: 'content',
  'Device type': 'device_type',
  'Email address': 'email',
  'Events and activity tracking': 'activity',
  'Geolocation data': 'geolocation',
  'IP address': 'ip_address',
  Name: 'name',
  'Operating system': 'operating_system',
  Password: 'password',
  'Payer ID': 'payer_id',
  'Phone number': 'phone_number',
  'Subscription plan': 'subscription_plan',
  'User creation date': 'user_creation_date',
  'User ID': 'user_id',
  'User role': 'user_role',
};

// The map's source phrases → the inventory's wording.
const SOURCE_PHRASES: Record<string, string> = {
  'Provided by the user when entering payment information': SOURCES.paymentDetails,
  "Extracted from the user's browser": SOURCES.browser,
  'Provided by the user during sign-up': SOURCES.signUp,
  'Provided by the user when using <product>': SOURCES.usingProduct,
  'Provided by other user when inviting the user': SOURCES.invitedBy,
  'Logged by the system when user performs an action': SOURCES.activityLog,
  'Extracted from network communication with the user': SOURCES.network,
  'Provided by the user on the user profile page': SOURCES.profilePage,
  // The payer ID's source column repeats the item's name: the map gives no source.
  'Payer ID': NOT_STATED,
  'Assigned by the system during sign-up': SOURCES.planAtSignUp,
  'Managed by the user': SOURCES.planChanges,
  'System-generated during sign-up': SOURCES.generatedAtSignUp,
  'Configured by other user with required permissions': SOURCES.setByOtherUser,
};

interface UseLine {
  /** null: the company itself ("Billing", "User profile", "Invitations", and descriptions). */
  recipient: ProcessorKey | null;
  purpose: PurposeKey;
  note?: string;
}

// The map's "Recipient – purpose" lines (and the descriptions some rows give instead) → a use.
const USE_LINES: Record<string, UseLine> = {
  'Billing – used for invoicing': { recipient: null, purpose: 'billingInvoicing' },
  'Billing – used for invoices and reports': { recipient: null, purpose: 'billingInvoicesReports' },
  'Billing – used for generating reports and subscription management': { recipient: null, purpose: 'billingReportsSubscription' },
  'Billing – used to identify the user in the billing system': { recipient: null, purpose: 'billingIdentify' },
  'Billing – subscription management': { recipient: null, purpose: 'billingSubscription' },
  'User profile – managing user profile information': { recipient: null, purpose: 'profile' },
  'Invitations – used to invite new users to <product> projects': { recipient: null, purpose: 'invitations' },
  'Any content typed in by the user. Also includes user information in comments, older versions, workflows, and so on.': {
    recipient: null,
    purpose: 'content',
  },
  'Your phone number is used for account recovery and verification.': { recipient: null, purpose: 'accountRecovery' },
  'Unique identification in the product': { recipient: null, purpose: 'uniqueId' },
  'Determines what the user can access in <product>': { recipient: null, purpose: 'accessControl' },
  'Azure Application Insights – debugging and problem analysis': { recipient: 'azure-app-insights', purpose: 'diagnostics' },
  'Intercom – used for support requests within <product> and other communication with <product>': { recipient: 'intercom', purpose: 'support' },
  'Amplitude – tracking and analysis': { recipient: 'amplitude', purpose: 'analytics' },
  'Amplitude – tracking and analysis (domain only)': { recipient: 'amplitude', purpose: 'analytics', note: 'domain part only' },
  'Hotjar – tracking and analysis': { recipient: 'hotjar', purpose: 'analytics' },
  'Authentication – used to authenticate the user during sign-in (Auth0)': { recipient: 'auth0', purpose: 'signIn' },
  'Emails – sending service and subscription notifications (SendGrid)': { recipient: 'sendgrid', purpose: 'notifications' },
  'Inline Manual – used for user onboarding': { recipient: 'inline-manual', purpose: 'onboarding' },
};

const PROVIDERS: Record<string, ProcessorKey> = {
  Amplitude: 'amplitude',
  Auth0: 'auth0',
  Hotjar: 'hotjar',
  Intercom: 'intercom',
  Pardot: 'pardot',
  SendGrid: 'sendgrid',
  'Inline Manual': 'inline-manual',
};

// Entries of the providers' "Data we send / receive" lists.
const ENTRIES: Record<string, { key: DataItemKey; note?: string }> = {
  'Business role': { key: 'business_role' },
  'Business type': { key: 'business_type' },
  'Domain of the email address': { key: 'email', note: 'domain part only' },
  'Email address': { key: 'email' },
  'Events and activity tracking (data acquired thereby)': { key: 'activity' },
  'Events and activity tracking': { key: 'activity' },
  'User ID': { key: 'user_id' },
  'Name (First name, Last name)': { key: 'name' },
  'First name': { key: 'name', note: 'first name only' },
  Country: { key: 'country' },
  State: { key: 'country' },
  Company: { key: 'company' },
  'Phone number': { key: 'phone_number' },
  'Subscription plan': { key: 'subscription_plan' },
  'User creation date': { key: 'user_creation_date' },
};

export interface SeedItem {
  name: string;
  key: DataItemKey;
  /** In the inventory's wording. */
  sources: string[];
  uses: (UseLine & { line: string })[];
}

export interface SeedEntry {
  text: string;
  key: DataItemKey;
  note?: string;
}

export interface SeedProvider {
  heading: string;
  key: ProcessorKey;
  entity: string;
  office: string;
  description: string;
  sends: SeedEntry[];
  receives: SeedEntry[];
}

export interface Seed {
  items: Map<DataItemKey, SeedItem>;
  providers: SeedProvider[];
  /** Processors the item table names as recipients. */
  tableRecipients: Set<ProcessorKey>;
  /** Lines this file could not place: each is a failure. */
  problems: string[];
}

const byLength = (a: string, b: string) => b.length - a.length;
const ITEM_NAMES_LONGEST = Object.keys(ITEM_NAMES).sort(byLength);
const SOURCES_LONGEST = Object.keys(SOURCE_PHRASES).sort(byLength);

/** A row's first line is "<item name><source><first purpose>" with nothing between them. */
function rowStart(line: string): { name: string; source: string; rest: string } | undefined {
  for (const name of ITEM_NAMES_LONGEST) {
    if (!line.startsWith(name)) continue;
    const afterName = line.slice(name.length);
    const source = SOURCES_LONGEST.find((s) => afterName.startsWith(s));
    if (source) return { name, source, rest: afterName.slice(source.length) };
  }
  return undefined;
}

export function parseSeed(text: string): Seed {
  const lines = text.split(/\r?\n/).map(normalize);
  const seed: Seed = { items: new Map(), providers: [], tableRecipients: new Set(), problems: [] };
  const start = lines.indexOf('DataSourcePurpose / Description');
  const end = lines.indexOf('Third-party services');
  if (start < 0 || end < start) {
    seed.problems.push('item table not found');
    return seed;
  }

  let row: SeedItem | undefined;
  const addUse = (line: string) => {
    const use = USE_LINES[line];
    if (!use) seed.problems.push(`unrecognised line under "${row!.name}": ${line}`);
    else {
      row!.uses.push({ ...use, line });
      if (use.recipient) seed.tableRecipients.add(use.recipient);
    }
  };
  for (const line of lines.slice(start + 1, end)) {
    if (!line) continue;
    const first = rowStart(line);
    if (first) {
      const key = ITEM_NAMES[first.name]!;
      if (seed.items.has(key)) seed.problems.push(`item "${first.name}" appears twice`);
      row = { name: first.name, key, sources: [SOURCE_PHRASES[first.source]!], uses: [] };
      seed.items.set(key, row);
      if (first.rest) addUse(first.rest);
    } else if (!row) seed.problems.push(`line before the first item: ${line}`);
    else if (line in SOURCE_PHRASES) row.sources.push(SOURCE_PHRASES[line]!);
    else addUse(line);
  }

  const rest = lines.slice(end + 1);
  const providerAt = rest.flatMap((l, i) => (l.startsWith('Provider:') ? [i] : []));
  const headingAt = providerAt.map((i) => {
    let h = i - 1;
    while (h >= 0 && !rest[h]) h--;
    return h;
  });
  providerAt.forEach((at, n) => {
    const heading = rest[headingAt[n]!] ?? '';
    const key = PROVIDERS[heading];
    const m = /^Provider: (.+?), having its registered office (?:at )?(.+)$/.exec(rest[at]!);
    if (!key || !m) {
      seed.problems.push(`unrecognised provider "${heading}": ${rest[at]}`);
      return;
    }
    const p: SeedProvider = { heading, key, entity: m[1]!, office: m[2]!, description: '', sends: [], receives: [] };
    let list: SeedEntry[] | undefined;
    for (const line of rest.slice(at + 1, headingAt[n + 1] ?? rest.length)) {
      if (!line) continue;
      if (line === 'Data we send:') list = p.sends;
      else if (line === 'Data we receive:') list = p.receives;
      else if (line.startsWith('•')) {
        const text = line.slice(1).trim();
        const entry = ENTRIES[text];
        if (!list || !entry) seed.problems.push(`unrecognised entry under ${heading}: ${text}`);
        else list.push({ text, ...entry });
      } else if (!p.description && !list) p.description = line;
      else seed.problems.push(`unrecognised line under ${heading}: ${line}`);
    }
    seed.providers.push(p);
  });
  return seed;
}

export interface Inventory {
  items: readonly DataItem[];
  processors: Record<ProcessorKey, Processor>;
}

const who = (r: ProcessorKey | null | undefined) => (r ? `to ${r}` : 'by the company');

/** Everything this version of the map states must be in the inventory, and nothing the inventory ascribes to this version may be missing from it. */
export function checkVersion(seed: Seed, version: MapVersion, inv: Inventory): string[] {
  const out: string[] = seed.problems.map((p) => `${version}: ${p}`);
  const items = new Map(inv.items.map((i) => [i.key, i]));

  for (const s of seed.items.values()) {
    const item = items.get(s.key);
    if (!item) {
      out.push(`${version}: item ${s.key} ("${s.name}") is missing`);
      continue;
    }
    for (const src of s.sources) if (!item.sources.includes(src)) out.push(`${version}: ${s.key}: source "${src}" is missing`);
    for (const u of s.uses) {
      const found = item.uses.some(
        (x) => (x.recipient ?? null) === u.recipient && x.purpose === PURPOSES[u.purpose] && x.inMap.includes(version) && (!u.note || x.note === u.note),
      );
      if (!found) out.push(`${version}: ${s.key}: use ${u.purpose} ${who(u.recipient)}${u.note ? ` (${u.note})` : ''} is missing`);
    }
  }

  for (const p of seed.providers) {
    const proc = inv.processors[p.key];
    if (!proc) {
      out.push(`${version}: processor ${p.key} is missing`);
      continue;
    }
    if (!proc.inMap.includes(version)) out.push(`${version}: processor ${p.key} does not say this version names it`);
    if (normalize(proc.entity) !== p.entity) out.push(`${version}: ${p.key}: entity "${proc.entity}" differs from "${p.entity}"`);
    if (normalize(proc.office) !== p.office) out.push(`${version}: ${p.key}: office "${proc.office}" differs from "${p.office}"`);
    for (const [dir, entries, listed] of [
      ['sends', p.sends, proc.sends],
      ['receives', p.receives, proc.receives],
    ] as const) {
      for (const e of entries) {
        if (!listed.includes(e.key)) out.push(`${version}: ${p.key} ${dir}: ${e.key} ("${e.text}") is missing`);
        if (e.note && proc.notes?.[e.key] !== e.note) out.push(`${version}: ${p.key} ${dir}: ${e.key} lacks the note "${e.note}"`);
        const item = items.get(e.key);
        if (!item?.uses.some((x) => x.recipient === p.key && x.inMap.includes(version))) {
          out.push(`${version}: ${e.key}: no use to ${p.key} in this version, though its section lists it`);
        }
      }
    }
    if (/scoring|profil/i.test(p.description) && !proc.profiling) out.push(`${version}: ${p.key}: profiling is not described`);
  }
  for (const r of seed.tableRecipients) {
    const proc = inv.processors[r];
    if (!proc?.inMap.includes(version)) out.push(`${version}: processor ${r} (a recipient in the item table) is missing or not marked`);
    // A recipient without a section of its own (Azure): what it is sent comes from the item table.
    if (!proc || seed.providers.some((p) => p.key === r)) continue;
    for (const s of seed.items.values()) {
      if (s.uses.some((u) => u.recipient === r) && !proc.sends.includes(s.key)) out.push(`${version}: ${r} sends: ${s.key} is missing`);
    }
  }

  // The other way: what the inventory ascribes to this version.
  const named = new Set<ProcessorKey>([...seed.tableRecipients, ...seed.providers.map((p) => p.key)]);
  for (const proc of Object.values(inv.processors)) {
    if (proc.inMap.includes(version) && !named.has(proc.key)) out.push(`${version}: processor ${proc.key} is not named in this version`);
  }
  const listedBy = (p: ProcessorKey, key: DataItemKey) =>
    seed.providers.some((s) => s.key === p && [...s.sends, ...s.receives].some((e) => e.key === key));
  const inSeed = (key: DataItemKey) => seed.items.has(key) || seed.providers.some((s) => [...s.sends, ...s.receives].some((e) => e.key === key));
  for (const item of inv.items) {
    for (const u of item.uses) {
      if (u.inMap.length === 0 && inSeed(item.key)) out.push(`${version}: ${item.key}: use "${u.purpose}" says no version states it`);
      if (!u.inMap.includes(version)) continue;
      const inTable = seed.items.get(item.key)?.uses.some((x) => (x.recipient ?? undefined) === u.recipient && PURPOSES[x.purpose] === u.purpose);
      const inSection = u.recipient !== undefined && listedBy(u.recipient, item.key);
      if (!inTable && !inSection) out.push(`${version}: ${item.key}: use "${u.purpose}" ${who(u.recipient)} is not in this version`);
    }
  }
  return out;
}

/** Items, sources and exchanged data the inventory states must come from some version of the map (or be the product's own). */
export function checkNothingInvented(seeds: Seed[], inv: Inventory, productOwn: readonly DataItemKey[]): string[] {
  const out: string[] = [];
  const entries = (p: ProcessorKey, dir: 'sends' | 'receives') =>
    seeds.flatMap((s) => s.providers.filter((x) => x.key === p).flatMap((x) => x[dir]));
  for (const item of inv.items) {
    if (productOwn.includes(item.key)) continue;
    const rows = seeds.flatMap((s) => (s.items.has(item.key) ? [s.items.get(item.key)!] : []));
    const listed = seeds.some((s) => s.providers.some((p) => [...p.sends, ...p.receives].some((e) => e.key === item.key)));
    if (!rows.length && !listed) {
      out.push(`item ${item.key} is in no version of the map`);
      continue;
    }
    const allowed = rows.length ? new Set(rows.flatMap((r) => r.sources)) : new Set([NOT_STATED]);
    for (const src of item.sources) if (!allowed.has(src)) out.push(`${item.key}: source "${src}" is not in the map`);
  }
  for (const p of Object.values(inv.processors)) {
    const hasSection = seeds.some((s) => s.providers.some((x) => x.key === p.key));
    for (const dir of ['sends', 'receives'] as const) {
      for (const key of p[dir]) {
        const ok = hasSection
          ? entries(p.key, dir).some((e) => e.key === key)
          : dir === 'sends' && seeds.some((s) => s.items.get(key)?.uses.some((u) => u.recipient === p.key));
        if (!ok) out.push(`${p.key} ${dir}: ${key} is not in the map`);
      }
    }
  }
  return out;
}
