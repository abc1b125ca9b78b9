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
