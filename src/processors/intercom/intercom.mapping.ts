// Intercom contact → inventory items.
import { Items, isoDate } from '../common.js';

export interface IntercomContact {
  id: string;
  external_id?: string | null;
  role?: string;
  email?: string | null;
  phone?: string | null;
  name?: string | null;
  signed_up_at?: number | null;
  created_at?: number | null;
  last_seen_at?: number | null;
  browser?: string | null;
  os?: string | null;
  location?: { country?: string | null; region?: string | null; city?: string | null } | null;
  custom_attributes?: Record<string, unknown>;
  [k: string]: unknown;
}

export function mapIntercomContact(items: Items, c: IntercomContact): void {
  const where = `Intercom ${c.role ?? 'contact'} ${c.id}`;
  const custom = c.custom_attributes ?? {};
  items
    .add('user_id', c.external_id, where)
    .add('email', c.email, where)
    .add('name', c.name, where)
    .add('phone_number', c.phone, where)
    .add('user_creation_date', isoDate(c.signed_up_at ?? c.created_at), where)
    .add('activity', isoDate(c.last_seen_at) && { last_seen_at: isoDate(c.last_seen_at) }, where)
    .add('browser', c.browser, where)
    .add('operating_system', c.os, where)
    .add('geolocation', c.location && { country: c.location.country, region: c.location.region, city: c.location.city }, where)
    // The product sends these as custom attributes under the inventory's own keys.
    .add('business_role', custom.business_role, where)
    .add('business_type', custom.business_type, where);
}
