import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { Prisma } from '../generated/prisma/client.js';
import { PrismaService } from '../prisma/prisma.service.js';
import {
  erasureOutcome,
  type AccessResult,
  type DataSystem,
  type ErasureResult,
  type ItemValue,
  type RetainedRecord,
  type SubjectIdentifiers,
  type TaskContext,
} from './data-system.js';

// Issued invoices are accounting records that tax and accounting law requires the company to keep
// (typically 6 to 10 years, by country). GDPR Art. 17(3)(b) exempts them from erasure.
export const INVOICE_RETENTION_REASON =
  'Kept to comply with a legal obligation (GDPR Art. 17(3)(b)): tax and accounting law requires issued invoices ' +
  'to be kept for the statutory period.';
export const INVOICE_RETENTION_UNTIL = 'the end of the statutory retention period (up to 10 years from the invoice date)';
const INVOICE_FIELDS = 'invoice number and date, billing name, billing address, payer ID, subscription plan, amount and currency';

const CONTENT_REASON =
  "Part of your organisation's project workspace, which other people work on: only your authorship was removed. " +
  "The text itself belongs to the project; ask the project's owner to delete it.";

/** Links retained invoices to a subject after the account is gone (SHA-256 of the normalised address). */
export function retentionKey(email: string): string {
  return createHash('sha256').update(email.trim().toLowerCase(), 'utf8').digest('hex');
}

/** The product's own account store, in this service's database. E-mail columns are citext. */
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
    const account = await this.prisma.account.findUnique({ where: { email }, select: { userId: true, email: true } });
    if (!account) return { email };
    return { email, userId: account.userId, ...(account.email !== email ? { storedEmail: account.email } : {}) };
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
    // Invoices kept after an earlier erasure of this subject's account (legal obligation).
    const retainedInvoices = await this.prisma.invoice.findMany({
      where: { accountId: null, retainedForKey: retentionKey(email) },
      orderBy: { issuedAt: 'asc' },
    });
    const items: ItemValue[] = [];
    const add = (item: ItemValue['item'], value: unknown, where: string) => {
      if (value !== null && value !== undefined && value !== '') items.push({ item, value, where });
    };
    const invoice = (inv: (typeof retainedInvoices)[number], where: string) => {
      add('name', inv.billingName, where);
      add('address', inv.billingAddress, where);
      add('payer_id', inv.payerId, where);
      add('subscription_plan', inv.plan, where);
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
      for (const inv of account.invoices) invoice(inv, `invoice ${inv.number}`);
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
    for (const inv of retainedInvoices) invoice(inv, `invoice ${inv.number} (kept after your account was erased)`);
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
    // Idempotent: the result is stored with the task in the same transaction as the erasure, so a
    // second run (a worker killed after the commit) reports what the first did instead of "not found".
    const earlier = ctx.refs.erasureResult as ErasureResult | undefined;
    if (earlier) return earlier;
    const email = ctx.subject.email;
    // The product user id was stored with the request before fan-out (SubjectIdentifiers), so
    // nothing here depends on a lookup this erasure makes impossible. One transaction: either the
    // subject is fully erased here, or nothing changed and the task retries.
    return this.prisma.$transaction(async (tx) => {
      const result = await this.eraseIn(tx, email);
      await tx.$executeRaw`UPDATE dsar_tasks SET refs = COALESCE(refs, '{}'::jsonb) || jsonb_build_object('erasureResult', ${JSON.stringify(result)}::jsonb), updated_at = now() WHERE id = ${ctx.taskId}::uuid`;
      return result;
    });
  }

  private async eraseIn(tx: Prisma.TransactionClient, email: string): Promise<ErasureResult> {
    const account = await tx.account.findUnique({ where: { email }, select: { id: true } });
    const invitationsReceived = await tx.invitation.deleteMany({ where: { inviteeEmail: email } });
    const actions: ErasureResult['actions'] = [];
    const retained: RetainedRecord[] = [];
    const note = (what: string, count: number, how: 'deleted' | 'anonymised') => {
      if (count > 0) actions.push({ what, count, how });
    };
    note('invitations you received', invitationsReceived.count, 'deleted');
    if (account) {
      const id = account.id;
      // Content belongs to the projects (other people work on it): only authorship is removed.
      const content = await tx.contentItem.updateMany({ where: { authorId: id }, data: { authorId: null } });
      const comments = await tx.comment.updateMany({ where: { authorId: id }, data: { authorId: null } });
      note('authorship of content you wrote', content.count, 'anonymised');
      note('authorship of your comments', comments.count, 'anonymised');
      if (content.count + comments.count > 0) {
        retained.push({
          item: 'content',
          count: content.count + comments.count,
          what: `the text of ${content.count} content item(s) and ${comments.count} comment(s) you wrote, now without your name`,
          reason: CONTENT_REASON,
          until: 'for as long as the project keeps it',
        });
      }
      note('invitations you sent (sender removed)', (await tx.invitation.updateMany({ where: { inviterId: id }, data: { inviterId: null } })).count, 'anonymised');
      note('activity and telemetry events', (await tx.activityEvent.deleteMany({ where: { accountId: id } })).count, 'deleted');
      note('project roles', (await tx.projectMembership.deleteMany({ where: { accountId: id } })).count, 'deleted');
      note('billing profile', (await tx.billingProfile.deleteMany({ where: { accountId: id } })).count, 'deleted');
      // Invoices keep their own copy of the billing identity; they are unlinked from the account and
      // keyed to the subject's address so that a later access request can still report them.
      const invoices = await tx.invoice.updateMany({
        where: { accountId: id },
        data: { accountId: null, retainedForKey: retentionKey(email), retainedSince: new Date() },
      });
      await tx.account.delete({ where: { id } });
      note('account profile', 1, 'deleted');
      if (invoices.count) {
        retained.push({ item: 'address', count: invoices.count, what: INVOICE_FIELDS, reason: INVOICE_RETENTION_REASON, until: INVOICE_RETENTION_UNTIL });
      }
    }
    const outcome = erasureOutcome({ actions, retained });
    return {
      outcome,
      actions,
      retained,
      ...(retained.length ? { remains: retained.map((r) => r.what).join('; ') } : {}),
    };
  }
}
