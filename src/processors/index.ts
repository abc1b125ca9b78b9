// The processor adapters, built from the vendor configuration.
import type { DataSystem } from '../systems/data-system.js';
import { AmplitudeAdapter } from './amplitude/amplitude.adapter.js';
import { Auth0Adapter } from './auth0/auth0.adapter.js';
import { HotjarAdapter } from './hotjar/hotjar.adapter.js';
import { InlineManualAdapter } from './inline-manual/inline-manual.adapter.js';
import { IntercomAdapter } from './intercom/intercom.adapter.js';
import { PardotAdapter } from './pardot/pardot.adapter.js';
import { SendGridAdapter } from './sendgrid/sendgrid.adapter.js';
import type { VendorConfig } from './vendor-config.js';

export { loadVendorConfig, type VendorConfig } from './vendor-config.js';
export { VendorHttpClient } from './http/vendor-http.js';
export {
  AmplitudeAdapter,
  Auth0Adapter,
  HotjarAdapter,
  InlineManualAdapter,
  IntercomAdapter,
  PardotAdapter,
  SendGridAdapter,
};

export function createProcessorSystems(config: VendorConfig): DataSystem[] {
  const t = config.timeoutMs;
  return [
    new Auth0Adapter(config.auth0, t),
    new AmplitudeAdapter(config.amplitude, t),
    new HotjarAdapter(config.hotjar, t),
    new IntercomAdapter(config.intercom, t),
    new PardotAdapter(config.pardot, t),
    new SendGridAdapter(config.sendgrid, t),
    new InlineManualAdapter(config.inlineManual, t),
  ];
}
