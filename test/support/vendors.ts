import type { VendorFakes } from '../../src/demo/fakes/index.js';

/**
 * What each fake still holds about a subject (by e-mail and product user id) that an erasure must
 * remove, restorable copies included (recycle bins, grace periods). Records the vendors keep on
 * purpose and that our answer reports as kept (Auth0 tenant logs, Intercom CSAT ratings, SendGrid
 * unsubscribe lists) are not counted.
 */
export function traces(f: VendorFakes, email: string, userId: string) {
  const e = email.toLowerCase();
  const intercomIds = [...f.intercom.contacts.values(), ...[...f.intercom.deletedContacts.values()].map((d) => d.contact)]
    .filter((c) => String(c.email ?? '').toLowerCase() === e)
    .map((c) => c.id);
  return {
    // Any capitalisation: social identities keep the provider's (Auth0), leads may differ (Intercom).
    auth0: [...f.auth0.users.values()].filter((u) => u.email.toLowerCase() === e).length,
    // Live contacts, contacts in the 7-day grace, and their conversations.
    intercom: intercomIds.length + [...f.intercom.conversations.values()].filter((c) => c.contact_ids.some((id) => intercomIds.includes(id))).length,
    amplitude: [...f.amplitude.users.values()].filter((u) => u.user_id === userId).length,
    hotjar: f.hotjar.dataFor({ email: e, siteUserIds: { [f.hotjar.siteId]: userId } }).length > 0 ? 1 : 0,
    // In use or in the recycle bin: only a permanent deletion removes a prospect.
    pardot: [...f.pardot.prospects.values()].filter((p) => p.email.toLowerCase() === e).length,
    salesforce: [...f.salesforce.leads(), ...f.salesforce.contacts(), ...f.salesforce.recycleBin().map((r) => r.record)].filter((r) => String(r.Email ?? '').toLowerCase() === e).length,
    // Marketing contacts and transactional e-mail activity (only recipient erasure removes the latter).
    sendgrid: [...f.sendgrid.contacts.values()].filter((c) => c.email === e).length + f.sendgrid.activityFor(e).length,
    'inline-manual': [...f.inlineManual.profiles.values()].filter((p) => p.email.toLowerCase() === e).length,
    'azure-app-insights': f.appInsights.store.find((r) => r.user_AuthenticatedId === userId || JSON.stringify(r.customDimensions ?? {}).toLowerCase().includes(e)).length,
  };
}

export const NOTHING = { auth0: 0, intercom: 0, amplitude: 0, hotjar: 0, pardot: 0, salesforce: 0, sendgrid: 0, 'inline-manual': 0, 'azure-app-insights': 0 };

/**
 * Plays out what the vendors do on their own schedule after accepting a deletion: Amplitude's jobs
 * run, SendGrid's jobs complete, Azure's purges complete, Intercom's 7-day grace and Salesforce's
 * 15-day recycle bin end.
 */
export function vendorSchedulesRun(f: VendorFakes): void {
  f.amplitude.runDeletionJobs();
  f.sendgrid.completeJobs();
  f.azureManagement.completePurges();
  f.intercom.purgeDeleted(Date.now() + 8 * 86_400_000);
  f.salesforce.purge();
}

/** Plays the officer's part of Pardot's permanent deletion (a UI action on the recycle bin). */
export function pardotRecycleBinEmptied(f: VendorFakes): number {
  let n = 0;
  for (const p of f.pardot.recycleBin()) if (f.pardot.permanentlyDelete(p.id).deleted) n++;
  return n;
}
