import { describe, expect, test } from '@jest/globals';
import { DATA_ITEMS, NOT_STATED, PROCESSORS } from '../inventory/inventory.js';
import {
  buildAccessReport,
  buildErasureSummary,
  erasureByRecipient,
  renderErasureConfirmation,
  renderReportLinkMail,
  renderReportPage,
  reportCsv,
  type TaskView,
} from './report.js';

const request = { id: 'r-1', receivedAt: new Date('2026-05-01T00:00:00Z'), dueAt: new Date('2026-06-01T00:00:00Z'), email: 's@example.com' };
const ctx = {
  controller: { name: 'Example SaaS Ltd', contact: 'privacy@example.com', dpo: 'dpo@example.com', supervisoryAuthority: 'Data Protection Commission, 21 Fitzwilliam Square South, Dublin 2, Ireland' },
  publicBaseUrl: 'https://privacy.example.com',
};

const tasks: TaskView[] = [
  { system: 'product-db', label: 'Product account database', recipient: 'product', status: 'done', outcome: 'found', result: { outcome: 'found', items: [{ item: 'name', value: 'Sam <b>Doe</b>', where: 'account profile' }, { item: 'email', value: 's@example.com' }] } },
  { system: 'intercom', label: 'Intercom', recipient: 'intercom', status: 'done', outcome: 'found', result: { outcome: 'found', items: [{ item: 'name', value: 'Sam Doe', where: 'contact 42' }], records: [{ id: '42', role: 'user' }] } },
  { system: 'auth0', label: 'Auth0', recipient: 'auth0', status: 'done', outcome: 'found', result: { outcome: 'found', items: [], unreadable: [{ item: 'password', where: 'Auth0 user auth0|1', why: 'a one-way hash' }] } },
  { system: 'pardot', label: 'Pardot (Salesforce Account Engagement)', recipient: 'pardot', status: 'done', outcome: 'found', result: { outcome: 'found', items: [{ item: 'lead_score', value: { score: 87, grade: 'A-' }, where: 'Pardot prospect 7' }] } },
  { system: 'amplitude', label: 'Amplitude', recipient: 'amplitude', status: 'done', outcome: 'found', result: { outcome: 'found', items: [], truncated: { what: 'events', read: 20000, reason: 'AMPLITUDE_MAX_EVENTS' } } },
  { system: 'hotjar', label: 'Hotjar', recipient: 'hotjar', status: 'done', outcome: 'action_required', result: { outcome: 'action_required', items: [] }, actions: [{ status: 'open', completedAt: null, note: null }] },
  { system: 'sendgrid', label: 'SendGrid', recipient: 'sendgrid', status: 'failed', outcome: 'failed', result: null },
];

describe('access report: GDPR Art. 15, item by item', () => {
  const r = buildAccessReport(request, tasks, ctx, new Date('2026-05-02T00:00:00Z'));

  test('(b) every category of the data map, with (a) its purposes paired with (c) who receives it for each, (d) retention and (g) source', () => {
    expect(r.items.map((i) => i.key)).toEqual(DATA_ITEMS.map((d) => d.key));
    for (const i of r.items) {
      const def = DATA_ITEMS.find((d) => d.key === i.key)!;
      expect(i.sources).toEqual([...def.sources]);
      expect(i.retention).toBe(def.retention);
      expect(i.uses.map((u) => u.purpose)).toEqual([...new Set(def.uses.map((u) => u.purpose))]);
    }
    const phone = r.items.find((i) => i.key === 'phone_number')!;
    expect(phone.uses).toEqual([
      { purpose: 'Account recovery and verification', recipients: [] },
      { purpose: 'Support requests and other communication between you and us', recipients: ['Intercom'] },
      { purpose: expect.stringMatching(/^Marketing and sales/), recipients: ['Pardot (Salesforce Account Engagement)'] },
    ]);
    const email = r.items.find((i) => i.key === 'email')!;
    expect(email.uses.find((u) => u.purpose.startsWith('Analytics'))).toEqual({ purpose: expect.any(String), recipients: ['Amplitude'], notes: ['Amplitude: domain part only'] });
    // A recipient named only in the earlier data map is still a recipient (in the past).
    expect(email.uses.find((u) => u.purpose.startsWith('Onboarding'))!.recipients).toEqual(['Inline Manual (in the past)']);
  });

  test('the values held, each with where it was found', () => {
    const name = r.items.find((i) => i.key === 'name')!;
    expect(name.held).toBe(true);
    expect(name.values).toEqual([
      { system: 'Product account database', value: 'Sam <b>Doe</b>', where: 'account profile' },
      { system: 'Intercom', value: 'Sam Doe', where: 'contact 42' },
    ]);
    expect(r.items.find((i) => i.key === 'payer_id')!.held).toBe(false);
  });

  test('what is held but cannot be shown, and what has not answered, are said; nothing pending reads as "nothing held"', () => {
    expect(r.notShown).toEqual([{ item: 'Password', where: 'Auth0, Auth0 user auth0|1', why: 'a one-way hash' }]);
    expect(r.pending.map((p) => p.system)).toEqual(['Amplitude', 'Hotjar', 'SendGrid']);
    expect(r.pending.find((p) => p.system === 'Amplitude')!.why).toMatch(/more events than we could read \(20000 read\)/);
    expect(r.summary).toMatch(/Some systems have not answered in full yet/);
    const nothing = buildAccessReport(request, [tasks[5]!], ctx);
    expect(nothing.summary).toMatch(/found no personal data about you so far, but not every system has answered yet/);
    expect(nothing.summary).not.toMatch(/^We searched every system/);
    const truly = buildAccessReport(request, [{ system: 'auth0', label: 'Auth0', status: 'done', outcome: 'not_found', result: { outcome: 'not_found', items: [] } }], ctx);
    expect(truly.summary).toBe('We searched every system listed below and found no personal data about you.');
  });

  test('(c) every recipient of the data map with entity, seat and what it receives; 15(2) the safeguard of each transfer outside the EEA', () => {
    expect(r.recipients.map((x) => x.key).sort()).toEqual(Object.keys(PROCESSORS).sort());
    const amplitude = r.recipients.find((x) => x.key === 'amplitude')!;
    expect(amplitude).toMatchObject({ entity: 'Amplitude Inc.', country: 'United States', inEea: false, safeguard: NOT_STATED });
    expect(r.recipients.find((x) => x.key === 'intercom')!.safeguard).toBeNull();
    expect(r.transfers.map((t) => t.recipient)).toEqual(
      Object.values(PROCESSORS).filter((p) => p.inEea !== true).map((p) => p.name),
    );
    expect(r.transfers.every((t) => t.safeguard.length > 0)).toBe(true);
  });

  test('(h) profiling: Pardot lead scoring, its logic and consequences, with the subject\'s own values', () => {
    expect(r.profiling).toHaveLength(1);
    expect(r.profiling[0]).toMatchObject({ recipient: 'Pardot (Salesforce Account Engagement)', decisionWithLegalEffects: false, values: [{ score: 87, grade: 'A-' }] });
    expect(r.profiling[0]!.logic).toMatch(/activity/);
  });

  test('(e) every right and how to use it, (f) the supervisory authority, the controller and its DPO', () => {
    expect(r.rights.map((x) => x.article)).toEqual(['Art. 15', 'Art. 16', 'Art. 17', 'Art. 18', 'Art. 20', 'Art. 21', 'Art. 7(3)', 'Art. 22', 'Art. 77']);
    expect(r.rights.find((x) => x.article === 'Art. 20')!.how).toMatch(/JSON download/);
    expect(r.complaint.authority).toBe(ctx.controller.supervisoryAuthority);
    expect(r.controller).toEqual({ name: 'Example SaaS Ltd', contact: 'privacy@example.com', dpo: 'dpo@example.com' });
  });

  test('the page escapes every value and shows each section; the CSV has a row per value', () => {
    const html = renderReportPage(r, { json: '/j', csv: '/c' }, new Date('2026-05-09T00:00:00Z'));
    expect(html).toContain('Sam &lt;b&gt;Doe&lt;/b&gt;');
    expect(html).not.toContain('<b>Doe</b>');
    for (const h of ['Held, but cannot be shown', 'Not answered yet', 'Transfers outside the European Economic Area', 'Automated decisions and profiling', 'Your rights', 'Who to contact']) expect(html).toContain(h);
    expect(html).toContain('Data Protection Commission');
    const csv = reportCsv(r).trim().split('\n');
    expect(csv[0]).toBe('item,label,value,where found,source,purposes and recipients,retention');
    expect(csv.filter((l) => l.startsWith('name,'))).toHaveLength(2);
    expect(csv.some((l) => l.startsWith('payer_id,') && l.includes('not found about you'))).toBe(true);
  });

  test('the e-mail carries a link and no personal data', () => {
    const mail = renderReportLinkMail({ link: 'https://privacy.example.com/v1/reports/x?token=t', expiresAt: new Date('2026-05-09T00:00:00Z'), summary: r.summary, controllerName: 'Example SaaS Ltd' });
    expect(mail.text).toContain('https://privacy.example.com/v1/reports/x?token=t');
    expect(mail.text).not.toContain('Sam');
    expect(mail.text).toContain('2026-05-09 00:00 UTC');
  });
});

describe('erasure confirmation', () => {
  const lines = buildErasureSummary([
    { system: 'product-db', label: 'Product account database', recipient: 'product', status: 'done', outcome: 'retained', result: { outcome: 'retained', actions: [{ what: 'account profile', count: 1, how: 'deleted' }], retained: [{ item: 'address', count: 2, what: 'invoices', reason: 'Tax law.', until: '10 years' }] } },
    { system: 'amplitude', label: 'Amplitude', recipient: 'amplitude', status: 'done', outcome: 'scheduled', result: { outcome: 'scheduled', actions: [], retained: [], vendorJob: { id: 'job-7', expectedBy: '2026-06-01' } } },
    { system: 'intercom', label: 'Intercom', recipient: 'intercom', status: 'done', outcome: 'restorable', result: { outcome: 'restorable', actions: [{ what: 'contact', count: 1, how: 'recycled' }], retained: [], remains: 'restorable by Intercom until 2026-05-09' } },
    { system: 'pardot', label: 'Pardot', recipient: 'pardot', status: 'done', outcome: 'action_required', result: { outcome: 'action_required', actions: [], retained: [], remains: '2 prospects in the recycle bin' }, actions: [{ status: 'open', completedAt: null, note: null }] },
    { system: 'auth0', label: 'Auth0', recipient: 'auth0', status: 'done', outcome: 'not_found', result: { outcome: 'not_found', actions: [], retained: [] } },
    { system: 'sendgrid', label: 'SendGrid', recipient: 'sendgrid', status: 'failed', outcome: 'failed', result: null },
    { system: 'hotjar', label: 'Hotjar', recipient: 'hotjar', status: 'skipped', outcome: 'not_configured', result: null },
  ]);

  test('one line per system, saying exactly what happened', () => {
    expect(lines.map((l) => l.outcome)).toEqual(['retained', 'scheduled', 'restorable', 'action_required', 'not_found', 'failed', 'not_configured']);
    expect(lines[0]!.text).toBe('Erased (account profile: 1 deleted), except what we must keep (below).');
    expect(lines[0]!.retained).toEqual([{ what: 'invoices', count: 2, reason: 'Tax law.', until: '10 years' }]);
    expect(lines[1]!.text).toContain('expected by 2026-06-01');
    expect(lines[2]!.text).toBe('Removed from use, but the provider can still restore it for a while: restorable by Intercom until 2026-05-09.');
    expect(lines[3]!.text).toBe('Being completed by our staff: 2 prospects in the recycle bin.');
  });

  test('every recipient of the data map appears, with what happened there', () => {
    const groups = erasureByRecipient(lines);
    expect(groups.map((g) => g.name)).toEqual(['Our own product database', ...Object.values(PROCESSORS).map((p) => p.name)]);
    expect(groups.find((g) => g.name === 'Inline Manual')!.lines[0]!.outcome).toBe('not_configured');
    const mail = renderErasureConfirmation(request, lines, ctx.controller);
    expect(mail.subject).toBe('Your erasure request: progress update');
    expect(mail.text).toContain('Kept: invoices (2 record(s)). Tax law. How long: 10 years.');
    expect(mail.text).toContain('You may complain to a supervisory authority: Data Protection Commission');
    expect(mail.html).toContain('Microsoft Azure (Application Insights)');
  });
});
