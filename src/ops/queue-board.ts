// The queue dashboard: Bull Board (@bull-board/nestjs with its express adapter) at /console/queues,
// read-only, behind the console's session or an officer API key. Its page, scripts, styles and
// internal API all sit under that path and pass the same check; it runs under a CSP of its own
// that lets it load only from this origin (the page's web-font link to Google is refused).
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { HttpStatus, Injectable, type DynamicModule, type NestMiddleware } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { NextFunction, Request, Response } from 'express';
import { ApiError } from '../common/errors.js';
import { ConsoleSessions } from '../console/session.service.js';
import { OfficerAuthGuard } from '../officers/officer-auth.guard.js';
import { laneName, REQUESTS_QUEUE } from '../queues/queues.js';
import { SYSTEM_KEYS } from '../systems/keys.js';

export const QUEUE_BOARD_PATH = '/console/queues';

const HEADERS = {
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'same-origin',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'self'; frame-ancestors 'none'",
};

/**
 * In front of everything under /console/queues: a live console session or `Authorization: Bearer
 * <officer key>` (failed keys count towards RATE_LIMIT_AUTH_FAILURES_PER_MINUTE like the officer
 * API's). Otherwise a browser asking for a page goes to the sign-in; anything else gets 401.
 */
@Injectable()
export class QueueBoardAuth implements NestMiddleware {
  // Resolved lazily: this runs in Bull Board's module, the session and key checks live in ours.
  constructor(private readonly moduleRef: ModuleRef) {}

  async use(req: Request, res: Response, next: NextFunction): Promise<void> {
    res.set(HEADERS);
    const sessions = this.moduleRef.get(ConsoleSessions, { strict: false });
    const auth = this.moduleRef.get(OfficerAuthGuard, { strict: false });
    if (await sessions.current(req)) return next();
    const key = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (key !== undefined) {
      await auth.failures.check(req);
      if (/^[A-Za-z0-9._~+/=-]{16,256}$/.test(key) && (await auth.authenticate(key))) return next();
      await auth.failures.failed(req);
      throw new ApiError(HttpStatus.UNAUTHORIZED, 'unauthorized', 'Unknown or revoked API key');
    }
    // A browser opening a page (it asks for text/html; the board's scripts and API calls do not).
    if (req.method === 'GET' && /\btext\/html\b/.test(req.headers.accept ?? '')) return res.redirect(303, '/console/login');
    throw new ApiError(HttpStatus.UNAUTHORIZED, 'unauthorized', 'Sign in to the console, or send an officer API key as "Authorization: Bearer <key>"');
  }
}

/** Bull Board's express app, without the X-Powered-By header the API leaves out too. */
class BoardAdapter extends ExpressAdapter {
  constructor() {
    super();
    (this.getRouter() as { disable(setting: string): void }).disable('x-powered-by');
  }
}

/**
 * The board and every queue on it: the request queue and one lane per data system. Loaded with a
 * dynamic import: @bull-board/nestjs is CommonJS requiring the ESM @nestjs/common, which Jest's
 * ESM mode refuses while the static import graph is still being evaluated.
 */
export async function queueBoardImports(): Promise<DynamicModule[]> {
  const { BullBoardModule } = await import('@bull-board/nestjs');
  return [
    BullBoardModule.forRoot({
      route: QUEUE_BOARD_PATH,
      adapter: BoardAdapter,
      middleware: QueueBoardAuth,
      boardOptions: { uiConfig: { boardTitle: 'DSAR queues', miscLinks: [{ text: 'Console', url: '/console' }] } },
    }),
    BullBoardModule.forFeature(
      ...[REQUESTS_QUEUE, ...SYSTEM_KEYS.map(laneName)].map((name) => ({ name, adapter: BullMQAdapter, options: { readOnlyMode: true } })),
    ),
  ];
}
