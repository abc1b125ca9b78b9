import { Inject, Module, type OnModuleDestroy } from '@nestjs/common';
import { Redis } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { createProcessorSystems, VendorLimiter } from '../processors/index.js';
import { DATA_SYSTEMS, type DataSystem } from './data-system.js';
import { ProductDbSystem } from './product-db.system.js';
import { SystemRegistry } from './registry.js';

const LIMITER_REDIS = Symbol('LIMITER_REDIS');

// Registration of data systems: the product's own store, then every processor adapter, whose
// calls share per-vendor rate limits through Redis.
@Module({
  providers: [
    ProductDbSystem,
    {
      provide: LIMITER_REDIS,
      useFactory: (config: AppConfig) => new Redis(config.redisUrl, { maxRetriesPerRequest: 3, lazyConnect: false }),
      inject: [APP_CONFIG],
    },
    {
      provide: DATA_SYSTEMS,
      useFactory: (product: ProductDbSystem, config: AppConfig, redis: Redis): DataSystem[] => [
        product,
        ...createProcessorSystems(
          config.vendors,
          new VendorLimiter(redis, { prefix: config.queuePrefix, rules: config.vendorLimits, maxWaitMs: config.vendorMaxWaitMs }),
        ),
      ],
      inject: [ProductDbSystem, APP_CONFIG, LIMITER_REDIS],
    },
    SystemRegistry,
  ],
  exports: [SystemRegistry, ProductDbSystem],
})
export class SystemsModule implements OnModuleDestroy {
  constructor(@Inject(LIMITER_REDIS) private readonly redis: Redis) {}

  async onModuleDestroy(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
