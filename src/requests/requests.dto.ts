import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsIn, IsString, Length, MaxLength } from 'class-validator';

export const REQUEST_TYPES = ['access', 'erasure'] as const;

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export const REQUEST_STATUSES = ['awaiting_verification', 'verified', 'in_progress', 'awaiting_action', 'completed', 'failed', 'expired', 'rejected', 'denied'] as const;

export class CreateRequestDto {
  @ApiProperty({ enum: REQUEST_TYPES, description: 'access: a copy of the data (Art. 15); erasure: delete it (Art. 17)' })
  @IsIn(REQUEST_TYPES, { message: 'type must be "access" or "erasure"' })
  type!: (typeof REQUEST_TYPES)[number];

  @ApiProperty({ format: 'email', maxLength: 254, description: 'The address the subject uses with the product; the confirmation link goes there', example: 'ada.lovelace@example.com' })
  @Transform(trim)
  @IsString({ message: 'email must be a string' })
  @MaxLength(254, { message: 'email must be at most 254 characters' })
  @IsEmail({ allow_display_name: false, allow_ip_domain: false }, { message: 'email must be a valid e-mail address' })
  email!: string;
}

export class VerifyRequestDto {
  @ApiProperty({ minLength: 16, maxLength: 128, description: 'The token from the e-mailed link (`?token=`)' })
  @IsString({ message: 'token must be a string' })
  @Length(16, 128, { message: 'token must be between 16 and 128 characters' })
  token!: string;
}

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** The answer to every submission: it identifies no request (the id travels only in the e-mail). */
export class RequestReceivedBody {
  @ApiProperty({ enum: ['received'] })
  status!: 'received';

  @ApiProperty({ example: 'If this address can receive e-mail, a confirmation link is on its way to it. Open the link to confirm the request.' })
  message!: string;
}

/** What anyone holding a request's id may see: no personal data. */
export class PublicRequestBody {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ enum: REQUEST_TYPES })
  type!: (typeof REQUEST_TYPES)[number];

  @ApiProperty({ enum: REQUEST_STATUSES })
  status!: string;

  @ApiProperty({ format: 'date-time' })
  receivedAt!: string;

  @ApiProperty({ format: 'date-time', description: 'The legal deadline (one month, or as extended)' })
  dueAt!: string;
}
