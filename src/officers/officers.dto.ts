import { Transform, Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsEmail, IsIn, IsInt, IsOptional, IsString, IsUUID, Length, Matches, Max, MaxLength, Min } from 'class-validator';
import { CHANNELS, DENIAL_REASONS } from './request-admin.service.js';

const STATUSES = ['awaiting_verification', 'verified', 'in_progress', 'awaiting_action', 'completed', 'failed', 'expired', 'rejected', 'denied'] as const;

export class ListRequestsQuery {
  @IsOptional()
  @IsIn(STATUSES, { message: `status must be one of ${STATUSES.join(', ')}` })
  status?: (typeof STATUSES)[number];

  @IsOptional()
  @IsIn(['access', 'erasure'], { message: 'type must be "access" or "erasure"' })
  type?: 'access' | 'erasure';

  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean({ message: 'overdue must be true or false' })
  overdue?: boolean;

  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean({ message: 'atRisk must be true or false' })
  atRisk?: boolean;

  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean({ message: 'openActions must be true or false' })
  openActions?: boolean;

  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'page must be a whole number' })
  @Min(1)
  page: number = 1;

  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'pageSize must be a whole number' })
  @Min(1)
  @Max(200)
  pageSize: number = 50;
}

export class RetryDto {
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @Matches(/^[a-z0-9-]{1,64}$/, { each: true, message: 'systems must be data system keys' })
  systems?: string[];
}

export class BulkRetryDto {
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(500)
  @IsUUID('all', { each: true, message: 'requestIds must be request ids' })
  requestIds?: string[];
}

export class CreateKeyDto {
  @IsString()
  @Length(1, 100)
  name!: string;
}

export const ACTION_OUTCOMES = ['erased', 'not_found', 'forwarded', 'retained'] as const;

export class CompleteActionDto {
  @IsString({ message: 'note must be a string' })
  @Length(1, 2000, { message: 'note must be 1 to 2000 characters: say what was done' })
  note!: string;

  /** What the action found, when it differs from what the adapter expected (e.g. "not_found"). */
  @IsOptional()
  @IsIn(ACTION_OUTCOMES, { message: `outcome must be one of ${ACTION_OUTCOMES.join(', ')}` })
  outcome?: (typeof ACTION_OUTCOMES)[number];
}

export class ExtendDto {
  @Type(() => Number)
  @IsIn([1, 2], { message: 'months must be 1 or 2 (the law allows up to two further months)' })
  months!: 1 | 2;

  @IsString({ message: 'reason must be a string' })
  @Length(10, 2000, { message: 'reason must be 10 to 2000 characters: the subject is told it' })
  reason!: string;
}

export class DenyDto {
  @IsIn(DENIAL_REASONS, { message: `reason must be one of ${DENIAL_REASONS.join(', ')}` })
  reason!: (typeof DENIAL_REASONS)[number];

  @IsOptional()
  @IsString({ message: 'note must be a string' })
  @Length(1, 2000, { message: 'note must be 1 to 2000 characters' })
  note?: string;
}

export class FileRequestDto {
  @IsIn(['access', 'erasure'], { message: 'type must be "access" or "erasure"' })
  type!: 'access' | 'erasure';

  @Transform(({ value }) => (typeof value === 'string' ? value.trim().toLowerCase() : value))
  @IsString({ message: 'email must be a string' })
  @MaxLength(254, { message: 'email must be at most 254 characters' })
  @IsEmail({ allow_display_name: false, allow_ip_domain: false }, { message: 'email must be a valid e-mail address' })
  email!: string;

  @IsIn(CHANNELS, { message: `channel must be one of ${CHANNELS.join(', ')}` })
  channel!: (typeof CHANNELS)[number];

  @IsString({ message: 'identityCheck must be a string' })
  @Length(10, 2000, { message: 'identityCheck must be 10 to 2000 characters: say how the identity was checked' })
  identityCheck!: string;
}
