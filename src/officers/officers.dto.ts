import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsEmail, IsIn, IsInt, IsOptional, IsString, IsUUID, Length, Matches, Max, MaxLength, Min } from 'class-validator';
import { CHANNELS, DENIAL_REASONS } from './request-admin.service.js';

import { REQUEST_STATUSES as STATUSES, REQUEST_TYPES } from '../requests/requests.dto.js';

const TASK_STATUSES = ['queued', 'running', 'waiting', 'done', 'skipped', 'failed', 'cancelled'] as const;

export class ListRequestsQuery {
  @ApiPropertyOptional({ enum: STATUSES })
  @IsOptional()
  @IsIn(STATUSES, { message: `status must be one of ${STATUSES.join(', ')}` })
  status?: (typeof STATUSES)[number];

  @ApiPropertyOptional({ enum: REQUEST_TYPES })
  @IsOptional()
  @IsIn(['access', 'erasure'], { message: 'type must be "access" or "erasure"' })
  type?: 'access' | 'erasure';

  @ApiPropertyOptional({ type: Boolean, description: 'Only open requests past their due date (true), or all others (false)' })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean({ message: 'overdue must be true or false' })
  overdue?: boolean;

  @ApiPropertyOptional({ type: Boolean, description: 'Only requests at risk (true), or all others (false)' })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean({ message: 'atRisk must be true or false' })
  atRisk?: boolean;

  @ApiPropertyOptional({ type: Boolean, description: 'Only requests with open officer actions (true), or without (false)' })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean({ message: 'openActions must be true or false' })
  openActions?: boolean;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, default: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'page must be a whole number' })
  @Min(1)
  page: number = 1;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'pageSize must be a whole number' })
  @Min(1)
  @Max(200)
  pageSize: number = 50;
}

export class RetryDto {
  @ApiPropertyOptional({ type: [String], maxItems: 50, description: 'Data system keys (e.g. "intercom"); all failed tasks when left out', example: ['intercom'] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @Matches(/^[a-z0-9-]{1,64}$/, { each: true, message: 'systems must be data system keys' })
  systems?: string[];
}

export class BulkRetryDto {
  @ApiPropertyOptional({ type: [String], format: 'uuid', maxItems: 500, description: 'Request ids; every request that ended with failures when left out (oldest deadline first, at most 500)' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(500)
  @IsUUID('all', { each: true, message: 'requestIds must be request ids' })
  requestIds?: string[];
}

export class CreateKeyDto {
  @ApiProperty({ minLength: 1, maxLength: 100, description: 'Whose key it is (shown in the audit trail)', example: 'alice' })
  @IsString()
  @Length(1, 100)
  name!: string;
}

export const ACTION_OUTCOMES = ['erased', 'not_found', 'forwarded', 'retained'] as const;

export class CompleteActionDto {
  @ApiProperty({ minLength: 1, maxLength: 2000, description: 'What was done' })
  @IsString({ message: 'note must be a string' })
  @Length(1, 2000, { message: 'note must be 1 to 2000 characters: say what was done' })
  note!: string;

  /** What the action found, when it differs from what the adapter expected (e.g. "not_found"). */
  @ApiPropertyOptional({ enum: ACTION_OUTCOMES, description: 'What the action found, when it differs from what was expected' })
  @IsOptional()
  @IsIn(ACTION_OUTCOMES, { message: `outcome must be one of ${ACTION_OUTCOMES.join(', ')}` })
  outcome?: (typeof ACTION_OUTCOMES)[number];
}

export class ExtendDto {
  @ApiProperty({ enum: [1, 2], type: 'integer', description: 'Further months (GDPR Art. 12(3) allows up to two)' })
  @Type(() => Number)
  @IsIn([1, 2], { message: 'months must be 1 or 2 (the law allows up to two further months)' })
  months!: 1 | 2;

  @ApiProperty({ minLength: 10, maxLength: 2000, description: 'Why (the subject is told it)' })
  @IsString({ message: 'reason must be a string' })
  @Length(10, 2000, { message: 'reason must be 10 to 2000 characters: the subject is told it' })
  reason!: string;
}

export class DenyDto {
  @ApiProperty({ enum: DENIAL_REASONS })
  @IsIn(DENIAL_REASONS, { message: `reason must be one of ${DENIAL_REASONS.join(', ')}` })
  reason!: (typeof DENIAL_REASONS)[number];

  @ApiPropertyOptional({ minLength: 1, maxLength: 2000, description: 'For the subject' })
  @IsOptional()
  @IsString({ message: 'note must be a string' })
  @Length(1, 2000, { message: 'note must be 1 to 2000 characters' })
  note?: string;
}

export class FileRequestDto {
  @ApiProperty({ enum: REQUEST_TYPES })
  @IsIn(['access', 'erasure'], { message: 'type must be "access" or "erasure"' })
  type!: 'access' | 'erasure';

  @ApiProperty({ format: 'email', maxLength: 254 })
  @Transform(({ value }) => (typeof value === 'string' ? value.trim().toLowerCase() : value))
  @IsString({ message: 'email must be a string' })
  @MaxLength(254, { message: 'email must be at most 254 characters' })
  @IsEmail({ allow_display_name: false, allow_ip_domain: false }, { message: 'email must be a valid e-mail address' })
  email!: string;

  @ApiProperty({ enum: CHANNELS, description: 'How the request was received' })
  @IsIn(CHANNELS, { message: `channel must be one of ${CHANNELS.join(', ')}` })
  channel!: (typeof CHANNELS)[number];

  @ApiProperty({ minLength: 10, maxLength: 2000, description: 'How the person\'s identity was checked' })
  @IsString({ message: 'identityCheck must be a string' })
  @Length(10, 2000, { message: 'identityCheck must be 10 to 2000 characters: say how the identity was checked' })
  identityCheck!: string;
}

// ---- Answers -------------------------------------------------------------------------------

const nullableDate = { type: String, format: 'date-time', nullable: true } as const;

/** A request in the officers' list (also the head of its detail). */
export class RequestSummaryBody {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: REQUEST_TYPES }) type!: string;
  @ApiProperty({ enum: STATUSES }) status!: string;
  @ApiProperty({ format: 'date-time' }) receivedAt!: string;
  @ApiProperty({ format: 'date-time' }) dueAt!: string;
  @ApiProperty({ type: 'integer', nullable: true, description: 'Whole days until the due date (negative once overdue); null once closed' }) daysLeft!: number | null;
  @ApiProperty() overdue!: boolean;
  @ApiProperty({ description: 'Failed tasks or open officer actions near the due date' }) atRisk!: boolean;
  @ApiProperty({ type: 'integer' }) openActions!: number;
  @ApiProperty({ ...nullableDate, description: 'The earliest scheduled retry of a failed task' }) nextRetryAt!: string | null;
  @ApiProperty(nullableDate) completedAt!: string | null;
}

export class RequestListItemBody extends RequestSummaryBody {
  @ApiProperty({ type: 'object', additionalProperties: { type: 'integer' }, description: 'Tasks by status', example: { done: 7, failed: 1 } })
  tasks!: Record<string, number>;
}

export class RequestPageBody {
  @ApiProperty({ type: 'integer' }) page!: number;
  @ApiProperty({ type: 'integer' }) pageSize!: number;
  @ApiProperty({ type: 'integer' }) total!: number;
  @ApiProperty({ type: [RequestListItemBody] }) items!: RequestListItemBody[];
}

export class ActionBody {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ description: 'Data system key' }) system!: string;
  @ApiProperty({ description: 'What kind of action (e.g. manual_erasure)' }) kind!: string;
  @ApiProperty({ enum: ['open', 'done'] }) status!: string;
  @ApiProperty() instructions!: string;
  @ApiProperty({ format: 'date-time' }) dueAt!: string;
  @ApiProperty(nullableDate) completedAt!: string | null;
  @ApiProperty({ type: String, nullable: true }) completedBy!: string | null;
  @ApiProperty({ type: String, nullable: true }) note!: string | null;
}

export class TaskBody {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ description: 'Data system key' }) system!: string;
  @ApiProperty({ enum: TASK_STATUSES }) status!: string;
  @ApiProperty({ type: String, nullable: true, description: 'found, not_found, erased, retained, restorable, scheduled, action_required, forwarded, not_configured, failed' }) outcome!: string | null;
  @ApiProperty({ type: 'integer' }) attempts!: number;
  @ApiProperty({ type: String, nullable: true }) lastError!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'transient, rate_limited, auth, permanent…' }) failureKind!: string | null;
  @ApiProperty({ type: 'integer', description: 'Scheduled retries made after the attempts ran out' }) scheduledRetries!: number;
  @ApiProperty(nullableDate) nextRetryAt!: string | null;
  @ApiProperty(nullableDate) waitingSince!: string | null;
  @ApiProperty({ type: 'integer', description: 'Checks of the vendor\'s deletion job' }) vendorChecks!: number;
  @ApiProperty(nullableDate) nextCheckAt!: string | null;
  @ApiProperty({ type: 'object', nullable: true, additionalProperties: true, description: 'Ids found at the system (vendor ids, job ids)' }) refs!: unknown;
  @ApiProperty(nullableDate) startedAt!: string | null;
  @ApiProperty(nullableDate) finishedAt!: string | null;
  @ApiProperty({ type: 'object', nullable: true, additionalProperties: true, description: 'What the system answered (erasure: what was done, kept and why)' }) result!: unknown;
}

export class AuditEventBody {
  @ApiProperty({ description: 'Sequence number' }) id!: string;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ description: 'system, subject, or officer:<key id>' }) actor!: string;
  @ApiProperty() action!: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) taskId!: string | null;
  @ApiProperty({ type: String, nullable: true }) fromStatus!: string | null;
  @ApiProperty({ type: String, nullable: true }) toStatus!: string | null;
  @ApiProperty({ type: 'object', nullable: true, additionalProperties: true }) details!: unknown;
}

export class RequestDetailBody extends RequestSummaryBody {
  @ApiProperty({ type: String, nullable: true, description: 'The subject\'s address (null once retention has removed it)' }) email!: string | null;
  @ApiProperty({ enum: ['web', ...CHANNELS], description: 'web: submitted and verified by the subject' }) channel!: string;
  @ApiProperty({ type: String, nullable: true }) identityCheck!: string | null;
  @ApiProperty(nullableDate) originalDueAt!: string | null;
  @ApiProperty({ type: String, nullable: true }) extensionReason!: string | null;
  @ApiProperty({ type: String, nullable: true }) deniedReason!: string | null;
  @ApiProperty(nullableDate) verifiedAt!: string | null;
  @ApiProperty(nullableDate) resultSentAt!: string | null;
  @ApiProperty({ type: 'integer', description: 'How many times the request was fanned out (retries start a new round)' }) round!: number;
  @ApiProperty({ type: [ActionBody] }) actions!: ActionBody[];
  @ApiProperty({ type: [TaskBody] }) tasks!: TaskBody[];
  @ApiProperty({ type: [AuditEventBody] }) audit!: AuditEventBody[];
}

export class RetryResultBody {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: ['in_progress'] }) status!: string;
  @ApiProperty({ type: [String], description: 'Systems whose failed tasks were re-queued' }) retried!: string[];
}

export class SkippedRetryBody {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() reason!: string;
}

export class BulkRetryResultBody {
  @ApiProperty({ type: [RetryResultBody] }) retried!: RetryResultBody[];
  @ApiProperty({ type: [SkippedRetryBody] }) skipped!: SkippedRetryBody[];
}

export class FiledRequestBody {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: REQUEST_TYPES }) type!: string;
  @ApiProperty({ enum: STATUSES }) status!: string;
  @ApiProperty({ enum: CHANNELS }) channel!: string;
  @ApiProperty({ format: 'date-time' }) receivedAt!: string;
  @ApiProperty({ format: 'date-time' }) dueAt!: string;
}

export class ExtendedBody {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'date-time' }) dueAt!: string;
  @ApiProperty({ format: 'date-time' }) originalDueAt!: string;
  @ApiProperty() extensionReason!: string;
}

export class DeniedBody {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: ['denied'] }) status!: string;
  @ApiProperty({ enum: DENIAL_REASONS }) reason!: string;
  @ApiProperty({ type: 'integer' }) cancelledTasks!: number;
  @ApiProperty({ description: 'Whether the subject is being e-mailed the reason (only once verified)' }) subjectNotified!: boolean;
}

export class ResendBody {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: ['queued'] }) resend!: string;
}

export class CreatedKeyBody {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ description: 'The key itself: shown once, stored only as a hash' }) key!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}
