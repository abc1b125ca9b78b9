import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Req, UseGuards } from '@nestjs/common';
import { UuidPipe } from '../common/uuid.pipe.js';
import { OfficerAuthGuard, type OfficerRequest } from './officer-auth.guard.js';
import { RetryService } from '../fulfilment/retry.service.js';
import { BulkRetryDto, CompleteActionDto, CreateKeyDto, DenyDto, ExtendDto, FileRequestDto, ListRequestsQuery, RetryDto } from './officers.dto.js';
import { RequestAdminService } from './request-admin.service.js';
import { OfficerActionsService } from './officer-actions.service.js';
import { OfficersService } from './officers.service.js';

const actor = (req: OfficerRequest) => `officer:${req.officer!.keyId}` as const;

@Controller('v1/admin')
@UseGuards(OfficerAuthGuard)
export class OfficersController {
  constructor(
    private readonly officers: OfficersService,
    private readonly retries: RetryService,
    private readonly actions: OfficerActionsService,
    private readonly admin: RequestAdminService,
  ) {}

  @Get('requests')
  list(@Query() q: ListRequestsQuery) {
    return this.officers.list(q);
  }

  // Declared before 'requests/:id/...' so that "retry" is never read as an id.
  @Post('requests/retry')
  @HttpCode(202)
  retryMany(@Body() body: BulkRetryDto, @Req() req: OfficerRequest) {
    return this.retries.retryMany(actor(req), body.requestIds);
  }

  /** A request received by letter, phone or in person, filed on the subject's behalf. */
  @Post('requests')
  @HttpCode(201)
  file(@Body() body: FileRequestDto, @Req() req: OfficerRequest) {
    return this.admin.fileOnBehalf(body, req.officer!);
  }

  @Get('requests/:id')
  get(@Param('id', UuidPipe) id: string) {
    return this.officers.get(id);
  }

  @Post('requests/:id/retry')
  @HttpCode(202)
  retry(@Param('id', UuidPipe) id: string, @Body() body: RetryDto, @Req() req: OfficerRequest) {
    return this.retries.retry(id, actor(req), { systems: body.systems });
  }

  @Post('requests/:id/actions/:actionId/complete')
  @HttpCode(200)
  completeAction(
    @Param('id', UuidPipe) id: string,
    @Param('actionId', UuidPipe) actionId: string,
    @Body() body: CompleteActionDto,
    @Req() req: OfficerRequest,
  ) {
    return this.actions.complete(id, actionId, body.note, actor(req), body.outcome);
  }

  @Post('requests/:id/extend')
  @HttpCode(200)
  extend(@Param('id', UuidPipe) id: string, @Body() body: ExtendDto, @Req() req: OfficerRequest) {
    return this.admin.extend(id, body.months, body.reason, actor(req));
  }

  @Post('requests/:id/deny')
  @HttpCode(200)
  deny(@Param('id', UuidPipe) id: string, @Body() body: DenyDto, @Req() req: OfficerRequest) {
    return this.admin.deny(id, body.reason, body.note, actor(req));
  }

  @Post('requests/:id/resend-result')
  @HttpCode(202)
  resend(@Param('id', UuidPipe) id: string, @Req() req: OfficerRequest) {
    return this.admin.resendResult(id, actor(req));
  }

  @Post('keys')
  @HttpCode(201)
  createKey(@Body() body: CreateKeyDto, @Req() req: OfficerRequest) {
    return this.officers.createKey(body.name, actor(req));
  }

  @Delete('keys/:id')
  @HttpCode(204)
  async revokeKey(@Param('id', UuidPipe) id: string, @Req() req: OfficerRequest): Promise<void> {
    await this.officers.revokeKey(id, actor(req));
  }
}
