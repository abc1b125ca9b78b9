import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Response } from 'express';

const CODES: Partial<Record<number, string>> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  410: 'gone',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'too_many_requests',
};

/** One error shape for every answer: { statusCode, error, message }. Never a stack trace. */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      let message: string | string[] = exception.message;
      let error = CODES[status] ?? 'error';
      if (typeof body === 'object' && body !== null) {
        const b = body as { message?: string | string[]; error?: string };
        if (b.message !== undefined) message = b.message;
        if (typeof b.error === 'string' && /^[a-z_]+$/.test(b.error)) error = b.error;
      }
      // Refusals that end by themselves say when (rate limits, locked verification).
      const retryAfter = (exception as { retryAfterSeconds?: unknown }).retryAfterSeconds;
      if (typeof retryAfter === 'number' && retryAfter > 0) res.setHeader('Retry-After', String(retryAfter));
      res.status(status).json({ statusCode: status, error, message });
      return;
    }
    // Unexpected: log the class only (a message could carry personal data), answer 500.
    const name = exception instanceof Error ? exception.name : typeof exception;
    this.logger.error(`Unhandled ${name}`);
    res
      .status(HttpStatus.INTERNAL_SERVER_ERROR)
      .json({ statusCode: 500, error: 'internal_error', message: 'Internal error' });
  }
}
