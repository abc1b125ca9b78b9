// Intercom contacts: search by e-mail (users and leads, all pages), read each, delete each.
// A repeat DELETE answers 404, which means already gone.
import type { AccessResult, DataSystem, ErasureResult, TaskContext } from '../../systems/data-system.js';
import { Items, mergeIds, notFound, stripSecrets } from '../common.js';
import { VendorHttpClient } from '../http/vendor-http.js';
import type { VendorGate } from '../http/vendor-limiter.js';
import type { VendorConfig } from '../vendor-config.js';
import { type IntercomContact, mapIntercomContact } from './intercom.mapping.js';

interface ContactList {
  data: IntercomContact[];
  pages?: { next?: { starting_after?: string | null } | null };
}

export class IntercomAdapter implements DataSystem {
  readonly key = 'intercom';
  readonly recipient = 'intercom';
  readonly label = 'Intercom';
  private readonly http: VendorHttpClient;

  constructor(private readonly cfg: VendorConfig['intercom'], timeoutMs: number, gate?: VendorGate) {
    this.http = new VendorHttpClient({
      vendor: 'Intercom',
      baseUrl: cfg.baseUrl,
      timeoutMs,
      gate,
      headers: { authorization: `Bearer ${cfg.accessToken}`, 'intercom-version': cfg.version },
    });
  }

  isConfigured(): boolean {
    return Boolean(this.cfg.baseUrl && this.cfg.accessToken);
  }

  async access(ctx: TaskContext): Promise<AccessResult> {
    const items = new Items();
    const records: unknown[] = [];
    for (const hit of await this.search(ctx)) {
      const res = await this.http.request<IntercomContact>({ path: `/contacts/${encodeURIComponent(hit.id)}`, okStatuses: [404], signal: ctx.signal });
      if (res.status === 404) continue; // merged or deleted since the search
      mapIntercomContact(items, res.body);
      records.push(stripSecrets(res.body));
    }
    if (records.length === 0) return notFound();
    return { outcome: 'found', items: items.list, records };
  }

  async erase(ctx: TaskContext): Promise<ErasureResult> {
    const ids = mergeIds(ctx.refs, 'intercomContactIds', (await this.search(ctx)).map((c) => c.id));
    if (ids.length === 0) return { outcome: 'not_found', actions: [], retained: [] };
    await ctx.saveRefs({ intercomContactIds: ids });
    for (const id of ids) {
      // 404: deleted by an earlier attempt (or merged away); either way the contact is gone.
      await this.http.request({ method: 'DELETE', path: `/contacts/${encodeURIComponent(id)}`, okStatuses: [404], signal: ctx.signal });
    }
    return {
      outcome: 'erased',
      actions: [{ what: 'Intercom contact (user or lead)', count: ids.length, how: 'deleted' }],
      retained: [],
      note: 'Intercom keeps deleted contacts recoverable for a 7-day grace period, then destroys them permanently.',
    };
  }

  private async search(ctx: TaskContext): Promise<IntercomContact[]> {
    const out: IntercomContact[] = [];
    let startingAfter: string | undefined;
    do {
      const res = await this.http.request<ContactList>({
        method: 'POST',
        path: '/contacts/search',
        json: {
          query: { field: 'email', operator: '=', value: ctx.subject.email },
          pagination: { per_page: 50, ...(startingAfter ? { starting_after: startingAfter } : {}) },
        },
        signal: ctx.signal,
      });
      out.push(...(res.body.data ?? []));
      startingAfter = res.body.pages?.next?.starting_after ?? undefined;
    } while (startingAfter);
    return out;
  }
}
