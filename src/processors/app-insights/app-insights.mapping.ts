// Application Insights telemetry rows (query API answers) → records and inventory items.
import type { DataItemKey } from '../../inventory/inventory.js';
import type { ItemValue } from '../../systems/data-system.js';
import { stripSecrets } from '../common.js';

/** One telemetry row as an object, with its table; dynamic columns parsed, empty cells left out. */
export type TelemetryRecord = { table: string } & Record<string, unknown>;

export interface QueryTable {
  name?: string;
  columns?: { name: string; type: string }[];
  rows?: unknown[][];
}

/** The rows of a query answer's first table as objects (dynamic cells arrive as JSON text). */
export function rowsOf(table: QueryTable): Record<string, unknown>[] {
  const cols = table.columns ?? [];
  return (table.rows ?? []).map((row) => {
    const out: Record<string, unknown> = {};
    cols.forEach((c, i) => {
      let v = row[i];
      if (c.type === 'dynamic' && typeof v === 'string' && v !== '') {
        try {
          v = JSON.parse(v);
        } catch {
          // keep the text
        }
      }
      out[c.name] = v;
    });
    return out;
  });
}

const empty = (v: unknown) =>
  v === null || v === undefined || v === '' || (typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0);

/** A union row (every table's columns) as a record of its own table: only the cells it holds. */
export function toRecord(row: Record<string, unknown>, sourceColumn: string): TelemetryRecord {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) if (k !== sourceColumn && !empty(v)) out[k] = v;
  return { table: String(row[sourceColumn] ?? ''), ...stripSecrets(out) };
}

// A custom dimension holding the account's creation date, as products commonly name it (a guess:
// Application Insights has no standard property for it).
const CREATED = /^(user_?)?(created(_?at|_?on|_?date)?|creation_?date|sign_?up_?(date|at)|signed_?up_?at|registered_?at)$/i;

/** What an item of activity says: when, what kind of telemetry, and its name. */
function activityOf(r: TelemetryRecord): Record<string, unknown> {
  const name = r.name ?? r.problemId ?? r.message ?? r.type;
  return {
    at: r.timestamp,
    type: r.itemType ?? r.table,
    ...(name !== undefined ? { name } : {}),
    ...(r.url !== undefined ? { url: r.url } : {}),
    ...(r.resultCode !== undefined ? { resultCode: r.resultCode } : {}),
  };
}

/**
 * Items per table: identifiers that matched (user id, e-mail), where the subject was seen from
 * (IP, geolocation, browser, OS, device), a creation date sent as a custom dimension, and every
 * telemetry item as activity. Values are distinct within a table.
 */
export function mapTelemetry(records: TelemetryRecord[], subject: { email: string; userId?: string; emails: string[] }): ItemValue[] {
  const items: ItemValue[] = [];
  const seen = new Set<string>();
  const add = (item: DataItemKey, value: unknown, where: string) => {
    if (empty(value)) return;
    const id = JSON.stringify([item, value, where]);
    if (seen.has(id)) return;
    seen.add(id);
    items.push({ item, value, where });
  };
  const ids = [subject.userId, ...subject.emails].filter((v): v is string => Boolean(v)).map((v) => v.toLowerCase());
  const isEmail = (v: unknown) => typeof v === 'string' && subject.emails.includes(v.toLowerCase());
  const tables = [...new Set(records.map((r) => r.table))];
  for (const table of tables) {
    const rows = records.filter((r) => r.table === table);
    const where = `Application Insights ${table}`;
    for (const r of rows) {
      // Only the subject's own id: a row found by e-mail may carry someone else's (an admin acting for them).
      if (typeof r.user_AuthenticatedId === 'string' && ids.includes(r.user_AuthenticatedId.toLowerCase())) {
        add('user_id', r.user_AuthenticatedId, `${where} (authenticated user id)`);
      }
      const dims = (r.customDimensions && typeof r.customDimensions === 'object' ? r.customDimensions : {}) as Record<string, unknown>;
      for (const [k, v] of Object.entries(dims)) {
        if (isEmail(v)) add('email', v, `${where} (custom dimension ${k})`);
        else if (subject.userId && v === subject.userId) add('user_id', v, `${where} (custom dimension ${k})`);
        else if (CREATED.test(k)) add('user_creation_date', v, `${where} (custom dimension ${k})`);
      }
      for (const col of ['message', 'outerMessage', 'innermostMessage']) {
        const text = r[col];
        if (typeof text === 'string' && subject.emails.some((e) => mentions(text, e))) add('email', subject.email, `${where} (${col} text)`);
      }
      // 0.0.0.0 is what Application Insights stores when it keeps no IP (its default).
      if (r.client_IP !== '0.0.0.0') add('ip_address', r.client_IP, where);
      const geo = { city: r.client_City, stateOrProvince: r.client_StateOrProvince, countryOrRegion: r.client_CountryOrRegion };
      if (Object.values(geo).some((v) => !empty(v))) add('geolocation', Object.fromEntries(Object.entries(geo).filter(([, v]) => !empty(v))), where);
      add('browser', r.client_Browser, where);
      add('operating_system', r.client_OS, where);
      add('device_type', [r.client_Type, r.client_Model].filter((v) => !empty(v)).join(' / '), where);
    }
    add('activity', rows.map(activityOf), `${where} (${rows.length} telemetry item(s))`);
  }
  return items;
}

const EMAIL_CHAR = /[A-Za-z0-9._%+\-@]/;

/** The text holds the address as a whole (not as the tail of a longer one), ignoring case. */
export function mentions(text: string, email: string): boolean {
  const h = text.toLowerCase();
  const n = email.toLowerCase();
  for (let i = h.indexOf(n); i >= 0; i = h.indexOf(n, i + 1)) {
    const before = h[i - 1];
    const after = h[i + n.length];
    // A trailing dot ends a sentence; a dot followed by more address characters does not.
    const afterOk = after === undefined || !EMAIL_CHAR.test(after) || (after === '.' && !EMAIL_CHAR.test(h[i + n.length + 1] ?? ' '));
    if ((before === undefined || !EMAIL_CHAR.test(before)) && afterOk) return true;
  }
  return false;
}
