import { Body, Controller, Get, HttpCode, Inject, Param, Post, Req } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { FailureLimiter } from '../common/rate-limit.js';
import { RateLimitStore } from '../common/rate-limit.store.js';
import { ApiErrors, ApiId, BODY_ERRORS } from '../common/api-docs.js';
import { UuidPipe } from '../common/uuid.pipe.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { CreateRequestDto, normaliseEmail, PublicRequestBody, RequestReceivedBody, VerifyRequestDto } from './requests.dto.js';
import { publicView, RECEIVED, RequestsService, type PublicRequestView } from './requests.service.js';

@ApiTags('requests')
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
  @ApiOperation({ summary: 'Submit an access or erasure request', description: 'A confirmation link is e-mailed to the address. The answer is the same whether or not the address is known.' })
  @ApiAcceptedResponse({ type: RequestReceivedBody, description: 'Received; nothing happens until the link is opened and confirmed' })
  @ApiErrors(...BODY_ERRORS, 429)
  async create(@Body() body: CreateRequestDto): Promise<typeof RECEIVED> {
    return this.requests.submit(body.type, normaliseEmail(body.email));
  }

  @Post(':id/verify')
  @HttpCode(200)
  @ApiOperation({ summary: 'Confirm a request with the token from the e-mailed link' })
  @ApiId()
  @ApiOkResponse({ type: PublicRequestBody, description: 'Verified: the request is being carried out' })
  @ApiErrors(...BODY_ERRORS, [403, 'Wrong token (invalid_token, counted) or too many wrong tokens (too_many_attempts)'], 404, [409, 'The request is not awaiting verification (not_awaiting_verification)'], [410, 'The link has expired (token_expired)'], 429)
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
  @ApiOperation({ summary: 'A request\'s status and due date (no personal data)' })
  @ApiId()
  @ApiOkResponse({ type: PublicRequestBody })
  @ApiErrors(404, 429)
  async status(@Param('id', UuidPipe) id: string): Promise<PublicRequestView> {
    return publicView(await this.requests.findPublic(id));
  }
}
