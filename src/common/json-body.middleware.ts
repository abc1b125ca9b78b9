import { HttpStatus, Inject, Injectable, NestMiddleware } from '@nestjs/common';
import express, { type NextFunction, type Request, type Response } from 'express';
import parseurl from 'parseurl';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { ApiError } from './errors.js';

/**
 * Routes whose forms are plain HTML (the console, the subject's request form and confirmation):
 * they take `application/x-www-form-urlencoded`; every other route takes JSON only.
 */
export function isFormRoute(path: string): boolean {
  return /^\/console(\/|$)/i.test(path) || path === '/' || /^\/v1\/requests\/[^/]+\/confirm\/?$/i.test(path);
}

// Parses JSON bodies (and, on HTML form routes, form bodies) with a size limit and turns every
// parser failure into a clear 4xx through the global filter: wrong content type → 415, too large →
// 413, malformed or not an object → 400.
@Injectable()
export class JsonBodyMiddleware implements NestMiddleware {
  private readonly parse: express.RequestHandler;
  private readonly parseForm: express.RequestHandler;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.parse = express.json({ limit: config.maxBodyBytes, strict: true, type: () => true });
    this.parseForm = express.urlencoded({ limit: config.maxBodyBytes, extended: false, parameterLimit: 50, type: () => true });
  }

  async use(req: Request, res: Response, next: NextFunction): Promise<void> {
    const hasBody =
      req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
    if (req.method === 'GET' || req.method === 'HEAD') return next();
    if (!hasBody) {
      req.body = {};
      return next();
    }
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    const form = type === 'application/x-www-form-urlencoded' && isFormRoute(parseurl.original(req)?.pathname ?? '');
    if (type !== 'application/json' && !form) {
      throw new ApiError(HttpStatus.UNSUPPORTED_MEDIA_TYPE, 'unsupported_media_type', 'Send the body as application/json');
    }
    await new Promise<void>((resolve, reject) => {
      (form ? this.parseForm : this.parse)(req, res, (err?: unknown) => (err ? reject(mapParserError(err)) : resolve()));
    });
    if (req.body === null || typeof req.body !== 'object' || Array.isArray(req.body)) {
      throw new ApiError(HttpStatus.BAD_REQUEST, 'bad_request', 'The body must be a JSON object');
    }
    // class-transformer silently drops "__proto__", "constructor" and every key naming an inherited
    // method ("hasOwnProperty", "valueOf"...), so validation would never see (and refuse) them:
    // refuse them here, at any depth, like any unknown field.
    const forbidden = forbiddenKey(req.body);
    if (forbidden !== undefined) {
      throw new ApiError(HttpStatus.BAD_REQUEST, 'bad_request', `The body must not contain the key "${forbidden}"`);
    }
    next();
  }
}

const FORBIDDEN_KEYS = new Set([...Object.getOwnPropertyNames(Object.prototype), '__proto__', 'prototype']);

function forbiddenKey(value: unknown, depth = 0): string | undefined {
  if (value === null || typeof value !== 'object' || depth > 64) return undefined;
  for (const key of Object.keys(value)) {
    if (FORBIDDEN_KEYS.has(key)) return key;
    const found = forbiddenKey((value as Record<string, unknown>)[key], depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

function mapParserError(err: unknown): ApiError {
  const type = (err as { type?: string }).type;
  if (type === 'entity.too.large') {
    return new ApiError(HttpStatus.PAYLOAD_TOO_LARGE, 'payload_too_large', 'The body is too large');
  }
  if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
    return new ApiError(HttpStatus.UNSUPPORTED_MEDIA_TYPE, 'unsupported_media_type', 'Send the body as UTF-8 JSON');
  }
  return new ApiError(HttpStatus.BAD_REQUEST, 'bad_request', 'The body is not valid JSON');
}
