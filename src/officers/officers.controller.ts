import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Req, UseGuards } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, ApiId, BODY_ERRORS, OFFICER_KEY } from '../common/api-docs.js';
import { UuidPipe } from '../common/uuid.pipe.js';
import { OfficerAuthGuard, type OfficerRequest } from './officer-auth.guard.js';
import { RetryService } from '../fulfilment/retry.service.js';
import {
  ActionBody,
  BulkRetryDto,
  BulkRetryResultBody,
  CompleteActionDto,
  CreatedKeyBody,
  CreateKeyDto,
  DeniedBody,
  DenyDto,
  ExtendDto,
  ExtendedBody,
  FiledRequestBody,
  FileRequestDto,
  ListRequestsQuery,
  RequestDetailBody,
  RequestPageBody,
  ResendBody,
  RetryDto,
  RetryResultBody,
} from './officers.dto.js';
import { RequestAdminService } from './request-admin.service.js';
import { OfficerActionsService } from './officer-actions.service.js';
import { OfficersService } from './officers.service.js';

const actor = (req: OfficerRequest) => `officer:${req.officer!.keyId}` as const;

@ApiTags('officers')
@ApiBearerAuth(OFFICER_KEY)
@ApiErrors([401, 'No officer key, or an unknown or revoked one (unauthorized)'], [429, 'Too many failed authentications from this client (too_many_requests); see Retry-After'])
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
  @ApiOperation({ summary: 'List requests, oldest deadline first, with filters' })
  @ApiOkResponse({ type: RequestPageBody })
  @ApiErrors(400)
  list(@Query() q: ListRequestsQuery) {
    return this.officers.list(q);
  }

  // Declared before 'requests/:id/...' so that "retry" is never read as an id.
  @Post('requests/retry')
  @HttpCode(202)
  @ApiOperation({ summary: 'Retry the failed tasks of several requests' })
  @ApiAcceptedResponse({ type: BulkRetryResultBody })
  @ApiErrors(...BODY_ERRORS)
  retryMany(@Body() body: BulkRetryDto, @Req() req: OfficerRequest) {
    return this.retries.retryMany(actor(req), body.requestIds);
  }

  /** A request received by letter, phone or in person, filed on the subject's behalf. */
  @Post('requests')
  @HttpCode(201)
  @ApiOperation({ summary: 'File a request received by letter, phone or in person (no e-mail verification)' })
  @ApiCreatedResponse({ type: FiledRequestBody })
  @ApiErrors(...BODY_ERRORS, [409, 'A request of this type for this address is open already (already_open)'])
  file(@Body() body: FileRequestDto, @Req() req: OfficerRequest) {
    return this.admin.fileOnBehalf(body, req.officer!);
  }

  @Get('requests/:id')
  @ApiOperation({ summary: 'A request with its tasks, officer actions and audit trail' })
  @ApiId()
  @ApiOkResponse({ type: RequestDetailBody })
  @ApiErrors(404)
  get(@Param('id', UuidPipe) id: string) {
    return this.officers.get(id);
  }

  @Post('requests/:id/retry')
  @HttpCode(202)
  @ApiOperation({ summary: 'Re-queue the failed tasks of a request (all, or the named systems)' })
  @ApiId()
  @ApiAcceptedResponse({ type: RetryResultBody })
  @ApiErrors(...BODY_ERRORS, 404, [409, 'The request has nothing to retry (not_retryable, nothing_to_retry)'])
  retry(@Param('id', UuidPipe) id: string, @Body() body: RetryDto, @Req() req: OfficerRequest) {
    return this.retries.retry(id, actor(req), { systems: body.systems });
  }

  @Post('requests/:id/actions/:actionId/complete')
  @HttpCode(200)
  @ApiOperation({ summary: 'Complete an officer action (what no API could do)' })
  @ApiId()
  @ApiId('actionId', 'The officer action id')
  @ApiOkResponse({ type: ActionBody })
  @ApiErrors(...BODY_ERRORS, 404, [409, 'The action was completed already (already_done)'])
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
  @ApiOperation({ summary: 'Extend the deadline once, by one or two months (the subject is told why)' })
  @ApiId()
  @ApiOkResponse({ type: ExtendedBody })
  @ApiErrors(...BODY_ERRORS, 404, [409, 'Not open (not_extendable), extended already (already_extended), or past its original due date (too_late)'])
  extend(@Param('id', UuidPipe) id: string, @Body() body: ExtendDto, @Req() req: OfficerRequest) {
    return this.admin.extend(id, body.months, body.reason, actor(req));
  }

  @Post('requests/:id/deny')
  @HttpCode(200)
  @ApiOperation({ summary: 'Deny a request (Art. 12(5) or identity not established); the subject is told why and how to complain' })
  @ApiId()
  @ApiOkResponse({ type: DeniedBody })
  @ApiErrors(...BODY_ERRORS, 404, [409, 'The request is closed already (not_deniable)'])
  deny(@Param('id', UuidPipe) id: string, @Body() body: DenyDto, @Req() req: OfficerRequest) {
    return this.admin.deny(id, body.reason, body.note, actor(req));
  }

  @Post('requests/:id/resend-result')
  @HttpCode(202)
  @ApiOperation({ summary: 'Send the result e-mail again (a fresh report link for access requests)' })
  @ApiId()
  @ApiAcceptedResponse({ type: ResendBody })
  @ApiErrors(...BODY_ERRORS, 404, [409, 'No result was sent yet (no_result_yet), the address is no longer kept (redacted), or the report has expired (report_expired)'])
  resend(@Param('id', UuidPipe) id: string, @Req() req: OfficerRequest) {
    return this.admin.resendResult(id, actor(req));
  }

  @Post('keys')
  @HttpCode(201)
  @ApiOperation({ summary: 'Issue an officer API key (shown once)' })
  @ApiCreatedResponse({ type: CreatedKeyBody })
  @ApiErrors(...BODY_ERRORS)
  createKey(@Body() body: CreateKeyDto, @Req() req: OfficerRequest) {
    return this.officers.createKey(body.name, actor(req));
  }

  @Delete('keys/:id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke an officer API key (its console sessions end too)' })
  @ApiId('id', 'The key id')
  @ApiNoContentResponse({ description: 'Revoked' })
  @ApiErrors([404, 'No active key with this id (not_found)'])
  async revokeKey(@Param('id', UuidPipe) id: string, @Req() req: OfficerRequest): Promise<void> {
    await this.officers.revokeKey(id, actor(req));
  }
}
