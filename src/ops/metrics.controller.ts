import { Controller, Get, HttpStatus, Inject, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ApiErrors, METRICS_TOKEN } from '../common/api-docs.js';
import { ApiError } from '../common/errors.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { ApiMetrics } from './api-metrics.service.js';
import { metricsAuthorized } from './metrics.js';

@ApiTags('operations')
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: ApiMetrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Prometheus metrics (text exposition format)', description: 'Needs METRICS_TOKEN as a bearer token when that is set; open otherwise.' })
  @ApiBearerAuth(METRICS_TOKEN)
  @ApiProduces('text/plain')
  @ApiResponse({ status: 200, description: 'The metrics', content: { 'text/plain': { schema: { type: 'string' } } } })
  @ApiErrors([401, 'METRICS_TOKEN is set and the request did not carry it (unauthorized)'])
  async scrape(@Req() req: Request, @Res() res: Response): Promise<void> {
    if (!metricsAuthorized(this.config.metricsToken, req.headers.authorization)) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      throw new ApiError(HttpStatus.UNAUTHORIZED, 'unauthorized', 'Send METRICS_TOKEN as "Authorization: Bearer <token>"');
    }
    const body = await this.metrics.registry.metrics();
    res.status(200).set({ 'Content-Type': this.metrics.registry.contentType, 'Cache-Control': 'no-store' }).send(body);
  }
}
