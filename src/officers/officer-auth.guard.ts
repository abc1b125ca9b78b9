import { CanActivate, ExecutionContext, HttpStatus, Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { ApiError } from '../common/errors.js';
import { FailureLimiter } from '../common/rate-limit.js';
import { RateLimitStore } from '../common/rate-limit.store.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { PrismaService } from '../prisma/prisma.service.js';
import { hashToken } from '../requests/tokens.js';

export interface OfficerRequest extends Request {
  officer?: { keyId: string; name: string };
}

/**
 * Officer endpoints: `Authorization: Bearer <key>`; keys are stored hashed and can be revoked.
 * Failed authentications are counted per client: over RATE_LIMIT_AUTH_FAILURES_PER_MINUTE the
 * client gets 429 with Retry-After before its key is even looked at.
 */
@Injectable()
export class OfficerAuthGuard implements CanActivate {
  readonly failures: FailureLimiter;

  constructor(
    private readonly prisma: PrismaService,
    store: RateLimitStore,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.failures = new FailureLimiter(store, 'auth-failure', config.rateLimit.authFailuresPerMinute, 'failed sign-ins');
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<OfficerRequest>();
    if (req.officer) return true; // signed in to the console (session)
    await this.failures.check(req);
    const header = req.headers.authorization ?? '';
    const match = /^Bearer ([A-Za-z0-9._~+/=-]{16,256})$/.exec(header);
    const officer = match ? await this.authenticate(match[1]!) : undefined;
    if (!officer) {
      await this.failures.failed(req);
      throw new ApiError(HttpStatus.UNAUTHORIZED, 'unauthorized', match ? 'Unknown or revoked API key' : 'Send an officer API key as "Authorization: Bearer <key>"');
    }
    req.officer = officer;
    return true;
  }

  /** The officer behind a key, when it is known and not revoked. */
  async authenticate(key: string): Promise<{ keyId: string; name: string } | undefined> {
    const row = await this.prisma.officerApiKey.findUnique({ where: { keyHash: hashToken(key) } });
    if (!row || row.revokedAt !== null) return undefined;
    // Best effort: a lost update of last use is not worth failing the call.
    void this.prisma.officerApiKey.update({ where: { id: row.id }, data: { lastUsedAt: new Date() } }).catch(() => undefined);
    return { keyId: row.id, name: row.name };
  }
}
