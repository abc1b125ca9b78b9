import { Controller, Get, ServiceUnavailableException, Res } from '@nestjs/common';
import { HealthCheck, type HealthCheckResult } from '@nestjs/terminus';
import { ApiOperation, ApiResponse, ApiTags, type ApiResponseSchemaHost } from '@nestjs/swagger';

type SchemaObject = Exclude<ApiResponseSchemaHost['schema'], { $ref: string }>;
import type { Response } from 'express';
import { Readiness } from './readiness.service.js';

// Terminus's answer: overall status, then each indicator by name (up/down, and why when down).
const indicators: SchemaObject = {
  type: 'object',
  additionalProperties: {
    type: 'object',
    required: ['status'],
    properties: { status: { type: 'string', enum: ['up', 'degraded', 'down'] }, message: { type: 'string' } },
    additionalProperties: true,
  },
};
const healthSchema = (statuses: string[]): SchemaObject => ({
  type: 'object',
  required: ['status'],
  properties: { status: { type: 'string', enum: statuses }, info: indicators, error: indicators, details: indicators },
});

export function answer(res: Response, check: () => Promise<HealthCheckResult>): Promise<void> {
  return check().then(
    (result) => void res.status(200).json(result),
    (err: unknown) => {
      // Terminus throws with its result as the body: answered as is (not as an API error).
      if (!(err instanceof ServiceUnavailableException)) throw err;
      res.status(503).json(err.getResponse());
    },
  );
}

/** Probes for orchestrators and load balancers (@nestjs/terminus). Not rate limited, no auth. */
@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(private readonly readiness: Readiness) {}

  @Get('live')
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  @ApiOperation({ summary: 'Liveness: the process is up' })
  @ApiResponse({ status: 200, description: 'Up', content: { 'application/json': { schema: healthSchema(['ok']) } } })
  live(@Res() res: Response): Promise<void> {
    return answer(res, () => this.readiness.live());
  }

  @Get('ready')
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  @ApiOperation({ summary: 'Readiness: PostgreSQL answers SELECT 1 and Redis answers PING' })
  @ApiResponse({ status: 200, description: 'Ready', content: { 'application/json': { schema: healthSchema(['ok', 'degraded']) } } })
  @ApiResponse({ status: 503, description: 'A dependency is down (named under "error")', content: { 'application/json': { schema: healthSchema(['error', 'shutting_down']) } } })
  ready(@Res() res: Response): Promise<void> {
    return answer(res, () => this.readiness.ready());
  }

  /** Kept from earlier versions: the same as /health/ready. */
  @Get()
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  @ApiOperation({ summary: 'Readiness (alias of /health/ready, kept for earlier deployments)' })
  @ApiResponse({ status: 200, description: 'Ready', content: { 'application/json': { schema: healthSchema(['ok', 'degraded']) } } })
  @ApiResponse({ status: 503, description: 'A dependency is down', content: { 'application/json': { schema: healthSchema(['error', 'shutting_down']) } } })
  health(@Res() res: Response): Promise<void> {
    return answer(res, () => this.readiness.ready());
  }
}
