import { applyDecorators, Controller, Get, HttpStatus, Inject, Param, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ApiErrors, ApiId } from '../common/api-docs.js';
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

// What every report route shares in the document: the id and token of the e-mailed link, and its errors.
const ReportLink = () =>
  applyDecorators(
    ApiId('id', 'The report id (from the e-mailed link)'),
    ApiQuery({ name: 'token', required: true, description: 'The token from the e-mailed link', schema: { type: 'string', minLength: 16, maxLength: 128 } }),
    ApiErrors([400, 'The link is incomplete (bad_request)'], [403, 'The link is not valid (invalid_token)'], 404, [410, 'The report has expired and was deleted (report_expired)'], 429),
  );

/** The subject's access report behind the e-mailed link: the page and its JSON and CSV downloads. */
@ApiTags('subject pages')
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
  @ApiOperation({ summary: 'The access report (HTML), with links to its downloads' })
  @ApiProduces('text/html')
  @ApiResponse({ status: 200, description: 'The report', content: { 'text/html': { schema: { type: 'string' } } } })
  @ReportLink()
  async page(@Param('id', UuidPipe) id: string, @Query('token') token: unknown, @Req() req: Request, @Res() res: Response): Promise<void> {
    const r = await this.open(id, token, req);
    await this.reports.downloaded(r, 'page');
    const t = encodeURIComponent(String(token));
    res.set({ ...PRIVATE_HEADERS, 'Content-Type': 'text/html; charset=utf-8' });
    res.send(renderReportPage(r.content, { json: `/v1/reports/${id}/report.json?token=${t}`, csv: `/v1/reports/${id}/report.csv?token=${t}` }, r.expiresAt));
  }

  @Get(':id/report.json')
  @ApiOperation({ summary: 'The access report as JSON (a download)', description: 'Per data system: what it holds about the subject, where it came from, why it is held and who receives it.' })
  @ApiResponse({ status: 200, description: 'The report', content: { 'application/json': { schema: { type: 'object', additionalProperties: true } } } })
  @ReportLink()
  async json(@Param('id', UuidPipe) id: string, @Query('token') token: unknown, @Req() req: Request, @Res() res: Response): Promise<void> {
    const r = await this.open(id, token, req);
    await this.reports.downloaded(r, 'json');
    res.set({ ...PRIVATE_HEADERS, 'Content-Type': 'application/json; charset=utf-8', 'Content-Disposition': 'attachment; filename="personal-data.json"' });
    res.send(JSON.stringify(r.content, null, 2));
  }

  @Get(':id/report.csv')
  @ApiOperation({ summary: 'The access report as CSV (a download): one row per data item' })
  @ApiProduces('text/csv')
  @ApiResponse({ status: 200, description: 'The report', content: { 'text/csv': { schema: { type: 'string' } } } })
  @ReportLink()
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
