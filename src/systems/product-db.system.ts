import { Injectable } from '@nestjs/common';
import { PrismaService } from '../prisma/prisma.service.js';
import type { AccessResult, DataSystem, ErasureResult, ItemValue, SubjectIdentifiers, TaskContext } from './data-system.js';

// Issued invoices are accounting records that tax and accounting law requires the company to keep
// (typically 6 to 10 years, by country). GDPR Art. 17(3)(b) exempts them from erasure.
export const INVOICE_RETENTION_REASON =
  'Kept to comply with a legal obligation (GDPR Art. 17(3)(b)): tax and accounting law requires issued invoices, ' +
  'with the billing name, address and payer ID on them, to be kept for the statutory period (up to 10 years).';

/** The product's own account store, in this service's database. */
@Injectable()
export class ProductDbSystem implements DataSystem {
  readonly key = 'product-db';
  readonly label = 'Product account database';
  readonly recipient = 'product';

  constructor(private readonly prisma: PrismaService) {}

  isConfigured(): boolean {
    return true;
  }

  /** Identifiers the processors know the subject by, resolved before any task runs. */
  async resolveIdentifiers(email: string): Promise<SubjectIdentifiers> {
    const account = await this.prisma.account.findUnique({ where: { email }, select: { userId: true } });
    return account ? { email, userId: account.userId } : { email };
  }

  async access(ctx: TaskContext): Promise<AccessResult> {
    const email = ctx.subject.email;
    const account = await this.prisma.account.findUnique({
      where: { email },
      include: {
        billingProfile: true,
        invoices: { orderBy: { issuedAt: 'asc' } },
        memberships: { include: { project: { select: { name: true } } } },
        contentItems: { include: { project: { select: { name: true } } }, orderBy: { createdAt: 'asc' } },
        comments: { orderBy: { createdAt: 'asc' } },
        sentInvitations: { include: { project: { select: { name: true } } } },
        activityEvents: { orderBy: { occurredAt: 'asc' } },
      },
    });
    const received = await this.prisma.invitation.findMany({
      where: { inviteeEmail: email },
      include: { project: { select: { name: true } } },
    });
    const items: ItemValue[] = [];
    const add = (item: ItemValue['item'], value: unknown, where: string) => {
      if (value !== null && value !== undefined && value !== '') items.push({ item, value, where });
    };

    if (account) {
      const profile = 'account profile';
      add('user_id', account.userId, profile);
      add('email', account.email, profile);
      add('name', [account.firstName, account.lastName].filter(Boolean).join(' '), profile);
      add('phone_number', account.phoneNumber, profile);
      add('business_role', account.businessRole, profile);
      add('business_type', account.businessType, profile);
      add('subscription_plan', account.subscriptionPlan, profile);
      add('user_creation_date', account.createdAt.toISOString(), profile);
      const b = account.billingProfile;
      if (b) {
        add('payer_id', b.payerId, 'billing profile');
        add('name', b.billingName, 'billing profile');
        add('address', [b.addressLine1, b.addressLine2, b.postalCode, b.city, b.country].filter(Boolean).join(', '), 'billing profile');
      }
      for (const inv of account.invoices) {
        add('address', inv.billingAddress, `invoice ${inv.number}`);
        add('payer_id', inv.payerId, `invoice ${inv.number}`);
      }
      for (const m of account.memberships) add('user_role', `${m.role} in project "${m.project.name}"`, 'project membership');
      for (const c of account.contentItems) {
        add('content', { title: c.title, body: c.body, createdAt: c.createdAt.toISOString() }, `project "${c.project.name}"`);
      }
      for (const c of account.comments) add('content', { comment: c.body, createdAt: c.createdAt.toISOString() }, 'comment');
      for (const inv of account.sentInvitations) {
        add('invitation', { invited: inv.inviteeEmail, project: inv.project.name, sentAt: inv.createdAt.toISOString() }, 'invitation you sent');
      }
      for (const e of account.activityEvents) {
        const at = e.occurredAt.toISOString();
        add('activity', { type: e.type, at }, 'activity log');
        add('ip_address', e.ipAddress, `activity at ${at}`);
        add('browser', e.browser, `activity at ${at}`);
        add('operating_system', e.os, `activity at ${at}`);
        add('device_type', e.deviceType, `activity at ${at}`);
        add('geolocation', [e.geoCity, e.geoCountry].filter(Boolean).join(', '), `activity at ${at}`);
      }
    }
    for (const inv of received) {
      add('email', inv.inviteeEmail, `invitation to project "${inv.project.name}"`);
      add('name', inv.inviteeName, `invitation to project "${inv.project.name}"`);
      add('invitation', { project: inv.project.name, sentAt: inv.createdAt.toISOString(), acceptedAt: inv.acceptedAt?.toISOString() ?? null }, 'invitation you received');
    }
    // Identical values found in several places are reported once per place; exact duplicates go.
    const seen = new Set<string>();
    const unique = items.filter((i) => {
      const k = `${i.item}|${i.where}|${JSON.stringify(i.value)}`;
      return seen.has(k) ? false : (seen.add(k), true);
    });
    return { outcome: unique.length ? 'found' : 'not_found', items: unique };
  }

  async erase(ctx: TaskContext): Promise<ErasureResult> {
    const email = ctx.subject.email;
    // The product user id was stored with the request before fan-out (SubjectIdentifiers), so
    // nothing here depends on a lookup this erasure makes impossible. One transaction: either the subject is fully erased here, or nothing changed and the task retries.
    return this.prisma.$transaction(async (tx) => {
      const account = await tx.account.findUnique({ where: { email }, select: { id: true } });
      const invitationsReceived = await tx.invitation.deleteMany({ where: { inviteeEmail: email } });
      const actions: ErasureResult['actions'] = [];
      const note = (what: string, count: number, how: 'deleted' | 'anonymised') => {
        if (count > 0) actions.push({ what, count, how });
      };
      note('invitations you received', invitationsReceived.count, 'deleted');
      if (!account) {
        return actions.length
          ? { outcome: 'erased', actions, retained: [] }
          : { outcome: 'not_found', actions: [], retained: [] };
      }
      const id = account.id;
      // Content belongs to the projects (other people work on it): only authorship is removed.
      note('content authorship', (await tx.contentItem.updateMany({ where: { authorId: id }, data: { authorId: null } })).count, 'anonymised');
      note('comment authorship', (await tx.comment.updateMany({ where: { authorId: id }, data: { authorId: null } })).count, 'anonymised');
      note('invitations you sent (sender removed)', (await tx.invitation.updateMany({ where: { inviterId: id }, data: { inviterId: null } })).count, 'anonymised');
      note('activity and telemetry events', (await tx.activityEvent.deleteMany({ where: { accountId: id } })).count, 'deleted');
      note('project roles', (await tx.projectMembership.deleteMany({ where: { accountId: id } })).count, 'deleted');
      note('billing profile', (await tx.billingProfile.deleteMany({ where: { accountId: id } })).count, 'deleted');
      // Invoices keep their own copy of the billing identity; unlink them from the account.
      const invoices = await tx.invoice.updateMany({ where: { accountId: id }, data: { accountId: null } });
      await tx.account.delete({ where: { id } });
      note('account profile', 1, 'deleted');
      const retained = invoices.count
        ? [{ item: 'address' as const, count: invoices.count, reason: INVOICE_RETENTION_REASON }]
        : [];
      return { outcome: 'erased', actions, retained };
    });
  }
}
