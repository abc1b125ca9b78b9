import { HttpException, HttpStatus } from '@nestjs/common';

/** An API error with a stable machine-readable code. */
export class ApiError extends HttpException {
  constructor(status: HttpStatus, readonly code: string, message: string) {
    super({ statusCode: status, error: code, message }, status);
  }
}

export const notFound = (what = 'request') => new ApiError(HttpStatus.NOT_FOUND, 'not_found', `No such ${what}`);
