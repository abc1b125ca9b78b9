import { CanActivate, ExecutionContext, HttpStatus, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { ApiError } from '../common/errors.js';
import { PrismaService } from '../prisma/prisma.service.js';
import { hashToken } from '../requests/tokens.js';

export interface OfficerRequest extends Request {
  officer?: { keyId: string; name: string };
}

/** Officer endpoints: `Authorization: Bearer <key>`; keys are stored hashed and can be revoked. */
@Injectable()
export class OfficerAuthGuard implements CanActivate {
  constructor(private readonly prisma: PrismaService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<OfficerRequest>();
    const header = req.headers.authorization ?? '';
    const match = /^Bearer ([A-Za-z0-9._~+/=-]{16,256})$/.exec(header);
    if (!match) throw new ApiError(HttpStatus.UNAUTHORIZED, 'unauthorized', 'Send an officer API key as "Authorization: Bearer <key>"');
    const key = await this.prisma.officerApiKey.findUnique({ where: { keyHash: hashToken(match[1]!) } });
    if (!key || key.revokedAt !== null) throw new ApiError(HttpStatus.UNAUTHORIZED, 'unauthorized', 'Unknown or revoked API key');
    req.officer = { keyId: key.id, name: key.name };
    // Best effort: a lost update of last use is not worth failing the call.
    void this.prisma.officerApiKey.update({ where: { id: key.id }, data: { lastUsedAt: new Date() } }).catch(() => undefined);
    return true;
  }
}
