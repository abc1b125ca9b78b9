import { describe, expect, test } from '@jest/globals';
import { DATA_ITEMS } from '../inventory/inventory.js';
import { buildAccessReport, buildErasureSummary, renderAccessReport, renderErasureConfirmation, type TaskView } from './report.js';

const request = { id: 'r-1', receivedAt: new Date('2026-05-01T00:00:00Z'), dueAt: new Date('2026-06-01T00:00:00Z'), email: 's@example.com' };

describe('access report', () => {
  const tasks: TaskView[] = [
    { system: 'product-db', label: 'Product account database', status: 'done', outcome: 'found', result: { outcome: 'found', items: [{ item: 'name', value: 'Sam <b>Doe</b>', where: 'account profile' }, { item: 'email', value: 's@example.com' }] } },
    { system: 'intercom', label: 'Intercom', status: 'done', outcome: 'found', result: { outcome: 'found', items: [{ item: 'name', value: 'Sam Doe', where: 'contact 42' }], records: [{ id: '42', role: 'user' }] } },
    { system: 'hotjar', label: 'Hotjar', status: 'skipped', outcome: 'not_configured', result: null },
    { system: 'pardot', label: 'Pardot', status: 'failed', outcome: 'failed', result: null },
  ];

  test('lists every inventory item with source, purposes, recipients and the values found', () => {
    const r = buildAccessReport(request, tasks, new Date('2026-05-02T00:00:00Z'));
    expect(r.items.map((i) => i.key)).toEqual(DATA_ITEMS.map((d) => d.key));
    const name = r.items.find((i) => i.key === 'name')!;
    expect(name.values).toEqual([
      { system: 'Product account database', value: 'Sam <b>Doe</b>', where: 'account profile' },
      { system: 'Intercom', value: 'Sam Doe', where: 'contact 42' },
    ]);
    expect(name.recipients.map((x) => x.name)).toContain('Intercom');
    expect(r.items.find((i) => i.key === 'email')!.recipients).toContainEqual({ name: 'Amplitude', note: 'domain part only' });
    expect(r.systems.map((s) => [s.key, s.outcome])).toEqual([
      ['product-db', 'found'], ['intercom', 'found'], ['hotjar', 'not_configured'], ['pardot', 'failed'],
    ]);
    expect(r.systems[1]!.records).toEqual([{ id: '42', role: 'user' }]);
  });

  test('renders readable text and escaped HTML, saying what each system answered', () => {
    const out = renderAccessReport(buildAccessReport(request, tasks));
    expect(out.text).toContain('== Name (first and last name)');
    expect(out.text).toContain('Hotjar: not contacted automatically');
    expect(out.text).toContain('Pardot: could not be reached yet');
    expect(out.html).toContain('Sam &lt;b&gt;Doe&lt;/b&gt;');
    expect(out.html).not.toContain('<b>Doe</b>');
  });
});

describe('erasure confirmation', () => {
  test('one line per system: erased with retention, scheduled with job id, not found, failed, not configured', () => {
    const lines = buildErasureSummary([
      { system: 'product-db', label: 'Product account database', status: 'done', outcome: 'erased', result: { outcome: 'erased', actions: [{ what: 'account profile', count: 1, how: 'deleted' }], retained: [{ item: 'address', count: 2, reason: 'Tax law.' }] } },
      { system: 'amplitude', label: 'Amplitude', status: 'done', outcome: 'scheduled', result: { outcome: 'scheduled', actions: [], retained: [], vendorJob: { id: 'job-7', expectedBy: '2026-06-01' } } },
      { system: 'auth0', label: 'Auth0', status: 'done', outcome: 'not_found', result: { outcome: 'not_found', actions: [], retained: [] } },
      { system: 'pardot', label: 'Pardot', status: 'failed', outcome: 'failed', result: null },
      { system: 'hotjar', label: 'Hotjar', status: 'skipped', outcome: 'not_configured', result: null },
    ]);
    expect(lines.map((l) => l.outcome)).toEqual(['erased', 'scheduled', 'not_found', 'failed', 'not_configured']);
    expect(lines[0]!.text).toBe('Erased (account profile: 1 deleted).');
    expect(lines[0]!.retained).toEqual([{ what: 'Billing address', count: 2, reason: 'Tax law.' }]);
    expect(lines[1]!.text).toContain('expected by 2026-06-01');
    expect(lines[1]!.text).toContain('reference job-7');
    const mail = renderErasureConfirmation(request, lines);
    expect(mail.subject).toBe('Your erasure request: progress update');
    expect(mail.text).toContain('Kept: Billing address (2 record(s)). Tax law.');
  });
});
