import { Controller, Get, HttpStatus, Inject, Param, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ApiError } from '../common/errors.js';
import { FailureLimiter } from '../common/rate-limit.js';
import { RateLimitStore } from '../common/rate-limit.store.js';
import { UuidPipe } from '../common/uuid.pipe.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { renderReportPage, reportCsv } from '../fulfilment/report.js';
import { ReportStore, type OpenedReport } from './report-store.service.js';

// The page holds personal data: not cached, not referred, nothing loaded from anywhere.
const PRIVATE_HEADERS = {
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};

/** The subject's access report behind the e-mailed link: the page and its JSON and CSV downloads. */
@Controller('v1/reports')
export class ReportsController {
  private readonly wrongTokens: FailureLimiter;

  constructor(
    private readonly reports: ReportStore,
    store: RateLimitStore,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.wrongTokens = new FailureLimiter(store, 'wrong-token', config.rateLimit.wrongTokensPerMinute, 'wrong report links');
  }

  @Get(':id')
  async page(@Param('id', UuidPipe) id: string, @Query('token') token: unknown, @Req() req: Request, @Res() res: Response): Promise<void> {
    const r = await this.open(id, token, req);
    await this.reports.downloaded(r, 'page');
    const t = encodeURIComponent(String(token));
    res.set({ ...PRIVATE_HEADERS, 'Content-Type': 'text/html; charset=utf-8' });
    res.send(renderReportPage(r.content, { json: `/v1/reports/${id}/report.json?token=${t}`, csv: `/v1/reports/${id}/report.csv?token=${t}` }, r.expiresAt));
  }

  @Get(':id/report.json')
  async json(@Param('id', UuidPipe) id: string, @Query('token') token: unknown, @Req() req: Request, @Res() res: Response): Promise<void> {
    const r = await this.open(id, token, req);
    await this.reports.downloaded(r, 'json');
    res.set({ ...PRIVATE_HEADERS, 'Content-Type': 'application/json; charset=utf-8', 'Content-Disposition': 'attachment; filename="personal-data.json"' });
    res.send(JSON.stringify(r.content, null, 2));
  }

  @Get(':id/report.csv')
  async csv(@Param('id', UuidPipe) id: string, @Query('token') token: unknown, @Req() req: Request, @Res() res: Response): Promise<void> {
    const r = await this.open(id, token, req);
    await this.reports.downloaded(r, 'csv');
    res.set({ ...PRIVATE_HEADERS, 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': 'attachment; filename="personal-data.csv"' });
    res.send(reportCsv(r.content));
  }

  private async open(id: string, token: unknown, req: Request): Promise<OpenedReport> {
    if (typeof token !== 'string' || !/^[A-Za-z0-9_-]{16,128}$/.test(token)) {
      throw new ApiError(HttpStatus.BAD_REQUEST, 'bad_request', 'The link is incomplete: open it exactly as it is in the e-mail');
    }
    await this.wrongTokens.check(req);
    try {
      return await this.reports.open(id, token);
    } catch (err) {
      if ((err as { wrongToken?: boolean }).wrongToken) await this.wrongTokens.failed(req);
      throw err;
    }
  }
}
