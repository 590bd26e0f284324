/**
 * Configuration: the environment, validated once at startup. Only src/main.ts reads process.env and hands it
 * here; every other module receives the typed `Config`. A bad environment fails fast with every problem
 * listed at once, so an operator fixes the .env file in one pass rather than one restart per key.
 */
import { z } from 'zod';
import { reviewLevels, type ReviewLevel } from '../machines/types.js';
import { checkAllowHostEntry, normalHost } from './engine/webhookTarget.js';

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
  /**
   * Production on embedded PGlite (one process, no server) was asked for explicitly; without it production needs
   * DATABASE_URL, so that a forgotten DATABASE_URL does not quietly start an empty embedded database.
   */
  allowPgliteInProduction: boolean;
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
  /**
   * Hosts webhooks may point at although they are (or resolve to) loopback, private or link-local addresses,
   * e.g. an SMS gateway on the private network: lower case, IPv6 without brackets.
   */
  webhookAllowHosts: string[];
  /** Production starts even though demo users (known passwords) exist. */
  allowDemoUsers: boolean;
  /** Our bearer tokens whose lifetime (exp − iat) is longer are refused. */
  tokenMaxTtlSeconds: number;
  /** A console session ends this long after sign-in… */
  sessionTtlSeconds: number;
  /** …or this long after its last request. */
  sessionIdleSeconds: number;
  /** Failed sign-ins allowed per account, and per address, within `signInWindowSeconds`; then 429 until it ends. */
  signInMaxFailures: number;
  signInMaxFailuresPerAddress: number;
  signInWindowSeconds: number;
  /** Requests per minute per client address on every route (0 = no limit), and on public routes. */
  rateLimitPerMinute: number;
  rateLimitPublicPerMinute: number;
  /** Honour X-Forwarded-For / -Proto from a reverse proxy (client address for limits and logs, https for cookies). */
  trustProxy: boolean;
  /** Bearer token GET /metrics requires; null: /metrics is off (404). */
  metricsToken: string | null;
  /** `npm run worker` only: the port its own GET /metrics listens on (on HOST); null: none. */
  workerMetricsPort: number | null;
  /** Secure cookies: 'auto' sets the flag when the request came over https. */
  cookieSecure: 'auto' | 'on' | 'off';
  /** Origins allowed to call the API from a browser (CORS); empty = no cross-origin access. */
  corsOrigins: string[];
  /** Largest file POST /imports accepts, in bytes (IMPORT_MAX_BYTES; default 20 MiB ≈ 150,000 member rows of XLSX). */
  importMaxBytes: number;
  /** Single sign-on through an OpenID Connect provider; undefined when not configured. */
  oidc?: OidcConfig;
}

export interface OidcConfig {
  /** The provider's issuer URL exactly as its tokens carry it; discovery is `${issuer}/.well-known/openid-configuration`. */
  issuer: string;
  clientId: string;
  clientSecret?: string;
  /** Audience bearer tokens from the provider must name (API clients); default the client id. */
  audience: string;
  /** The claim whose value is matched against users.external_id. */
  userClaim: string;
  /** Where the provider sends the browser back: this service's /auth/oidc/callback as the browser reaches it. */
  redirectUrl?: string;
}

export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

/**
 * Used only outside production, so that `npm start` works on a fresh checkout. Its name says what it is;
 * loadConfig refuses it in production even when set explicitly.
 */
export const DEV_JWT_SECRET = 'doudi-development-only-jwt-secret-do-not-use-in-production';

/** Keys whose values must never be echoed in an error message. */
const secretKeys = new Set(['JWT_SECRET', 'DATABASE_URL', 'DATABASE_MIGRATION_URL', 'AUDIT_CHECKPOINT_KEY', 'OIDC_CLIENT_SECRET']);

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

function schemaFor(production: boolean, development = false) {
  // In production the key is required (a missing value fails with this message); elsewhere it may be
  // left unset and the development secret is used.
  const jwtSecret = z
    .string({ error: 'required in production: an HS256 secret of at least 32 characters' })
    .min(32, { message: 'expected an HS256 secret of at least 32 characters', abort: true })
    .refine((s) => !production || s !== DEV_JWT_SECRET, 'the development secret is not allowed in production')
    // 40 × "a" is 32 characters long and guessable: ask for a secret that looks random (more so in production).
    .refine(
      (s) => new Set(s).size >= (production ? 16 : 8),
      `expected a random secret (at least ${production ? 16 : 8} different characters), e.g. \`openssl rand -base64 48\``,
    );

  const duration = (fallback: string) =>
    z
      .string()
      .default(fallback)
      .transform((s, ctx) => {
        const seconds = parseDurationSeconds(s);
        if (seconds === undefined) {
          ctx.addIssue({ code: 'custom', message: 'expected a duration such as 90s, 30m, 12h or 7d' });
          return z.NEVER;
        }
        return seconds;
      });
  const count = (fallback: string, min: number, max: number) =>
    z
      .string()
      .regex(/^\d{1,7}$/, `expected a whole number ${min}-${max}`)
      .default(fallback)
      .transform(Number)
      .pipe(z.number().min(min, `expected a whole number ${min}-${max}`).max(max, `expected a whole number ${min}-${max}`));
  const url = z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' });

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
    ALLOW_PGLITE_IN_PRODUCTION: onOff().default(false),
    LOG_LEVEL: z.enum(logLevels, { error: `expected one of ${logLevels.join(', ')}` }).default('info'),
    JWT_SECRET: production ? jwtSecret : jwtSecret.optional(),
    JWT_ISSUER: z.string().default('doudi'),
    TOKEN_TTL: duration('12h'),
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
    SEED_DEMO: onOff().default(!production),
    ALLOW_DEMO_USERS: onOff().default(false),
    TOKEN_MAX_TTL: duration('24h'),
    SESSION_TTL: duration('12h'),
    SESSION_IDLE: duration('30m'),
    SIGN_IN_MAX_FAILURES: count('5', 1, 1000),
    SIGN_IN_MAX_FAILURES_PER_ADDRESS: count('50', 1, 100000),
    SIGN_IN_WINDOW: duration('15m'),
    RATE_LIMIT: count('1200', 0, 1000000),
    RATE_LIMIT_PUBLIC: count('120', 0, 1000000),
    TRUST_PROXY: onOff().default(false),
    METRICS_TOKEN: z.string().min(16, 'METRICS_TOKEN needs at least 16 characters').optional(),
    WORKER_METRICS_PORT: z
      .string()
      .regex(/^\d{1,5}$/, 'expected a port number 1-65535')
      .transform(Number)
      .pipe(z.number().min(1, 'expected a port number 1-65535').max(65535, 'expected a port number 1-65535'))
      .optional(),
    COOKIE_SECURE: z.enum(['auto', 'on', 'off'], { error: 'expected auto, on or off' }).default('auto'),
    IMPORT_MAX_BYTES: z
      .string()
      .regex(/^\d{1,10}$/, 'expected a size in bytes, e.g. 20971520')
      .transform(Number)
      .pipe(z.number().min(1024, 'expected at least 1024 bytes').max(512 * 1024 * 1024, 'expected at most 536870912 bytes (512 MiB)'))
      .default(20 * 1024 * 1024),
    CORS_ORIGINS: z
      .string()
      .default('')
      .transform((s) => s.split(',').map((o) => o.trim()).filter(Boolean))
      .pipe(z.array(z.url({ protocol: /^https?$/, error: 'expected a comma-separated list of origins such as https://console.example.gov.cn' }))),
    OIDC_ISSUER: url.optional(),
    OIDC_CLIENT_ID: z.string().min(1).optional(),
    OIDC_CLIENT_SECRET: z.string().min(1).optional(),
    OIDC_AUDIENCE: z.string().min(1).optional(),
    OIDC_USER_CLAIM: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/, 'expected a claim name such as sub or preferred_username').default('sub'),
    OIDC_REDIRECT_URL: url.optional(),
    WEBHOOK_ALLOW_HOSTS: z
      .string()
      .default('')
      .transform((s, ctx) => {
        const hosts = s.split(',').map((h) => h.trim()).filter(Boolean);
        for (const h of hosts) {
          const problem = checkAllowHostEntry(h);
          if (problem) ctx.addIssue({ code: 'custom', message: `expected a comma-separated list of host names or IP addresses: ${problem}` });
        }
        return [...new Set(hosts.map(normalHost))];
      }),
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
      : // On for `npm start` on a fresh machine (NODE_ENV unset = development), so a demonstration can end a notice period.
        onOff().default(development),
  })
    .superRefine((e, ctx) => {
      if (e.TOKEN_TTL > e.TOKEN_MAX_TTL) ctx.addIssue({ code: 'custom', path: ['TOKEN_TTL'], message: 'must not be longer than TOKEN_MAX_TTL' });
      if (e.SESSION_IDLE > e.SESSION_TTL) ctx.addIssue({ code: 'custom', path: ['SESSION_IDLE'], message: 'must not be longer than SESSION_TTL' });
      if (e.OIDC_ISSUER && !e.OIDC_CLIENT_ID) ctx.addIssue({ code: 'custom', path: ['OIDC_CLIENT_ID'], message: 'required when OIDC_ISSUER is set' });
      if (!e.OIDC_ISSUER && (e.OIDC_CLIENT_ID || e.OIDC_CLIENT_SECRET || e.OIDC_AUDIENCE || e.OIDC_REDIRECT_URL)) {
        ctx.addIssue({ code: 'custom', path: ['OIDC_ISSUER'], message: 'required when any other OIDC_ setting is set' });
      }
      if (production && e.DATABASE_URL === undefined && !e.ALLOW_PGLITE_IN_PRODUCTION) {
        ctx.addIssue({
          code: 'custom',
          path: ['DATABASE_URL'],
          message: 'required in production (a PostgreSQL server); to run on the embedded PGlite database anyway (one process only), set ALLOW_PGLITE_IN_PRODUCTION=on',
        });
      }
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
  const result = schemaFor(production, (cleaned.NODE_ENV ?? 'development') === 'development').safeParse(cleaned);

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
    allowPgliteInProduction: e.ALLOW_PGLITE_IN_PRODUCTION,
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
    webhookAllowHosts: e.WEBHOOK_ALLOW_HOSTS,
    demoClock: e.DEMO_CLOCK,
    allowDemoUsers: e.ALLOW_DEMO_USERS,
    tokenMaxTtlSeconds: e.TOKEN_MAX_TTL,
    sessionTtlSeconds: e.SESSION_TTL,
    sessionIdleSeconds: e.SESSION_IDLE,
    signInMaxFailures: e.SIGN_IN_MAX_FAILURES,
    signInMaxFailuresPerAddress: e.SIGN_IN_MAX_FAILURES_PER_ADDRESS,
    signInWindowSeconds: e.SIGN_IN_WINDOW,
    rateLimitPerMinute: e.RATE_LIMIT,
    rateLimitPublicPerMinute: e.RATE_LIMIT_PUBLIC,
    trustProxy: e.TRUST_PROXY,
    metricsToken: e.METRICS_TOKEN ?? null,
    workerMetricsPort: e.WORKER_METRICS_PORT ?? null,
    cookieSecure: e.COOKIE_SECURE,
    corsOrigins: e.CORS_ORIGINS,
    importMaxBytes: e.IMPORT_MAX_BYTES,
    oidc: e.OIDC_ISSUER
      ? {
          issuer: e.OIDC_ISSUER.replace(/\/$/, ''),
          clientId: e.OIDC_CLIENT_ID!,
          clientSecret: e.OIDC_CLIENT_SECRET,
          audience: e.OIDC_AUDIENCE ?? e.OIDC_CLIENT_ID!,
          userClaim: e.OIDC_USER_CLAIM,
          redirectUrl: e.OIDC_REDIRECT_URL,
        }
      : undefined,
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
