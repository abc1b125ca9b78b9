// Demo accounts for the product's own store: used by `npm run db:seed` (so a new user can run a
// request at once), by the demo mode and by tests. Fictional people only.
import { randomUUID } from 'node:crypto';
import type { PrismaClient } from '../generated/prisma/client.js';

export interface DemoPerson {
  email: string;
  firstName: string;
  lastName: string;
  phoneNumber?: string;
  businessRole?: string;
  businessType?: string;
  plan?: string;
}

export const DEMO_PEOPLE: DemoPerson[] = [
  { email: 'ada.lovelace@example.com', firstName: 'Ada', lastName: 'Lovelace', phoneNumber: '+44 20 7946 0018', businessRole: 'Content strategist', businessType: 'Agency', plan: 'Business' },
  { email: 'grace.hopper@example.com', firstName: 'Grace', lastName: 'Hopper', phoneNumber: '+1 202 555 0143', businessRole: 'Developer', businessType: 'Enterprise', plan: 'Premium' },
];

/** An address only present as the recipient of an invitation (no account). */
export const DEMO_INVITEE = { email: 'alan.turing@example.com', name: 'Alan Turing' };

/**
 * Creates an account with data in every table the product keeps about a user. Returns its ids.
 * `withInvoices: false` leaves out billing history (then nothing is retained on erasure).
 */
export async function createAccount(
  prisma: PrismaClient,
  p: DemoPerson,
  opts: { withInvoices?: boolean; inviteeEmail?: string } = {},
): Promise<{ accountId: string; userId: string; projectId: string }> {
  const userId = `usr_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  const payerId = `PAY-${randomUUID().slice(0, 8).toUpperCase()}`;
  return prisma.$transaction(async (tx) => {
    const account = await tx.account.create({
      data: {
        userId,
        email: p.email,
        firstName: p.firstName,
        lastName: p.lastName,
        phoneNumber: p.phoneNumber,
        businessRole: p.businessRole,
        businessType: p.businessType,
        subscriptionPlan: p.plan ?? 'Starter',
        billingProfile: {
          create: {
            payerId,
            billingName: `${p.firstName} ${p.lastName}`,
            addressLine1: '12 Analytical Row',
            city: 'London',
            postalCode: 'N1 7GU',
            country: 'GB',
          },
        },
      },
    });
    const project = await tx.project.create({ data: { name: `${p.firstName}'s launch site` } });
    const colleague = await tx.account.create({
      data: { userId: `usr_${randomUUID().slice(0, 12)}`, email: `colleague-${randomUUID().slice(0, 8)}@example.org`, firstName: 'Colleague' },
    });
    await tx.projectMembership.createMany({
      data: [
        { accountId: account.id, projectId: project.id, role: 'Project manager' },
        { accountId: colleague.id, projectId: project.id, role: 'Contributor' },
      ],
    });
    const item = await tx.contentItem.create({
      data: { projectId: project.id, authorId: account.id, title: 'Launch announcement', body: 'We are live. Draft by the project manager.' },
    });
    await tx.comment.createMany({
      data: [
        { contentItemId: item.id, authorId: account.id, body: 'Please check the second paragraph.' },
        { contentItemId: item.id, authorId: colleague.id, body: 'Done, looks good.' },
      ],
    });
    await tx.invitation.create({
      data: { projectId: project.id, inviterId: account.id, inviteeEmail: opts.inviteeEmail ?? DEMO_INVITEE.email, inviteeName: DEMO_INVITEE.name },
    });
    await tx.activityEvent.createMany({
      data: [
        { accountId: account.id, type: 'signed_in', occurredAt: new Date(Date.UTC(2026, 9, 1, 8, 30)), ipAddress: '203.0.113.7', browser: 'Firefox 131', os: 'macOS 14', deviceType: 'desktop', geoCountry: 'GB', geoCity: 'London' },
        { accountId: account.id, type: 'content_published', occurredAt: new Date(Date.UTC(2026, 9, 1, 9, 5)), ipAddress: '203.0.113.7', browser: 'Firefox 131', os: 'macOS 14', deviceType: 'desktop', geoCountry: 'GB', geoCity: 'London' },
      ],
    });
    if (opts.withInvoices !== false) {
      await tx.invoice.createMany({
        data: [1, 2].map((n) => ({
          accountId: account.id,
          number: `INV-${randomUUID().slice(0, 8).toUpperCase()}-${n}`,
          payerId,
          billingName: `${p.firstName} ${p.lastName}`,
          billingAddress: '12 Analytical Row, N1 7GU London, GB',
          plan: p.plan ?? 'Starter',
          amountCents: 4900,
          currency: 'EUR',
          issuedAt: new Date(Date.UTC(2026, n, 1)),
        })),
      });
    }
    return { accountId: account.id, userId, projectId: project.id };
  });
}
