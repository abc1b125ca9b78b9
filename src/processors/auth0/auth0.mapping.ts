// Auth0 Management API v2 records → inventory items.
import { Items, isoDate, joinName } from '../common.js';

export interface Auth0User {
  user_id: string;
  email?: string;
  name?: string;
  given_name?: string;
  family_name?: string;
  phone_number?: string;
  created_at?: string;
  last_ip?: string;
  last_login?: string;
  identities?: { provider?: string; connection?: string; user_id?: string; isSocial?: boolean; [k: string]: unknown }[];
  [k: string]: unknown;
}

export interface Auth0Log {
  date?: string;
  type?: string;
  description?: string;
  ip?: string;
  user_agent?: string;
  location_info?: Record<string, unknown>;
  [k: string]: unknown;
}

export function mapAuth0User(items: Items, user: Auth0User, logs: Auth0Log[]): void {
  const where = `Auth0 user ${user.user_id}`;
  items
    .add('user_id', user.user_id, where)
    .add('email', user.email, where)
    .add('name', user.name ?? joinName(user.given_name, user.family_name), where)
    .add('phone_number', user.phone_number, where)
    .add('user_creation_date', isoDate(user.created_at), where)
    .add('ip_address', user.last_ip, `${where} (last sign-in)`);
  if (logs.length === 0) return;
  const logWhere = `Auth0 logs of ${user.user_id}`;
  items.add('activity', logs.map((l) => ({ date: l.date, type: l.type, description: l.description })), logWhere);
  items.add('ip_address', [...new Set(logs.map((l) => l.ip).filter(Boolean))], logWhere);
  items.add('browser', [...new Set(logs.map((l) => l.user_agent).filter(Boolean))], logWhere);
  items.add('geolocation', logs.map((l) => l.location_info).filter(Boolean), logWhere);
}
