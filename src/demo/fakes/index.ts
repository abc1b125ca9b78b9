// Starts one local fake per vendor and hands back the environment that points the processor
// adapters at them (for tests, the demo mode and benchmarks).
import { AmplitudeFake, type AmplitudeFakeOptions } from './amplitude.fake.js';
import { AppInsightsFake, type AppInsightsFakeOptions } from './app-insights.fake.js';
import { AppInsightsTelemetryStore, type AppInsightsStoreOptions } from './app-insights.store.js';
import { Auth0Fake, type Auth0FakeOptions } from './auth0.fake.js';
import { AzureLoginFake, type AzureLoginFakeOptions } from './azure-login.fake.js';
import { AzureManagementFake, type AzureManagementFakeOptions } from './azure-management.fake.js';
import { type FakeVendorServer, TokenRegistry } from './fake-server.js';
import { HotjarFake, type HotjarFakeOptions } from './hotjar.fake.js';
import { InlineManualFake, type InlineManualFakeOptions } from './inline-manual.fake.js';
import { IntercomFake, type IntercomFakeOptions } from './intercom.fake.js';
import { PardotFake, type PardotFakeOptions } from './pardot.fake.js';
import { SalesforceFake, type SalesforceFakeOptions } from './salesforce.fake.js';
import { SendGridFake, type SendGridFakeOptions } from './sendgrid.fake.js';

export * from './amplitude.fake.js';
export * from './app-insights.fake.js';
export * from './app-insights.kql.js';
export * from './app-insights.store.js';
export * from './auth0.fake.js';
export * from './azure-login.fake.js';
export * from './azure-management.fake.js';
export * from './fake-server.js';
export * from './hotjar.fake.js';
export * from './inline-manual.fake.js';
export * from './intercom.fake.js';
export * from './pardot.fake.js';
export * from './salesforce.fake.js';
export * from './sendgrid.fake.js';

export interface VendorFakesOptions {
  auth0?: Auth0FakeOptions;
  intercom?: IntercomFakeOptions;
  amplitude?: AmplitudeFakeOptions;
  hotjar?: HotjarFakeOptions;
  pardot?: PardotFakeOptions;
  salesforce?: SalesforceFakeOptions;
  sendgrid?: SendGridFakeOptions;
  inlineManual?: InlineManualFakeOptions;
  // Azure Application Insights: Entra login, query API and ARM purge share tokens and telemetry.
  azureLogin?: AzureLoginFakeOptions;
  appInsights?: Omit<AppInsightsFakeOptions, 'store' | 'tokens'> & { store?: AppInsightsStoreOptions };
  azureManagement?: Omit<AzureManagementFakeOptions, 'store' | 'tokens'>;
}

export interface VendorFakes {
  auth0: Auth0Fake;
  intercom: IntercomFake;
  amplitude: AmplitudeFake;
  hotjar: HotjarFake;
  pardot: PardotFake;
  salesforce: SalesforceFake;
  sendgrid: SendGridFake;
  inlineManual: InlineManualFake;
  azureLogin: AzureLoginFake;
  appInsights: AppInsightsFake;
  azureManagement: AzureManagementFake;
  all: FakeVendorServer[];
  /** Base URLs and credentials for `loadVendorConfig`, all pointing at the fakes. */
  env: Record<string, string>;
  reset(): void;
  stop(): Promise<void>;
}

export async function startVendorFakes(opts: VendorFakesOptions = {}): Promise<VendorFakes> {
  const auth0 = new Auth0Fake(opts.auth0);
  const intercom = new IntercomFake(opts.intercom);
  const amplitude = new AmplitudeFake(opts.amplitude);
  const hotjar = new HotjarFake(opts.hotjar);
  // Salesforce issues the OAuth tokens Pardot accepts (one registry, two hosts).
  const salesforce = new SalesforceFake({ tokens: new TokenRegistry(), ...opts.salesforce });
  const pardot = new PardotFake({ tokens: salesforce.tokens, salesforce, ...opts.pardot });
  const sendgrid = new SendGridFake(opts.sendgrid);
  const inlineManual = new InlineManualFake(opts.inlineManual);
  const { azureLogin, appInsights, azureManagement } = azureFakes(opts);
  const all: FakeVendorServer[] = [auth0, intercom, amplitude, hotjar, pardot, salesforce, sendgrid, inlineManual, azureLogin, appInsights, azureManagement];
  await Promise.all(all.map((f) => f.start()));
  const env: Record<string, string> = {
    AUTH0_BASE_URL: auth0.url,
    AUTH0_DOMAIN: auth0.domain,
    AUTH0_CLIENT_ID: auth0.clientId,
    AUTH0_CLIENT_SECRET: auth0.clientSecret,
    INTERCOM_BASE_URL: intercom.url,
    INTERCOM_ACCESS_TOKEN: intercom.accessToken,
    AMPLITUDE_BASE_URL: amplitude.url,
    AMPLITUDE_API_KEY: amplitude.apiKey,
    AMPLITUDE_SECRET_KEY: amplitude.secretKey,
    HOTJAR_BASE_URL: hotjar.url,
    HOTJAR_CLIENT_ID: hotjar.clientId,
    HOTJAR_CLIENT_SECRET: hotjar.clientSecret,
    HOTJAR_ORGANIZATION_ID: hotjar.organizationId,
    HOTJAR_SITE_ID: hotjar.siteId,
    PARDOT_BASE_URL: pardot.url,
    PARDOT_BUSINESS_UNIT_ID: pardot.businessUnitId,
    // The org's My Domain host: token host and instance_url (client credentials fail on login.salesforce.com).
    SALESFORCE_LOGIN_URL: salesforce.url,
    SALESFORCE_CLIENT_ID: salesforce.clientId,
    SALESFORCE_CLIENT_SECRET: salesforce.clientSecret,
    SENDGRID_BASE_URL: sendgrid.url,
    SENDGRID_API_KEY: sendgrid.apiKey,
    INLINE_MANUAL_BASE_URL: inlineManual.url,
    INLINE_MANUAL_API_TOKEN: inlineManual.apiToken,
    APPINSIGHTS_TENANT_ID: azureLogin.tenantId,
    APPINSIGHTS_CLIENT_ID: azureLogin.clientId,
    APPINSIGHTS_CLIENT_SECRET: azureLogin.clientSecret,
    APPINSIGHTS_APP_ID: appInsights.appId,
    APPINSIGHTS_RESOURCE_ID: azureManagement.resourceId,
    AZURE_LOGIN_URL: azureLogin.url,
    AZURE_MANAGEMENT_URL: azureManagement.url,
    APPINSIGHTS_QUERY_URL: appInsights.url,
    // Erasures share purges within one second (default 300 s), unpaced (default 50/h): see above.
    APPINSIGHTS_PURGE_BATCH_SECONDS: '1',
    RATE_LIMIT_AZURE_APP_INSIGHTS_PURGE: 'off',
  };
  return {
    auth0, intercom, amplitude, hotjar, pardot, salesforce, sendgrid, inlineManual, azureLogin, appInsights, azureManagement, all, env,
    reset: () => all.forEach((f) => f.reset()),
    stop: async () => {
      await Promise.all(all.map((f) => f.stop()));
    },
  };
}

/**
 * Every fake enforces its vendor's documented limit (vendors.md), as a real tenant would: Auth0's
 * free-tenant 2 requests/s, Intercom's 10,000/min, Amplitude's 360 queries/hour and 10 concurrent
 * (deletions 1/s), Hotjar's 3,000/min, Pardot's 5 concurrent requests, SendGrid's erasure API
 * 100/min. Application Insights purges (50/h) are set when the fakes start (`purgesPerHour`).
 */
export function enforceDocumentedLimits(fakes: VendorFakes): void {
  fakes.auth0.setRateLimit({ tokenBucket: { size: 2, perSecond: 2 } }); // free tenants: 2 burst, 2/s
  fakes.intercom.setRateLimit({ perMinute: 10_000 });
  fakes.amplitude.enforceDocumentedLimits();
  fakes.hotjar.setRateLimit({ perMinute: 3_000 });
  fakes.pardot.enforceDocumentedLimits();
  fakes.sendgrid.setRateLimit({ perMinute: 100 }, 'erasure');
}

// One Entra tenant whose tokens both Azure APIs check; the app registration reads the component
// (Reader) and purges (Data Purger); the ARM resource is the workspace the component writes to.
function azureFakes(opts: VendorFakesOptions) {
  const tokens = new TokenRegistry();
  const azureLogin = new AzureLoginFake({ ...opts.azureLogin, tokens });
  const store = new AppInsightsTelemetryStore(opts.appInsights?.store);
  const appInsights = new AppInsightsFake({ readers: [azureLogin.clientId], ...opts.appInsights, store, tokens });
  // Purges as fast as a test or the demo asks (the documented 50 per hour is exercised by the
  // adapter spec and the bench, which set it).
  const azureManagement = new AzureManagementFake({ purgers: [azureLogin.clientId], purgesPerHour: 100_000, ...opts.azureManagement, store, tokens });
  return { azureLogin, appInsights, azureManagement };
}

export interface FakeSubject {
  email: string;
  /** The product's user id: Amplitude user_id, Intercom external_id, part of the Auth0 user_id. */
  userId?: string;
  firstName?: string;
  lastName?: string;
  phone?: string;
  company?: string;
  country?: string;
  businessRole?: string;
  businessType?: string;
  /** Amplitude events of the subject's main Amplitude id (default 1500: more than one page of 1000). */
  amplitudeEvents?: number;
}

/** The same address as a social identity provider may hand it over, capitalised (Jane.Doe@Example.com). */
export function providerCapitalised(email: string): string {
  const [local = '', domain = ''] = email.split('@');
  const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
  return `${local.split('.').map(cap).join('.')}@${cap(domain)}`;
}

/**
 * Seeds one subject into every fake at once, the same person as each vendor would hold them, in
 * every form the vendor allows: Auth0 a database user (e-mail lower-cased) and a Google identity
 * keeping the provider's capitalisation, each with login events in the tenant logs; Intercom a
 * user contact with a note, a tag, a company (when given) and a conversation with a reply and a
 * CSAT rating; SendGrid a marketing contact, a bounce and transactional e-mail activity.
 */
export function seedSubject(fakes: Omit<VendorFakes, 'all' | 'env' | 'reset' | 'stop'>, s: FakeSubject) {
  const email = s.email.toLowerCase();
  const name = [s.firstName, s.lastName].filter(Boolean).join(' ') || undefined;
  const userId = s.userId ?? email;
  const now = new Date().toISOString();
  const login = { date: now, type: 's', description: 'Successful login', ip: '203.0.113.7', user_agent: 'Firefox 128.0.0 / Linux 0.0.0' };
  const intercom = fakes.intercom.addContact({
    role: 'user', email, external_id: userId, name, phone: s.phone,
    custom_attributes: { business_role: s.businessRole, business_type: s.businessType },
    location: { country: s.country, city: 'Lisbon' }, browser: 'firefox', os: 'Linux',
  });
  fakes.intercom.addTag(intercom.id, 'Beta tester');
  if (s.company) fakes.intercom.addCompany(intercom.id, { name: s.company });
  const sendgrid = fakes.sendgrid.addContact({ email, first_name: s.firstName, last_name: s.lastName, phone_number: s.phone });
  fakes.sendgrid.addSuppressions(email, { bounces: [{ created: 1700000000, reason: '452 4.2.2 Mailbox full', status: '4.2.2' }] });
  fakes.sendgrid.addEmailActivity({ to: email, subject: `Welcome${s.firstName ? `, ${s.firstName}` : ''}`, ip: '198.51.100.10', categories: ['onboarding'] });
  const seeded = {
    auth0: fakes.auth0.addUser(
      { user_id: `auth0|${userId}`, email, name, given_name: s.firstName, family_name: s.lastName, phone_number: s.phone, last_ip: '203.0.113.7' },
      [login],
    ),
    // A Google identity keeps the provider's capitalisation (users-by-email is case-sensitive).
    auth0Social: fakes.auth0.addUser(
      { user_id: `google-oauth2|${100000000 + (hash(userId) % 900000000)}`, email: providerCapitalised(email), name, given_name: s.firstName, family_name: s.lastName },
      [{ ...login, type: 's', description: 'Successful login (Google)' }],
    ),
    intercom,
    intercomNote: fakes.intercom.addNote(intercom.id, { body: '<p>Asked about invoice export.</p>' }),
    intercomConversation: fakes.intercom.addConversation({
      contactIds: [intercom.id], body: '<p>Hello, I cannot export my invoices.</p>',
      parts: [{ body: '<p>Thanks, we are looking into it.</p>' }], rating: { rating: 5, remark: 'Quick answer' },
    }),
    // Two Amplitude ids under one user_id (a second device), the first with a long history.
    amplitude: [
      fakes.amplitude.addUser({
        user_id: userId, device_ids: ['device-1'],
        userData: { os: 'Linux', device_type: 'Desktop', country: s.country, city: 'Lisbon', properties: { business_role: s.businessRole, business_type: s.businessType } },
        events: AmplitudeFake.events(s.amplitudeEvents ?? 1500, { ip_address: '203.0.113.7' }),
      }),
      fakes.amplitude.addUser({
        user_id: userId, device_ids: ['device-2'], userData: { os: 'iOS', device_type: 'Apple iPhone', country: s.country },
        events: [{ event_type: 'app_opened', event_time: now.replace('T', ' ').slice(0, 19), ip_address: '198.51.100.4' }],
      }),
    ],
    // Survey responses under the e-mail, and an identified user under the product's user id.
    hotjar: fakes.hotjar.addSubject({ email, responses: [{ survey: 'NPS', answer: '9' }], ...(s.userId ? { siteId: fakes.hotjar.siteId, userId: s.userId, attributes: { email, name } } : {}) }),
    // The lead and the contact keep the capitalisation the person typed (SOQL compares without case).
    salesforce: {
      lead: fakes.salesforce.addLead({ Email: s.email, FirstName: s.firstName ?? null, LastName: s.lastName ?? 'Unknown', Phone: s.phone ?? null, Company: s.company ?? '[not provided]', Country: s.country ?? null, Title: s.businessRole ?? null, LeadSource: 'Web' }),
      contact: fakes.salesforce.addContact({ Email: s.email, FirstName: s.firstName ?? null, LastName: s.lastName ?? 'Unknown', Phone: s.phone ?? null, MailingCountry: s.country ?? null, Title: s.businessRole ?? null }),
    },
    pardot: [] as ReturnType<VendorFakes['pardot']['addProspect']>[],
    sendgrid,
    inlineManual: fakes.inlineManual.addProfile({ email, name, first_name: s.firstName, last_name: s.lastName }),
    appInsights: fakes.appInsights.store.seedSubject({
      userId, email, ip: '203.0.113.7', city: 'Lisbon', country: s.country, browser: 'Firefox 128.0', os: 'Linux', device: 'PC', createdAt: now,
    }),
  };
  // Two prospects sharing the e-mail (AMPSEA), each synced with one of the Salesforce records.
  const prospect = { email, firstName: s.firstName, lastName: s.lastName, phone: s.phone, company: s.company, country: s.country, jobTitle: s.businessRole, industry: s.businessType };
  const { lead, contact } = seeded.salesforce;
  seeded.pardot.push(
    fakes.pardot.addProspect({ ...prospect, salesforceId: lead.Id, crmLeadFid: lead.Id }),
    fakes.pardot.addProspect({ ...prospect, salesforceId: contact.Id, crmContactFid: contact.Id }),
  );
  return seeded;
}

function hash(s: string): number {
  let h = 2166136261;
  for (const ch of s) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  return h;
}
