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

interface Author {
  type?: string;
  id?: string;
  name?: string | null;
}

export interface IntercomConversation {
  id: string;
  created_at?: number;
  source?: { subject?: string | null; body?: string | null; author?: Author } | null;
  contacts?: { contacts?: { id: string }[] } | null;
  conversation_rating?: { rating?: number; remark?: string | null; contact?: { id?: string } | null } | null;
  conversation_parts?: { conversation_parts?: { part_type?: string; body?: string | null; created_at?: number; author?: Author }[] } | null;
  [k: string]: unknown;
}

interface IntercomNote {
  created_at?: number;
  body?: string | null;
}

/** Notes, companies and conversations of one contact → activity and company items. */
export function mapIntercomRelated(
  items: Items,
  c: IntercomContact,
  related: { notes: unknown[]; companies: unknown[]; conversations: IntercomConversation[] },
): void {
  const who = `${c.role ?? 'contact'} ${c.id}`;
  items.add(
    'activity',
    (related.notes as IntercomNote[]).map((n) => ({ date: isoDate(n.created_at), note: n.body })),
    `Intercom notes on ${who}`,
  );
  items.add('company', (related.companies as { name?: string }[]).map((co) => co.name).filter(Boolean), `Intercom companies of ${who}`);
  items.add(
    'activity',
    related.conversations.map((conv) => ({
      conversation: conv.id,
      started: isoDate(conv.created_at),
      subject: conv.source?.subject || undefined,
      messages: [
        { date: isoDate(conv.created_at), from: conv.source?.author?.type, body: conv.source?.body },
        ...(conv.conversation_parts?.conversation_parts ?? [])
          .filter((p) => p.body)
          .map((p) => ({ date: isoDate(p.created_at), from: p.author?.type, body: p.body })),
      ],
      ...(conv.conversation_rating ? { rating: conv.conversation_rating.rating, remark: conv.conversation_rating.remark || undefined } : {}),
    })),
    `Intercom conversations of ${who}`,
  );
}
