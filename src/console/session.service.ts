import { Inject, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { OfficerAuthGuard } from '../officers/officer-auth.guard.js';
import { PrismaService } from '../prisma/prisma.service.js';
import { hashToken, newToken } from '../requests/tokens.js';

export const SESSION_COOKIE = 'dsar_console';

export interface ConsoleSession {
  id: string;
  keyId: string;
  name: string;
  csrfToken: string;
}

/**
 * Console sign-in with the same officer API keys: a session in PostgreSQL (its token hashed), an
 * HttpOnly, SameSite=Strict cookie (Secure behind https) that expires with CONSOLE_SESSION_HOURS,
 * and a CSRF token of its own that every form carries. A revoked key ends its sessions.
 */
@Injectable()
export class ConsoleSessions {
  constructor(
    private readonly prisma: PrismaService,
    private readonly auth: OfficerAuthGuard,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Signs in with an officer key; undefined when the key is unknown or revoked. */
  async signIn(key: string, res: Response, req: Request): Promise<ConsoleSession | undefined> {
    const officer = /^[A-Za-z0-9._~+/=-]{16,256}$/.test(key) ? await this.auth.authenticate(key) : undefined;
    if (!officer) return undefined;
    const token = newToken();
    const csrfToken = randomBytes(32).toString('base64url');
    const expiresAt = new Date(Date.now() + this.config.consoleSessionMs);
    const row = await this.prisma.officerSession.create({ data: { tokenHash: hashToken(token), keyId: officer.keyId, csrfToken, expiresAt } });
    res.cookie(SESSION_COOKIE, token, {
      httpOnly: true,
      sameSite: 'strict',
      secure: req.secure,
      path: '/console',
      expires: expiresAt,
    });
    return { id: row.id, keyId: officer.keyId, name: officer.name, csrfToken };
  }

  /** The live session behind the request's cookie, if any. */
  async current(req: Request): Promise<ConsoleSession | undefined> {
    const token = (req.cookies as Record<string, string> | undefined)?.[SESSION_COOKIE];
    if (typeof token !== 'string' || !/^[A-Za-z0-9_-]{20,128}$/.test(token)) return undefined;
    const row = await this.prisma.officerSession.findUnique({ where: { tokenHash: hashToken(token) }, include: { key: true } });
    if (!row || row.endedAt || row.expiresAt <= new Date() || row.key.revokedAt) return undefined;
    return { id: row.id, keyId: row.keyId, name: row.key.name, csrfToken: row.csrfToken };
  }

  async signOut(session: ConsoleSession, res: Response): Promise<void> {
    await this.prisma.officerSession.update({ where: { id: session.id }, data: { endedAt: new Date() } });
    res.clearCookie(SESSION_COOKIE, { path: '/console' });
  }

  csrfValid(session: ConsoleSession, sent: unknown): boolean {
    if (typeof sent !== 'string') return false;
    const a = Buffer.from(sent);
    const b = Buffer.from(session.csrfToken);
    return a.length === b.length && timingSafeEqual(a, b);
  }
}
