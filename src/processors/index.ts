// The processor adapters, built from the vendor configuration.
import type { DataSystem } from '../systems/data-system.js';
import { AmplitudeAdapter } from './amplitude/amplitude.adapter.js';
import { AppInsightsAdapter } from './app-insights/app-insights.adapter.js';
import { Auth0Adapter } from './auth0/auth0.adapter.js';
import { HotjarAdapter } from './hotjar/hotjar.adapter.js';
import { InlineManualAdapter } from './inline-manual/inline-manual.adapter.js';
import { IntercomAdapter } from './intercom/intercom.adapter.js';
import { PardotAdapter } from './pardot/pardot.adapter.js';
import { SendGridAdapter } from './sendgrid/sendgrid.adapter.js';
import type { VendorLimiter } from './http/vendor-limiter.js';
import type { VendorConfig } from './vendor-config.js';

export { loadVendorConfig, type VendorConfig } from './vendor-config.js';
export { VendorHttpClient } from './http/vendor-http.js';
export { VendorLimiter, limitRulesFromEnv, parseLimit } from './http/vendor-limiter.js';
export {
  AmplitudeAdapter,
  AppInsightsAdapter,
  Auth0Adapter,
  HotjarAdapter,
  InlineManualAdapter,
  IntercomAdapter,
  PardotAdapter,
  SendGridAdapter,
};

/** The adapters; with a limiter, every vendor call first takes a slot of that vendor's shared limit. */
export function createProcessorSystems(config: VendorConfig, limiter?: VendorLimiter): DataSystem[] {
  const t = config.timeoutMs;
  const g = (vendor: string) => limiter?.gate(vendor);
  return [
    new Auth0Adapter(config.auth0, t, g('auth0')),
    new AmplitudeAdapter(config.amplitude, t, g('amplitude')),
    new HotjarAdapter(config.hotjar, t, g('hotjar')),
    new IntercomAdapter(config.intercom, t, g('intercom')),
    new PardotAdapter(config.pardot, t, g('pardot')),
    new SendGridAdapter(config.sendgrid, t, g('sendgrid')),
    new InlineManualAdapter(config.inlineManual, t, g('inline-manual')),
    new AppInsightsAdapter(config.appInsights, t, g('azure-app-insights')),
  ];
}
