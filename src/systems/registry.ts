import { Inject, Injectable } from '@nestjs/common';
import { DATA_SYSTEMS, type DataSystem } from './data-system.js';

/** The data systems every request fans out to, by key. */
@Injectable()
export class SystemRegistry {
  private readonly byKey: Map<string, DataSystem>;

  constructor(@Inject(DATA_SYSTEMS) systems: DataSystem[]) {
    this.byKey = new Map();
    for (const s of systems) {
      if (!/^[a-z0-9-]+$/.test(s.key)) throw new Error(`Data system key "${s.key}" must be lower-case letters, digits, dashes`);
      if (this.byKey.has(s.key)) throw new Error(`Two data systems share the key "${s.key}"`);
      this.byKey.set(s.key, s);
    }
  }

  all(): DataSystem[] {
    return [...this.byKey.values()];
  }

  get(key: string): DataSystem | undefined {
    return this.byKey.get(key);
  }
}
