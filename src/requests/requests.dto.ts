import { Transform } from 'class-transformer';
import { IsEmail, IsIn, IsString, Length, MaxLength } from 'class-validator';

export const REQUEST_TYPES = ['access', 'erasure'] as const;

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class CreateRequestDto {
  @IsIn(REQUEST_TYPES, { message: 'type must be "access" or "erasure"' })
  type!: (typeof REQUEST_TYPES)[number];

  @Transform(trim)
  @IsString({ message: 'email must be a string' })
  @MaxLength(254, { message: 'email must be at most 254 characters' })
  @IsEmail({ allow_display_name: false, allow_ip_domain: false }, { message: 'email must be a valid e-mail address' })
  email!: string;
}

export class VerifyRequestDto {
  @IsString({ message: 'token must be a string' })
  @Length(16, 128, { message: 'token must be between 16 and 128 characters' })
  token!: string;
}

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}
