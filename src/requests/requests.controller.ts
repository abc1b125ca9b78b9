import { Body, Controller, Get, HttpCode, Inject, Param, Post, Req } from '@nestjs/common';
import type { Request } from 'express';
import { FailureLimiter } from '../common/rate-limit.js';
import { RateLimitStore } from '../common/rate-limit.store.js';
import { UuidPipe } from '../common/uuid.pipe.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { CreateRequestDto, normaliseEmail, VerifyRequestDto } from './requests.dto.js';
import { publicView, RECEIVED, RequestsService, type PublicRequestView } from './requests.service.js';

@Controller('v1/requests')
export class RequestsController {
  private readonly wrongTokens: FailureLimiter;

  constructor(
    private readonly requests: RequestsService,
    store: RateLimitStore,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.wrongTokens = new FailureLimiter(store, 'wrong-token', config.rateLimit.wrongTokensPerMinute, 'wrong verification links');
  }

  @Post()
  @HttpCode(202)
  async create(@Body() body: CreateRequestDto): Promise<typeof RECEIVED> {
    return this.requests.submit(body.type, normaliseEmail(body.email));
  }

  @Post(':id/verify')
  @HttpCode(200)
  async verify(@Param('id', UuidPipe) id: string, @Body() body: VerifyRequestDto, @Req() req: Request): Promise<PublicRequestView> {
    await this.wrongTokens.check(req);
    try {
      return publicView(await this.requests.verify(id, body.token));
    } catch (err) {
      if ((err as { wrongToken?: boolean }).wrongToken) await this.wrongTokens.failed(req);
      throw err;
    }
  }

  @Get(':id')
  async status(@Param('id', UuidPipe) id: string): Promise<PublicRequestView> {
    return publicView(await this.requests.findPublic(id));
  }
}
