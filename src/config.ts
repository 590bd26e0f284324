/**
 * Configuration: the environment, validated once at startup. Only src/main.ts reads process.env and hands it
 * here; every other module receives the typed `Config`. A bad environment fails fast with every problem
 * listed at once, so an operator fixes the .env file in one pass rather than one restart per key.
 */
import { z } from 'zod';
import { reviewLevels, type ReviewLevel } from '../machines/types.js';

export interface Config {
  nodeEnv: 'development' | 'test' | 'production';
  port: number;
  host: string;
  /** Unset → the embedded PGlite database under `dataDir`. */
  databaseUrl: string | undefined;
  /**
   * PostgreSQL only: the owner role's URL, used to run the migrations (and grant DATABASE_URL's role its rights);
   * unset → DATABASE_URL migrates too (one role does everything).
   */
  databaseMigrationUrl: string | undefined;
  /** postgres.js connections per process (PostgreSQL only). */
  databasePool: number;
  /** Where PGlite keeps its files; `memory://` keeps everything in memory (lost on exit). */
  dataDir: string;
  logLevel: LogLevel;
  jwtSecret: string;
  /** True when jwtSecret is the built-in development secret; main.ts should warn about it. */
  jwtSecretIsDevDefault: boolean;
  jwtIssuer: string;
  tokenTtlSeconds: number;
  reviewChain: ReviewLevel[];
  /** Run the scheduler (timers, reminders, outbox) in this process. */
  worker: boolean;
  /** Timers (and webhook deliveries) a worker claims per round; unset = the worker's default (50, 20). */
  workerBatch?: number;
  /** How long an idle worker waits before polling again, in ms; unset = the worker's default (1000). */
  workerIdleMs?: number;
  /** An admin may move the service's clock forward (POST /admin/clock); refused in production. */
  demoClock: boolean;
  /** Seed demo users, regions and facilities on first start with an empty database. */
  seedDemo: boolean;
  /** The Ed25519 private key (PEM, or a path to a PEM file) that signs audit checkpoints; unset → no checkpoints. */
  auditCheckpointKey: string | undefined;
  /** Seconds between two audit checkpoints. */
  auditCheckpointIntervalSeconds: number;
}

export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

/**
 * Used only outside production, so that `npm start` works on a fresh checkout. Its name says what it is;
 * loadConfig refuses it in production even when set explicitly.
 */
export const DEV_JWT_SECRET = 'doudi-development-only-jwt-secret-do-not-use-in-production';

/** Keys whose values must never be echoed in an error message. */
const secretKeys = new Set(['JWT_SECRET', 'DATABASE_URL', 'DATABASE_MIGRATION_URL', 'AUDIT_CHECKPOINT_KEY']);

export interface ConfigIssue {
  key: string;
  message: string;
}

export class ConfigError extends Error {
  readonly issues: ConfigIssue[];

  constructor(issues: ConfigIssue[]) {
    const lines = issues.map((i) => `  ${i.key}: ${i.message}`);
    super(`Invalid configuration (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${lines.join('\n')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

const durationUnits: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** '90s' | '30m' | '12h' | '7d' | '3600' (seconds) → seconds; undefined when it is not one of those. */
export function parseDurationSeconds(text: string): number | undefined {
  const match = /^(\d+)\s*([smhd]?)$/.exec(text.trim());
  if (!match) return undefined;
  const seconds = Number(match[1]) * durationUnits[match[2] || 's'];
  return Number.isSafeInteger(seconds) && seconds > 0 ? seconds : undefined;
}

const onOff = () =>
  z
    .stringbool({
      truthy: ['on', 'true', '1', 'yes'],
      falsy: ['off', 'false', '0', 'no'],
      error: `expected on or off`,
    });

function schemaFor(production: boolean) {
  // In production the key is required (a missing value fails with this message); elsewhere it may be
  // left unset and the development secret is used.
  const jwtSecret = z
    .string({ error: 'required in production: an HS256 secret of at least 32 characters' })
    .min(32, 'expected an HS256 secret of at least 32 characters')
    .refine((s) => !production || s !== DEV_JWT_SECRET, 'the development secret is not allowed in production');

  return z
    .object({
    NODE_ENV: z
      .enum(['development', 'test', 'production'], { error: 'expected development, test or production' })
      .default('development'),
    PORT: z
      .string()
      .regex(/^\d{1,5}$/, 'expected a port number 0-65535')
      .default('3000')
      .transform(Number)
      .pipe(z.number().max(65535, 'expected a port number 0-65535')),
    HOST: z.string().default('127.0.0.1'),
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\/\S+$/, 'expected a postgres:// or postgresql:// URL (unset it to use embedded PGlite)')
      .optional(),
    DATABASE_MIGRATION_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\/\S+$/, 'expected a postgres:// or postgresql:// URL (the owner role that runs the migrations)')
      .optional(),
    DATABASE_POOL: z
      .string()
      .regex(/^\d{1,3}$/, 'expected a whole number 1-200')
      .default('10')
      .transform(Number)
      .pipe(z.number().min(1, 'expected a whole number 1-200').max(200, 'expected a whole number 1-200')),
    DOUDI_DATA_DIR: z.string().default('.data/'),
    LOG_LEVEL: z.enum(logLevels, { error: `expected one of ${logLevels.join(', ')}` }).default('info'),
    JWT_SECRET: production ? jwtSecret : jwtSecret.optional(),
    JWT_ISSUER: z.string().default('doudi'),
    TOKEN_TTL: z
      .string()
      .default('12h')
      .transform((s, ctx) => {
        const seconds = parseDurationSeconds(s);
        if (seconds === undefined) {
          ctx.addIssue({ code: 'custom', message: 'expected a duration such as 90s, 30m, 12h or 7d' });
          return z.NEVER;
        }
        return seconds;
      }),
    REVIEW_CHAIN: z
      .string()
      .default('village,township,county')
      .transform((s) => s.split(',').map((level) => level.trim()))
      .pipe(
        z
          .array(z.enum(reviewLevels))
          .min(1)
          .refine((chain) => new Set(chain).size === chain.length, 'a level appears only once'),
      ),
    WORKER: onOff().default(true),
    WORKER_BATCH: z
      .string()
      .regex(/^\d{1,4}$/, 'expected a whole number 1-1000')
      .transform(Number)
      .pipe(z.number().min(1, 'expected a whole number 1-1000').max(1000, 'expected a whole number 1-1000'))
      .optional(),
    WORKER_IDLE_MS: z
      .string()
      .regex(/^\d{1,6}$/, 'expected milliseconds 10-600000')
      .transform(Number)
      .pipe(z.number().min(10, 'expected milliseconds 10-600000').max(600_000, 'expected milliseconds 10-600000'))
      .optional(),
    SEED_DEMO: onOff().default(true),
    AUDIT_CHECKPOINT_KEY: z.string().optional(),
    AUDIT_CHECKPOINT_INTERVAL: z
      .string()
      .default('1h')
      .transform((s, ctx) => {
        const seconds = parseDurationSeconds(s);
        if (seconds === undefined || seconds < 60) {
          ctx.addIssue({ code: 'custom', message: 'expected a duration of at least 60s, such as 15m, 1h or 1d' });
          return z.NEVER;
        }
        return seconds;
      }),
    // A clock an admin can move forward, for demonstrations and training; never in production.
    DEMO_CLOCK: production
      ? onOff()
          .default(false)
          .refine((on) => !on, 'DEMO_CLOCK cannot be on in production')
      : onOff().default(false),
  })
    .superRefine((e, ctx) => {
      if (e.DATABASE_MIGRATION_URL === undefined) return;
      if (e.DATABASE_URL === undefined) {
        ctx.addIssue({ code: 'custom', path: ['DATABASE_MIGRATION_URL'], message: 'needs DATABASE_URL (the runtime role) as well' });
      } else if (!userOf(e.DATABASE_URL)) {
        ctx.addIssue({ code: 'custom', path: ['DATABASE_URL'], message: 'must name its user (the runtime role) when DATABASE_MIGRATION_URL is set' });
      }
    });
}

function userOf(url: string): string {
  try {
    return new URL(url).username;
  } catch {
    return '';
  }
}

/**
 * Validate the environment and return the typed configuration, or throw a ConfigError listing every bad key.
 * Empty strings count as unset, so `DATABASE_URL=` in a .env file means "use PGlite".
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const production = env.NODE_ENV === 'production';
  const cleaned = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === '' ? undefined : v]));
  const result = schemaFor(production).safeParse(cleaned);

  if (!result.success) {
    const issues = result.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? '(environment)');
      return { key, message: describeIssue(issue, key, cleaned[key]) };
    });
    // A list such as REVIEW_CHAIN=foo,bar yields one issue per element; say it once.
    const unique = issues.filter((i, n) => issues.findIndex((j) => j.key === i.key && j.message === i.message) === n);
    throw new ConfigError(unique);
  }

  const e = result.data;
  return {
    nodeEnv: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    databaseMigrationUrl: e.DATABASE_MIGRATION_URL,
    databasePool: e.DATABASE_POOL,
    dataDir: e.DOUDI_DATA_DIR,
    logLevel: e.LOG_LEVEL,
    jwtSecret: e.JWT_SECRET ?? DEV_JWT_SECRET,
    jwtSecretIsDevDefault: e.JWT_SECRET === undefined,
    jwtIssuer: e.JWT_ISSUER,
    tokenTtlSeconds: e.TOKEN_TTL,
    reviewChain: e.REVIEW_CHAIN,
    worker: e.WORKER,
    workerBatch: e.WORKER_BATCH,
    workerIdleMs: e.WORKER_IDLE_MS,
    seedDemo: e.SEED_DEMO,
    demoClock: e.DEMO_CLOCK,
    auditCheckpointKey: e.AUDIT_CHECKPOINT_KEY,
    auditCheckpointIntervalSeconds: e.AUDIT_CHECKPOINT_INTERVAL,
  };
}

function describeIssue(issue: z.core.$ZodIssue, key: string, value: string | undefined): string {
  let message = issue.message;
  if (key === 'REVIEW_CHAIN' && issue.code === 'invalid_value') {
    message = `expected a comma-separated list of ${reviewLevels.join(', ')}`;
  }
  if (value === undefined || secretKeys.has(key)) return message;
  return `${message} (got ${JSON.stringify(value)})`;
}

/** For the entry points (service, worker, scripts): the configuration, or every bad key on stderr and exit 2. */
export function loadConfigOrExit(env: Record<string, string | undefined>): Config {
  try {
    return loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(2);
    }
    throw e;
  }
}
