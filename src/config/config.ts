import { limitRulesFromEnv, type LimitRule } from '../processors/http/vendor-limiter.js';
import { loadVendorConfig, type VendorConfig } from '../processors/vendor-config.js';
import { SYSTEM_KEYS } from '../systems/keys.js';

// Configuration is read once, at start-up, from the environment. Every variable has a local default;
// an invalid value stops start-up with a message that names the variable.

export class ConfigError extends Error {
  constructor(readonly variable: string, problem: string) {
    super(`Invalid configuration: ${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

export interface AppConfig {
  env: 'development' | 'test' | 'production';
  port: number;
  databaseUrl: string;
  redisUrl: string;
  smtpUrl: string;
  /** Pooled SMTP connections the mail transport keeps open. */
  smtpMaxConnections: number;
  mailFrom: string;
  publicBaseUrl: string;
  officerApiKey: string | undefined;
  verificationTtlMs: number;
  /** Wrong tokens for one request before its verification locks for `verificationLockMs`. */
  verificationMaxAttempts: number;
  verificationLockMs: number;
  verificationResendIntervalMs: number;
  /** Closed requests keep the subject's address and identifiers this long (accountability), then lose them. */
  dsrRetentionMs: number;
  /** Default concurrency of each lane (one queue and consumer per data system). */
  workerConcurrency: number;
  /** LANE_CONCURRENCY_<SYSTEM>: a lane's own concurrency, by system key. */
  laneConcurrency: Record<string, number>;
  /** Longest wait for a vendor's next slot inside a lane before the task is handed back to the queue. */
  vendorMaxWaitMs: number;
  taskAttempts: number;
  taskBackoffMs: number;
  queuePrefix: string;
  /** Delays of the scheduled retries of a task that exhausted its attempts; its length is the cap. */
  retryScheduleMs: number[];
  /** How often the maintenance job runs (scheduled retries, vendor job checks, reconciliation). */
  maintenanceIntervalMs: number;
  vendorJobPollMs: number;
  vendorJobMaxWaitMs: number;
  /** Open requests with failing tasks are flagged this long before their due date. */
  atRiskMs: number;
  /** BullMQ job lock; a worker that dies loses its jobs to another after about this long. */
  jobLockMs: number;
  stalledCheckMs: number;
  /** Unfinished work untouched this long with no live job is re-queued by the reconciler. */
  reconcileGraceMs: number;
  logLevel: 'error' | 'warn' | 'log' | 'debug';
  /** JSON lines (production, tests, log collectors) or pino-pretty's coloured text (development). */
  logFormat: 'json' | 'pretty';
  /** When set, GET /metrics (API and worker) needs `Authorization: Bearer <token>`. */
  metricsToken: string | undefined;
  /** Each worker serves /metrics and /health/* on this port; 0 = off. */
  workerMetricsPort: number;
  maxBodyBytes: number;
  /** PostgreSQL connections per process. */
  databasePoolSize: number;
  /** Per-client requests per minute on the public endpoints, by route class; 0 = no limit. */
  rateLimit: {
    intakePerMinute: number;
    verifyPerMinute: number;
    statusPerMinute: number;
    /** Report page and download calls per client per minute. */
    reportPerMinute: number;
    /** Wrong verification tokens per client per minute before its verification calls are refused. */
    wrongTokensPerMinute: number;
    /** Failed officer authentications (API key or console sign-in) per client per minute. */
    authFailuresPerMinute: number;
  };
  /** Behind one reverse proxy: the client address is the last X-Forwarded-For entry. */
  trustProxy: boolean;
  /** Who answers the subject (Art. 13/15): named in every report and confirmation. */
  controller: {
    name: string;
    contact: string;
    /** Data protection officer's contact, when one is designated. */
    dpo: string | undefined;
    /** The supervisory authority subjects may complain to (Art. 15(1)(f), Art. 77), with its address. */
    supervisoryAuthority: string;
  };
  /** Where the daily reminder goes (none: no reminder). */
  officerEmail: string | undefined;
  /** The hour (UTC) the daily reminder is sent. */
  reminderHourUtc: number;
  /** Console sessions expire this long after sign-in. */
  consoleSessionMs: number;
  /** Access reports and their download links live this long, then the report is deleted. */
  reportLinkMs: number;
  /** Processor endpoints and credentials (src/processors/vendor-config.ts). */
  vendors: VendorConfig;
  /** Shared outbound rate limits per vendor bucket (RATE_LIMIT_<VENDOR>[_<BUCKET>]). */
  vendorLimits: Record<string, LimitRule | undefined>;
}

type Env = Record<string, string | undefined>;

function str(env: Env, name: string, fallback: string): string {
  const v = env[name];
  return v === undefined || v.trim() === '' ? fallback : v.trim();
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(name, `must be a whole number (got "${raw}")`);
  const n = Number(raw.trim());
  if (n < min || n > max) throw new ConfigError(name, `must be between ${min} and ${max} (got ${n})`);
  return n;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const v = str(env, name, String(fallback)).toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new ConfigError(name, `must be true or false (got "${env[name]}")`);
}

function url(env: Env, name: string, fallback: string, protocols: string[]): string {
  const v = str(env, name, fallback);
  let parsed: URL;
  try {
    parsed = new URL(v);
  } catch {
    throw new ConfigError(name, `must be a URL (${protocols.join(' or ')})`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `must use ${protocols.join(' or ')} (got ${parsed.protocol})`);
  }
  return v;
}

function oneOf<T extends string>(env: Env, name: string, fallback: T, allowed: readonly T[]): T {
  const v = str(env, name, fallback);
  if (!(allowed as readonly string[]).includes(v)) {
    throw new ConfigError(name, `must be one of ${allowed.join(', ')} (got "${v}")`);
  }
  return v as T;
}

const HOUR = 3_600_000;

function minutesList(env: Env, name: string, fallback: string): number[] {
  const raw = str(env, name, fallback);
  if (raw === 'off') return [];
  const parts = raw.split(',').map((p) => p.trim());
  if (parts.some((p) => !/^\d+(\.\d+)?$/.test(p)) || parts.length > 50) {
    throw new ConfigError(name, `must be "off" or a comma-separated list of minutes, at most 50 (got "${raw}")`);
  }
  return parts.map((p) => Math.round(Number(p) * 60_000));
}

/**
 * Lanes whose tasks mostly wait cheaply: Application Insights erasures wait in the purge batcher
 * (50 purges an hour); the more wait together, the more subjects each purge carries.
 */
const LANE_CONCURRENCY_DEFAULTS: Record<string, number> = { 'azure-app-insights': 100 };

/** How many tasks one data system's lane runs at once in a worker process. */
export function laneConcurrency(config: Pick<AppConfig, 'laneConcurrency' | 'workerConcurrency'>, system: string): number {
  return config.laneConcurrency[system] ?? config.workerConcurrency;
}

export function loadConfig(env: Env = process.env): AppConfig {
  const mailFrom = str(env, 'MAIL_FROM', 'Privacy Team <privacy@localhost>');
  if (!/@/.test(mailFrom)) throw new ConfigError('MAIL_FROM', 'must contain an e-mail address');
  const officerApiKey = env.OFFICER_API_KEY?.trim() || undefined;
  if (officerApiKey !== undefined && officerApiKey.length < 24) {
    throw new ConfigError('OFFICER_API_KEY', 'must be at least 24 characters long');
  }
  const nodeEnv = oneOf(env, 'NODE_ENV', 'development', ['development', 'test', 'production'] as const);
  if (officerApiKey !== undefined && nodeEnv !== 'development' && isPlaceholderKey(officerApiKey)) {
    throw new ConfigError('OFFICER_API_KEY', 'is a published or placeholder key: set a long random one (e.g. openssl rand -base64 32)');
  }
  const metricsToken = env.METRICS_TOKEN?.trim() || undefined;
  if (metricsToken !== undefined && !/^[A-Za-z0-9._~+/=-]{16,256}$/.test(metricsToken)) {
    throw new ConfigError('METRICS_TOKEN', 'must be 16 to 256 characters of A-Z a-z 0-9 . _ ~ + / = -');
  }
  return {
    env: nodeEnv,
    port: int(env, 'PORT', 3000, 0, 65535),
    databaseUrl: url(env, 'DATABASE_URL', 'postgresql://postgres@127.0.0.1:5432/dsar', [
      'postgresql:',
      'postgres:',
    ]),
    redisUrl: url(env, 'REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']),
    smtpUrl: url(env, 'SMTP_URL', 'smtp://127.0.0.1:1025', ['smtp:', 'smtps:']),
    smtpMaxConnections: int(env, 'SMTP_MAX_CONNECTIONS', 5, 1, 100),
    mailFrom,
    publicBaseUrl: url(env, 'PUBLIC_BASE_URL', 'http://localhost:3000', ['http:', 'https:']).replace(
      /\/+$/,
      '',
    ),
    officerApiKey,
    verificationTtlMs: int(env, 'VERIFICATION_TTL_HOURS', 24, 1, 24 * 14) * HOUR,
    verificationMaxAttempts: int(env, 'VERIFICATION_MAX_ATTEMPTS', 5, 1, 100),
    verificationLockMs: int(env, 'VERIFICATION_LOCK_MINUTES', 15, 1, 24 * 60) * 60_000,
    dsrRetentionMs: int(env, 'DSR_RETENTION_DAYS', 1095, 1, 36_500) * 24 * HOUR,
    verificationResendIntervalMs: int(env, 'VERIFICATION_RESEND_SECONDS', 60, 0, 86_400) * 1000,
    workerConcurrency: int(env, 'WORKER_CONCURRENCY', 20, 1, 1000),
    laneConcurrency: Object.fromEntries(
      SYSTEM_KEYS.flatMap((k) => {
        const name = `LANE_CONCURRENCY_${k.replace(/-/g, '_').toUpperCase()}`;
        if (env[name]?.trim()) return [[k, int(env, name, 1, 1, 1000)]];
        return LANE_CONCURRENCY_DEFAULTS[k] ? [[k, LANE_CONCURRENCY_DEFAULTS[k]]] : [];
      }),
    ),
    vendorMaxWaitMs: int(env, 'VENDOR_MAX_WAIT_SECONDS', 600, 1, 3600) * 1000,
    taskAttempts: int(env, 'TASK_ATTEMPTS', 5, 1, 50),
    taskBackoffMs: int(env, 'TASK_BACKOFF_MS', 2000, 0, 3_600_000),
    queuePrefix: str(env, 'QUEUE_PREFIX', 'dsar'),
    retryScheduleMs: minutesList(env, 'RETRY_SCHEDULE_MINUTES', '5,15,60,180,360,720,1440,1440'),
    maintenanceIntervalMs: int(env, 'MAINTENANCE_INTERVAL_SECONDS', 30, 1, 3600) * 1000,
    vendorJobPollMs: int(env, 'VENDOR_JOB_POLL_SECONDS', 300, 1, 86_400) * 1000,
    vendorJobMaxWaitMs: int(env, 'VENDOR_JOB_MAX_WAIT_SECONDS', 72 * 3600, 0, 60 * 86_400) * 1000,
    atRiskMs: int(env, 'AT_RISK_DAYS', 7, 0, 60) * 24 * HOUR,
    jobLockMs: int(env, 'JOB_LOCK_MS', 30_000, 1000, 600_000),
    stalledCheckMs: int(env, 'STALLED_CHECK_MS', 30_000, 500, 600_000),
    reconcileGraceMs: int(env, 'RECONCILE_GRACE_SECONDS', 30, 0, 3600) * 1000,
    logLevel: oneOf(env, 'LOG_LEVEL', 'log', ['error', 'warn', 'log', 'debug'] as const),
    logFormat: oneOf(env, 'LOG_FORMAT', nodeEnv === 'development' ? 'pretty' : 'json', ['json', 'pretty'] as const),
    metricsToken,
    workerMetricsPort: int(env, 'WORKER_METRICS_PORT', 9464, 0, 65535),
    maxBodyBytes: int(env, 'MAX_BODY_BYTES', 16 * 1024, 256, 1024 * 1024),
    databasePoolSize: int(env, 'DATABASE_POOL_SIZE', 20, 1, 500),
    rateLimit: {
      intakePerMinute: int(env, 'RATE_LIMIT_INTAKE_PER_MINUTE', 10, 0, 100_000),
      verifyPerMinute: int(env, 'RATE_LIMIT_VERIFY_PER_MINUTE', 20, 0, 100_000),
      statusPerMinute: int(env, 'RATE_LIMIT_STATUS_PER_MINUTE', 60, 0, 100_000),
      reportPerMinute: int(env, 'RATE_LIMIT_REPORT_PER_MINUTE', 30, 0, 100_000),
      wrongTokensPerMinute: int(env, 'RATE_LIMIT_WRONG_TOKENS_PER_MINUTE', 10, 0, 100_000),
      authFailuresPerMinute: int(env, 'RATE_LIMIT_AUTH_FAILURES_PER_MINUTE', 10, 0, 100_000),
    },
    trustProxy: bool(env, 'TRUST_PROXY', false),
    controller: controllerConfig(env, nodeEnv, mailFrom),
    reportLinkMs: int(env, 'REPORT_LINK_DAYS', 7, 1, 90) * 24 * HOUR,
    officerEmail: optionalEmail(env, 'OFFICER_EMAIL'),
    reminderHourUtc: int(env, 'OFFICER_REMINDER_HOUR_UTC', 7, 0, 23),
    consoleSessionMs: int(env, 'CONSOLE_SESSION_HOURS', 8, 1, 24 * 7) * HOUR,
    vendors: loadVendorConfig(env),
    vendorLimits: vendorLimits(env),
  };
}

function optionalEmail(env: Env, name: string): string | undefined {
  const v = env[name]?.trim();
  if (!v) return undefined;
  if (!/^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/.test(v)) throw new ConfigError(name, `must be an e-mail address (got "${v}")`);
  return v;
}

// Every report and confirmation names who answers and where to complain. Outside development the
// company must say it; locally the defaults say plainly that it has not.
function controllerConfig(env: Env, nodeEnv: string, mailFrom: string): AppConfig['controller'] {
  const required = nodeEnv === 'production';
  const get = (name: string, fallback: string) => {
    const v = env[name]?.trim();
    if (v) return v;
    if (required) throw new ConfigError(name, 'must be set in production: access reports and erasure confirmations must state it');
    return fallback;
  };
  const fromAddress = /<([^>]+)>/.exec(mailFrom)?.[1] ?? mailFrom;
  return {
    name: get('CONTROLLER_NAME', 'The company running this service (CONTROLLER_NAME is not set)'),
    contact: get('CONTROLLER_CONTACT', fromAddress),
    dpo: env.DPO_CONTACT?.trim() || undefined,
    supervisoryAuthority: get('SUPERVISORY_AUTHORITY', 'the data protection authority of the EU country where you live or work, or where you think your rights were infringed (SUPERVISORY_AUTHORITY is not set)'),
  };
}

function vendorLimits(env: Env): Record<string, LimitRule | undefined> {
  try {
    return limitRulesFromEnv(env);
  } catch (err) {
    const m = /^Invalid configuration: (\S+) (.*)$/.exec((err as Error).message);
    throw m ? new ConfigError(m[1]!, m[2]!) : err;
  }
}

// Keys that have been published (README, npm start, docker-compose of earlier versions) or that
// plainly are placeholders: refused outside development.
const PUBLISHED_KEYS = new Set(['local-dev-officer-key-change-me', 'change-me-officer-key-0123456789', 'change-me-to-a-long-random-string']);

export function isPlaceholderKey(key: string): boolean {
  return PUBLISHED_KEYS.has(key) || /change[-_ ]?me|placeholder|example|your[-_ ]?key|^(.)\1+$/i.test(key);
}

export const APP_CONFIG = Symbol('APP_CONFIG');

/** Entry points read ./.env when present (the real environment wins). Tests never do. */
export function loadDotEnv(file = '.env'): void {
  try {
    process.loadEnvFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
