import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { audit } from '../audit/audit.js';
import { ApiError } from '../common/errors.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import type { AccessReport } from '../fulfilment/report.js';
import { Prisma } from '../generated/prisma/client.js';
import { PrismaService } from '../prisma/prisma.service.js';
import { hashToken, newToken } from '../requests/tokens.js';
import { retentionKey } from '../systems/product-db.system.js';

export interface OpenedReport {
  id: string;
  content: AccessReport;
  expiresAt: Date;
}

/**
 * Access reports behind expiring links. A report is stored when its answer is sent, lives
 * REPORT_LINK_DAYS, and is then deleted (content gone; the row stays as the record that an answer
 * was given). Each e-mail carries its own link (256-bit token, only its hash stored).
 */
@Injectable()
export class ReportStore {
  constructor(
    private readonly prisma: PrismaService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Stores (or refreshes, for a later round) the report of a request; returns a new link to it. */
  async publish(requestId: string, email: string, content: AccessReport): Promise<{ reportId: string; token: string; expiresAt: Date }> {
    const expiresAt = new Date(Date.now() + this.config.reportLinkMs);
    const token = newToken();
    const reportId = await this.prisma.$transaction(async (tx) => {
      const report = await tx.accessReport.upsert({
        where: { requestId },
        create: { requestId, subjectKey: retentionKey(email), content: content as unknown as Prisma.InputJsonValue, expiresAt },
        update: { content: content as unknown as Prisma.InputJsonValue, expiresAt, deletedAt: null },
      });
      await tx.reportLink.create({ data: { reportId: report.id, tokenHash: hashToken(token), requestId } });
      return report.id;
    });
    return { reportId, token, expiresAt };
  }

  /** A live report of the same subject (a repeated, verified access request gets a link to it). */
  async liveFor(email: string): Promise<{ id: string; expiresAt: Date; summary: string } | undefined> {
    const r = await this.prisma.accessReport.findFirst({
      where: { subjectKey: retentionKey(email), deletedAt: null, expiresAt: { gt: new Date() }, request: { status: 'completed' } },
      orderBy: { createdAt: 'desc' },
      select: { id: true, expiresAt: true, content: true },
    });
    if (!r) return undefined;
    return { id: r.id, expiresAt: r.expiresAt, summary: (r.content as { summary?: string } | null)?.summary ?? '' };
  }

  /** A new link to an existing report, issued for another request. */
  async link(reportId: string, requestId: string): Promise<string> {
    const token = newToken();
    await this.prisma.reportLink.create({ data: { reportId, tokenHash: hashToken(token), requestId } });
    return token;
  }

  linkUrl(reportId: string, token: string, what = ''): string {
    return `${this.config.publicBaseUrl}/v1/reports/${reportId}${what}?token=${encodeURIComponent(token)}`;
  }

  /** The report behind a link: 403 for a wrong token (counted by the caller), 410 once expired. */
  async open(reportId: string, token: string): Promise<OpenedReport> {
    const link = await this.prisma.reportLink.findUnique({ where: { tokenHash: hashToken(token) }, include: { report: true } });
    if (!link || link.reportId !== reportId) {
      throw Object.assign(new ApiError(HttpStatus.FORBIDDEN, 'invalid_token', 'This link is not valid'), { wrongToken: true });
    }
    const r = link.report;
    if (r.deletedAt || !r.content || r.expiresAt <= new Date()) {
      throw new ApiError(HttpStatus.GONE, 'report_expired', 'This report has expired and was deleted: submit a new access request to get a new one');
    }
    return { id: r.id, content: r.content as unknown as AccessReport, expiresAt: r.expiresAt };
  }

  /** Records a download (audited: which report, which format; never the content). */
  async downloaded(report: OpenedReport, format: 'page' | 'json' | 'csv'): Promise<void> {
    await this.prisma.$transaction(async (tx) => {
      const r = await tx.accessReport.update({ where: { id: report.id }, data: { downloads: { increment: 1 } }, select: { requestId: true } });
      await audit(tx, { requestId: r.requestId, actor: 'subject', action: format === 'page' ? 'report_viewed' : 'report_downloaded', details: { reportId: report.id, format } });
    });
  }

  /** Deletes the content of every report past its expiry (maintenance). */
  async deleteExpired(now = new Date()): Promise<number> {
    const r = await this.prisma.accessReport.updateMany({
      where: { deletedAt: null, expiresAt: { lte: now } },
      data: { content: Prisma.DbNull, deletedAt: now },
    });
    return r.count;
  }
}
