// What the OpenAPI document (@nestjs/swagger, served at /docs) says about answers every route
// shares: the one error shape, HTML pages, and the security schemes.
import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiParam, ApiProperty, ApiResponse, getSchemaPath } from '@nestjs/swagger';

/** Security scheme names in the document. */
export const OFFICER_KEY = 'officer-key';
export const CONSOLE_SESSION = 'console-session';
export const METRICS_TOKEN = 'metrics-token';

/** Every error answer: `{ statusCode, error, message }` (src/common/http-exception.filter.ts). */
export class ApiErrorBody {
  @ApiProperty({ description: 'The HTTP status, repeated', example: 400 })
  statusCode!: number;

  @ApiProperty({ description: 'A stable machine-readable code', example: 'validation_failed', pattern: '^[a-z_]+$' })
  error!: string;

  @ApiProperty({
    description: 'What went wrong, for people (a list when several fields are wrong)',
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    example: 'email must be a valid e-mail address',
  })
  message!: string | string[];
}

const WHY: Record<number, string> = {
  400: 'Invalid input (validation_failed, bad_request): malformed JSON, a body that is not an object, unknown or invalid fields',
  401: 'No valid credentials (unauthorized)',
  403: 'Refused (forbidden, invalid_token, too_many_attempts)',
  404: 'No such resource (not_found); ids that cannot exist answer the same',
  409: 'The resource is not in a state that allows this (conflict and a specific code)',
  410: 'The link has expired (token_expired, gone)',
  413: 'The body is larger than MAX_BODY_BYTES (payload_too_large)',
  415: 'The body is not application/json (unsupported_media_type)',
  429: 'Too many requests from this client (too_many_requests, verification_locked); see Retry-After',
  500: 'Unexpected failure (internal_error); nothing is said about it',
};

/** Error answers with the shared JSON shape. Pass a description to replace the generic one. */
export function ApiErrors(...statuses: (number | [number, string])[]) {
  return applyDecorators(
    ApiExtraModels(ApiErrorBody),
    ...statuses.map((s) => {
      const [status, description] = Array.isArray(s) ? s : [s, WHY[s] ?? 'Error'];
      return ApiResponse({
        status,
        description,
        content: { 'application/json': { schema: { $ref: getSchemaPath(ApiErrorBody) } } },
        ...(status === 429 ? { headers: { 'Retry-After': { description: 'Seconds until the client may try again', schema: { type: 'integer' } } } } : {}),
      });
    }),
  );
}

/** The errors of any route that reads a body: the body parser's answers. */
export const BODY_ERRORS = [400, 413, 415] as const;

/** An HTML answer (subject pages, console, report page). */
export function ApiHtml(status: number, description: string) {
  return ApiResponse({ status, description, content: { 'text/html': { schema: { type: 'string' } } } });
}

/** A 303 redirect to another page. */
export function ApiRedirect(description: string) {
  return ApiResponse({ status: 303, description, headers: { Location: { description: 'Where to go next', schema: { type: 'string' } } } });
}

/** A uuid path parameter (an id that cannot exist answers 404 like an unknown one). */
export function ApiId(name = 'id', description = 'The request id') {
  return ApiParam({ name, description, schema: { type: 'string', format: 'uuid' } });
}

/**
 * The error answers of an HTML route: `html` statuses answer a page saying what went wrong, `json`
 * ones the shared error shape (the body parser, the id check and the rate limiter run before the
 * page); a status in both lists can be either.
 */
export function ApiPageErrors(html: [number, string][], json: number[]) {
  const statuses = [...new Set([...html.map(([s]) => s), ...json])];
  return applyDecorators(
    ApiExtraModels(ApiErrorBody),
    ...statuses.map((status) => {
      const page = html.find(([s]) => s === status);
      const content: Record<string, { schema: object }> = {};
      if (page) content['text/html'] = { schema: { type: 'string' } };
      if (json.includes(status)) content['application/json'] = { schema: { $ref: getSchemaPath(ApiErrorBody) } };
      return ApiResponse({ status, description: [page?.[1], json.includes(status) ? WHY[status] : undefined].filter(Boolean).join('; or: '), content });
    }),
  );
}
