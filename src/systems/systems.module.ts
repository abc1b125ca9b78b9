import { Module } from '@nestjs/common';
import { ProductDbSystem } from './product-db.system.js';
import { SystemRegistry } from './registry.js';
import { DATA_SYSTEMS, type DataSystem } from './data-system.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { createProcessorSystems } from '../processors/index.js';

// Registration of data systems: the product's own store, then every processor adapter.
@Module({
  providers: [
    ProductDbSystem,
    {
      provide: DATA_SYSTEMS,
      useFactory: (product: ProductDbSystem, config: AppConfig): DataSystem[] => [
        product,
        ...createProcessorSystems(config.vendors),
      ],
      inject: [ProductDbSystem, APP_CONFIG],
    },
    SystemRegistry,
  ],
  exports: [SystemRegistry, ProductDbSystem],
})
export class SystemsModule {}
