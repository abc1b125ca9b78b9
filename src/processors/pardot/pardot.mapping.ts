// Pardot (Account Engagement) v5 prospect → inventory items. v5 returns only the fields asked for.
import { Items, joinName } from '../common.js';

// Field names are v5 camelCase; the exact prospect field list is not confirmed from vendor docs.
export const PROSPECT_FIELDS = [
  'id', 'email', 'firstName', 'lastName', 'salutation', 'jobTitle', 'company', 'industry', 'phone',
  'city', 'state', 'country', 'website', 'score', 'grade', 'optedOut', 'isDoNotEmail',
  'createdAt', 'updatedAt', 'lastActivityAt',
].join(',');

export interface PardotProspect {
  id: number;
  email?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  jobTitle?: string | null;
  company?: string | null;
  industry?: string | null;
  phone?: string | null;
  city?: string | null;
  state?: string | null;
  country?: string | null;
  createdAt?: string | null;
  lastActivityAt?: string | null;
  [k: string]: unknown;
}

export function mapPardotProspect(items: Items, p: PardotProspect): void {
  const where = `Pardot prospect ${p.id}`;
  items
    .add('email', p.email, where)
    .add('name', joinName(p.firstName, p.lastName), where)
    .add('phone_number', p.phone, where)
    .add('business_role', p.jobTitle, where)
    .add('business_type', p.industry, where)
    .add('company', p.company, where)
    .add('country', joinName(p.state, p.country), where)
    .add('activity', p.lastActivityAt && { last_activity_at: p.lastActivityAt }, where)
    .add('lead_score', p.score != null || p.grade != null ? { score: p.score ?? null, grade: p.grade ?? null } : undefined, where);
}

/** A Salesforce Lead or Contact as SOQL returns it (field names as selected). */
export interface SalesforceRecord {
  Id: string;
  Email?: string | null;
  attributes?: unknown;
  [field: string]: unknown;
}

export function mapSalesforceRecord(items: Items, type: 'Lead' | 'Contact', r: SalesforceRecord): void {
  const where = `Salesforce ${type.toLowerCase()} ${r.Id}`;
  const str = (k: string) => (typeof r[k] === 'string' ? (r[k] as string) : undefined);
  items
    .add('email', r.Email, where)
    .add('name', joinName(str('FirstName'), str('LastName')), where)
    .add('phone_number', str('Phone') ?? str('MobilePhone'), where)
    .add('business_role', str('Title'), where)
    .add('business_type', str('Industry'), where)
    .add('company', str('Company'), where)
    .add('country', joinName(str('State') ?? str('MailingState'), str('Country') ?? str('MailingCountry')), where);
}
