// Logs through pino (nestjs-pino): JSON lines for collectors (production, tests, LOG_FORMAT=json),
// pino-pretty's text in development. Every Nest Logger call ends up here (app.useLogger).
//
// The rule of the service holds: no address, name, token, key, secret, cookie, authorization
// header or query string in a log line. HTTP lines carry the route pattern, never the URL (links
// carry `?token=` and ids); request objects are never serialized with their headers; whatever is
// logged by hand goes through the redaction below, and error messages are scrubbed of addresses.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pino, type DestinationStream, type Logger as Pino } from 'pino';
import type { Options as HttpOptions } from 'pino-http';
import type { Params } from 'nestjs-pino';
import { scrubText } from '../common/scrub.js';
import type { AppConfig } from '../config/config.js';

const LEVELS: Record<AppConfig['logLevel'], string> = { error: 'error', warn: 'warn', log: 'info', debug: 'debug' };

// Keys whose values are replaced wherever they appear at the top level or one level down.
const SECRET_KEYS = [
  'authorization', 'cookie', 'cookies', 'token', 'key', 'apiKey', 'secret', 'password', 'clientSecret',
  'accessToken', 'refreshToken', 'email', 'address', 'phone', 'firstName', 'lastName', 'fullName', 'headers', 'query', 'url',
  'body',
];
const REDACT = SECRET_KEYS.flatMap((k) => [k, `*.${k}`]);

// Prefixes served by a mounted router or static files rather than a route of ours: named by their
// mount point, since the rest of their URL is not a pattern.
const MOUNTS = ['/console/queues', '/docs'];

type RoutedRequest = IncomingMessage & { route?: { path?: unknown }; baseUrl?: string; originalUrl?: string };

/** The route pattern a request matched (`/v1/requests/:id/verify`), never its URL. */
export function routeOf(req: IncomingMessage): string {
  const r = req as RoutedRequest;
  if (typeof r.route?.path === 'string') return `${r.baseUrl ?? ''}${r.route.path}`;
  const path = (r.originalUrl ?? r.url ?? '').split('?')[0]!;
  const mount = MOUNTS.find((m) => path === m || path.startsWith(`${m}/`));
  return mount ? `${mount}/*` : '(no route)';
}

/** An error as a log line may show it: its class and a scrubbed message, no stack. */
export function errorForLog(err: unknown): { type: string; message?: string } {
  if (!(err instanceof Error)) return { type: typeof err };
  return { type: err.name, message: scrubText(err.message).slice(0, 300) };
}

/** The pino-pretty stream when it is installed (a development dependency); otherwise JSON lines. */
async function prettyStream(): Promise<DestinationStream | undefined> {
  try {
    const { default: pretty } = await import('pino-pretty');
    return pretty({
      colorize: !process.env.NO_COLOR && process.stdout.isTTY,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname,context',
      messageFormat: '{if context}[{context}] {end}{msg}',
      singleLine: true,
    });
  } catch {
    return undefined;
  }
}

/** The root logger of a process. `stream`: where lines go (tests); stdout otherwise. */
// Never the raw objects (headers, URL, client address): only what says which call it was.
const SERIALIZERS = {
  err: errorForLog,
  req: (req: IncomingMessage) => ({ method: req.method, route: routeOf(req) }),
  res: (res: ServerResponse) => ({ statusCode: res.statusCode }),
};

export async function createRootLogger(config: AppConfig, stream?: DestinationStream): Promise<Pino> {
  const destination = stream ?? (config.logFormat === 'pretty' ? await prettyStream() : undefined);
  return pino(
    {
      level: LEVELS[config.logLevel],
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT, censor: '[redacted]' },
      serializers: SERIALIZERS,
    },
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

// Scrapes and probes every few seconds would drown the rest: logged at debug level.
const QUIET = /^\/(metrics|health)(\/|$)/;

/** nestjs-pino's parameters: one line per HTTP request (method, route, status, duration, request id). */
export function loggerParams(logger: Pino): Params {
  const http: HttpOptions = {
    logger,
    // Our own id per request (returned as X-Request-Id); a client-sent one is never trusted or logged.
    genReqId: (_req: IncomingMessage, res: ServerResponse) => {
      const id = randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    // Ours as they are (pino-http would otherwise wrap them around pino's standard ones).
    serializers: SERIALIZERS,
    wrapSerializers: false,
    quietReqLogger: true,
    quietResLogger: true,
    customLogLevel: (req, res, err) => (err || res.statusCode >= 500 ? 'error' : QUIET.test(routeOf(req)) ? 'debug' : 'info'),
    customSuccessMessage: (req, res) => `${req.method} ${routeOf(req)} ${res.statusCode}`,
    customErrorMessage: (req, res) => `${req.method} ${routeOf(req)} ${res.statusCode}`,
    customSuccessObject: (req, res, val: { responseTime?: number }) => ({ method: req.method, route: routeOf(req), statusCode: res.statusCode, durationMs: val.responseTime }),
    customErrorObject: (req, res, err, val: { responseTime?: number }) => ({ method: req.method, route: routeOf(req), statusCode: res.statusCode, durationMs: val.responseTime, err }),
  };
  return { pinoHttp: http };
}
