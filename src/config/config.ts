import { loadVendorConfig, type VendorConfig } from '../processors/vendor-config.js';

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
  mailFrom: string;
  publicBaseUrl: string;
  officerApiKey: string | undefined;
  verificationTtlMs: number;
  verificationMaxAttempts: number;
  verificationResendIntervalMs: number;
  workerConcurrency: number;
  taskAttempts: number;
  taskBackoffMs: number;
  queuePrefix: string;
  logLevel: 'error' | 'warn' | 'log' | 'debug';
  maxBodyBytes: number;
  /** Processor endpoints and credentials (src/processors/vendor-config.ts). */
  vendors: VendorConfig;
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

export function loadConfig(env: Env = process.env): AppConfig {
  const mailFrom = str(env, 'MAIL_FROM', 'Privacy Team <privacy@localhost>');
  if (!/@/.test(mailFrom)) throw new ConfigError('MAIL_FROM', 'must contain an e-mail address');
  const officerApiKey = env.OFFICER_API_KEY?.trim() || undefined;
  if (officerApiKey !== undefined && officerApiKey.length < 24) {
    throw new ConfigError('OFFICER_API_KEY', 'must be at least 24 characters long');
  }
  return {
    env: oneOf(env, 'NODE_ENV', 'development', ['development', 'test', 'production'] as const),
    port: int(env, 'PORT', 3000, 0, 65535),
    databaseUrl: url(env, 'DATABASE_URL', 'postgresql://postgres@127.0.0.1:5432/dsar', [
      'postgresql:',
      'postgres:',
    ]),
    redisUrl: url(env, 'REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']),
    smtpUrl: url(env, 'SMTP_URL', 'smtp://127.0.0.1:1025', ['smtp:', 'smtps:']),
    mailFrom,
    publicBaseUrl: url(env, 'PUBLIC_BASE_URL', 'http://localhost:3000', ['http:', 'https:']).replace(
      /\/+$/,
      '',
    ),
    officerApiKey,
    verificationTtlMs: int(env, 'VERIFICATION_TTL_HOURS', 24, 1, 24 * 14) * HOUR,
    verificationMaxAttempts: int(env, 'VERIFICATION_MAX_ATTEMPTS', 5, 1, 100),
    verificationResendIntervalMs: int(env, 'VERIFICATION_RESEND_SECONDS', 60, 0, 86_400) * 1000,
    workerConcurrency: int(env, 'WORKER_CONCURRENCY', 20, 1, 1000),
    taskAttempts: int(env, 'TASK_ATTEMPTS', 5, 1, 50),
    taskBackoffMs: int(env, 'TASK_BACKOFF_MS', 2000, 0, 3_600_000),
    queuePrefix: str(env, 'QUEUE_PREFIX', 'dsar'),
    logLevel: oneOf(env, 'LOG_LEVEL', 'log', ['error', 'warn', 'log', 'debug'] as const),
    maxBodyBytes: int(env, 'MAX_BODY_BYTES', 16 * 1024, 256, 1024 * 1024),
    vendors: loadVendorConfig(env),
  };
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
