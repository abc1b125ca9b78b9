import type { VendorFakes } from '../../src/demo/fakes/index.js';

/** What each fake still holds about a subject (by e-mail and product user id) that erasure must remove. */
export function traces(f: VendorFakes, email: string, userId: string) {
  const e = email.toLowerCase();
  return {
    // Any capitalisation: social identities keep the provider's (Auth0), leads may differ (Intercom).
    auth0: [...f.auth0.users.values()].filter((u) => u.email.toLowerCase() === e).length,
    intercom: [...f.intercom.contacts.values()].filter((c) => c.email.toLowerCase() === e).length,
    amplitude: [...f.amplitude.users.values()].filter((u) => u.user_id === userId).length,
    hotjar: f.hotjar.dataFor({ email: e, siteUserIds: { [f.hotjar.siteId]: userId } }).length > 0 ? 1 : 0,
    pardot: [...f.pardot.prospects.values()].filter((p) => p.email === e && !p.deleted).length,
    // Marketing contacts and transactional e-mail activity (only recipient erasure removes the latter).
    sendgrid: [...f.sendgrid.contacts.values()].filter((c) => c.email === e).length + f.sendgrid.activityFor(e).length,
    'inline-manual': [...f.inlineManual.profiles.values()].filter((p) => p.email === e).length,
  };
}

export const NOTHING = { auth0: 0, intercom: 0, amplitude: 0, hotjar: 0, pardot: 0, sendgrid: 0, 'inline-manual': 0 };
