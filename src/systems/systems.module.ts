import { Module } from '@nestjs/common';
import { ProductDbSystem } from './product-db.system.js';
import { SystemRegistry } from './registry.js';
import { DATA_SYSTEMS, type DataSystem } from './data-system.js';

// Registration of data systems: the product's own store, then every processor adapter.
@Module({
  providers: [
    ProductDbSystem,
    {
      provide: DATA_SYSTEMS,
      useFactory: (product: ProductDbSystem): DataSystem[] => [product],
      inject: [ProductDbSystem],
    },
    SystemRegistry,
  ],
  exports: [SystemRegistry, ProductDbSystem],
})
export class SystemsModule {}
