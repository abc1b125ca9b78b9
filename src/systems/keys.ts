// Every data system a request can fan out to, by key: the product's own store and each processor.
// A lane (queue) per key; the registry refuses a system whose key is not listed here.
export const SYSTEM_KEYS = [
  'product-db',
  'auth0',
  'amplitude',
  'hotjar',
  'intercom',
  'pardot',
  'sendgrid',
  'inline-manual',
  'azure-app-insights',
] as const;

export type SystemKey = (typeof SYSTEM_KEYS)[number];

export function isSystemKey(key: string): key is SystemKey {
  return (SYSTEM_KEYS as readonly string[]).includes(key);
}

/** Names shown to subjects on their request's page (the adapters' own labels). */
export const SYSTEM_LABELS: Record<SystemKey, string> = {
  'product-db': 'Our product',
  auth0: 'Auth0',
  amplitude: 'Amplitude',
  hotjar: 'Hotjar',
  intercom: 'Intercom',
  pardot: 'Pardot (Salesforce Account Engagement)',
  sendgrid: 'SendGrid',
  'inline-manual': 'Inline Manual',
  'azure-app-insights': 'Microsoft Azure Application Insights',
};
