// Amplitude user activity (Dashboard REST API) → inventory items.
import { Items } from '../common.js';

export interface AmplitudeMatch {
  user_id?: string | null;
  amplitude_id: number;
  [k: string]: unknown;
}

export interface AmplitudeUserData {
  user_id?: string | null;
  device_type?: string | null;
  device?: string | null;
  os?: string | null;
  platform?: string | null;
  country?: string | null;
  region?: string | null;
  city?: string | null;
  first_used?: string | null;
  properties?: Record<string, unknown>;
  [k: string]: unknown;
}

export interface AmplitudeEvent {
  event_type?: string;
  event_time?: string;
  ip_address?: string;
  [k: string]: unknown;
}

export function mapAmplitudeUser(items: Items, amplitudeId: number, data: AmplitudeUserData, events: AmplitudeEvent[]): void {
  const where = `Amplitude user ${amplitudeId}`;
  const props = data.properties ?? {};
  items
    .add('user_id', data.user_id, where)
    .add('device_type', data.device_type ?? data.device, where)
    .add('operating_system', data.os, where)
    .add('geolocation', { country: data.country, region: data.region, city: data.city }, where)
    .add('business_role', props.business_role, `${where} (user properties)`)
    .add('business_type', props.business_type, `${where} (user properties)`)
    .add('ip_address', [...new Set(events.map((e) => e.ip_address).filter(Boolean))], `${where} (events)`)
    .add('activity', events.map((e) => ({ event_type: e.event_type, event_time: e.event_time })), `${where} (events)`);
}
