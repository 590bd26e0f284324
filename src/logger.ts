/**
 * The process logger (pino, JSON lines). Two guarantees:
 *
 * 1. Credentials are redacted by path (authorization and cookie headers, passwords, the JWT secret).
 * 2. Resident ID numbers (GB 11643, 18 characters) never reach the output, wherever they hide.
 *
 * (2) is enforced on the finished line, at the stream, rather than in pino's `hooks.logMethod` or
 * `formatters.log`: those run *before* serializers (so they miss `req.url` built by Fastify's request
 * serializer, error stacks from the err serializer) and never see child-logger bindings. At the stream
 * every byte pino emits passes through one function, so nothing can slip past it.
 *
 * 3. Errors are logged without the data of the statement that failed (safeError): database drivers put the
 *    query and its parameters (names, birth dates, diagnoses) on their errors (postgres.js `query`,
 *    `parameters`; PGlite `query`, `params`; drizzle's wrapper repeats them in its message), and PostgreSQL's
 *    `detail` quotes the failing row. Only an allow-list of fields is kept (SQLSTATE code, constraint, table,
 *    column, …), and the message is cut before the parameters, with quoted values redacted.
 */
import { createRequire } from 'node:module';
import pino, { type DestinationStream, type Logger as PinoLogger } from 'pino';
import type { Config } from './config.js';
import { maskResidentId } from './domain/residentId.js';

export type Logger = PinoLogger;

/**
 * 17 digits and a check character (digit or X), not part of a longer run of digits. Deliberately a superset
 * of /\b\d{17}[\dXx]\b/: it also catches a number glued to letters ("id411282..."). Over-masking a log is
 * harmless; under-masking leaks personal data.
 */
const ID_NUMBER = /(?<!\d)\d{17}[\dXx](?!\d)/g;

/**
 * 411282195001011234 → 411282**********34: the county stays visible for debugging, the person does not. The
 * same mask as every response (src/domain/residentId.ts): a line that also carries a birth date gives nothing away.
 */
export function maskIdNumber(id: string): string {
  return maskResidentId(id);
}

/** Mask every resident ID number in a piece of text. */
export function maskIdNumbers(text: string): string {
  return text.replace(ID_NUMBER, maskIdNumber);
}

function containsIdNumber(text: string): boolean {
  ID_NUMBER.lastIndex = 0;
  return ID_NUMBER.test(text);
}

/** Mask inside a parsed JSON value: strings, object keys, and integers that print as an ID number. */
function maskValue(value: unknown): unknown {
  if (typeof value === 'string') return maskIdNumbers(value);
  if (typeof value === 'number') {
    const text = String(value);
    return containsIdNumber(text) ? maskIdNumbers(text) : value;
  }
  if (Array.isArray(value)) return value.map(maskValue);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [maskIdNumbers(k), maskValue(v)]));
  }
  return value;
}

/**
 * Mask one output line. Lines are JSON, and a plain text replace would corrupt a bare 18-digit number
 * (`"n":411282**********34` is not JSON), so a line that contains a match is parsed, masked as data and
 * re-serialized. Lines without a match — nearly all — pass through untouched.
 */
export function maskLogLine(line: string): string {
  if (!containsIdNumber(line)) return line;
  const newline = line.endsWith('\n') ? '\n' : '';
  const body = newline ? line.slice(0, -1) : line;
  try {
    return JSON.stringify(maskValue(JSON.parse(body))) + newline;
  } catch {
    return maskIdNumbers(line);
  }
}

/** Wrap a destination so that every line written to it is masked first. */
export function maskingStream(destination: DestinationStream): DestinationStream {
  const dest = destination as DestinationStream & {
    flush?: (cb?: (err?: Error) => void) => void;
    flushSync?: () => void;
    end?: () => void;
  };
  return {
    write: (chunk: string) => dest.write(maskLogLine(chunk)),
    // pino calls these when present (logger.flush(), shutdown); pass them through to the real stream.
    ...(dest.flush && { flush: dest.flush.bind(dest) }),
    ...(dest.flushSync && { flushSync: dest.flushSync.bind(dest) }),
    ...(dest.end && { end: dest.end.bind(dest) }),
  } as DestinationStream;
}

/** Error fields that carry no data: codes and names of database objects, never values. */
const SAFE_ERROR_FIELDS = [
  'code', 'severity', 'routine', 'errno', 'syscall', 'statusCode', 'rule',
  'constraint', 'constraint_name', 'table', 'table_name', 'column', 'column_name', 'schema', 'schema_name',
  'dataType', 'data_type_name', 'timerId',
] as const;

/** Identifiers PostgreSQL quotes in its messages: kept; any other quoted text may be a value and is redacted. */
const QUOTED = /(?:\b(constraint|relation|column|table|index|type|function|schema|database|role|trigger|sequence|view|extension|channel|operator|savepoint|cursor|statement)\s*)?"(?:[^"]|"")*"/gi;

/**
 * A message safe to log: drizzle's "Failed query: <sql>\nparams: <values>" becomes "Failed query", and double-quoted
 * text that is not an identifier (`invalid input syntax for type date: "1947-02-31"`) becomes "[redacted]".
 */
export function safeErrorMessage(message: string): string {
  let text = message;
  if (text.startsWith('Failed query:')) text = 'Failed query';
  const params = text.search(/\n\s*params:/);
  if (params >= 0) text = text.slice(0, params);
  return text.replace(QUOTED, (all, word: string | undefined) => (word ? all : '"[redacted]"'));
}

/**
 * An error (and its causes) as a log object without query text, parameters, detail or any other field that can
 * hold personal data; the stack keeps its frames under the safe message. Used as pino's serializer for `err`,
 * `error` and `cause`, so every logger of the process (request loggers, workers) logs errors this way.
 */
export function safeError(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return safeErrorMessage(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 5) return '[cause chain truncated]';
  const e = value as Record<string, unknown> & { message?: unknown; stack?: unknown; name?: unknown; cause?: unknown };
  // The class name, unless a bundle minified it (PGlite's errors are class "O", named "error").
  const ctor = (value as object).constructor?.name ?? '';
  const type = ctor.length > 2 && ctor !== 'Object' ? ctor : typeof e.name === 'string' && e.name ? e.name : 'Error';
  const message = typeof e.message === 'string' ? safeErrorMessage(e.message) : undefined;
  const out: Record<string, unknown> = { type };
  if (message !== undefined) out.message = message;
  for (const key of SAFE_ERROR_FIELDS) {
    const v = e[key];
    if (typeof v === 'string' || typeof v === 'number') out[key] = v;
  }
  if (typeof e.stack === 'string') {
    const frames = e.stack.split('\n').filter((line) => /^\s+at /.test(line));
    out.stack = [`${type}: ${message ?? ''}`, ...frames].join('\n');
  }
  if (e.cause !== undefined) out.cause = safeError(e.cause, depth + 1);
  if (Array.isArray((e as { errors?: unknown }).errors)) {
    out.errors = ((e as { errors: unknown[] }).errors).slice(0, 10).map((x) => safeError(x, depth + 1));
  }
  return out;
}

/** Paths pino replaces with "[redacted]" before a line is written. */
export const redactPaths = [
  'authorization',
  'cookie',
  'headers.authorization',
  'headers.cookie',
  'req.headers.authorization',
  'req.headers.cookie',
  'request.headers.authorization',
  'request.headers.cookie',
  '*.headers.authorization',
  '*.headers.cookie',
  'password',
  '*.password',
  'jwtSecret',
  '*.jwtSecret',
  'token',
  '*.token',
];

/**
 * Query parameters that may carry what a person typed (a name or address searched for, a username, a page to
 * return to with its search): their values never reach the log. Everything else in a URL is codes and ids.
 */
const REDACTED_QUERY = new Set(['q', 'next', 'username']);

export function redactUrl(url: string): string {
  const at = url.indexOf('?');
  if (at < 0) return url;
  const params = url.slice(at + 1).split('&').map((pair) => {
    const eq = pair.indexOf('=');
    const key = eq < 0 ? pair : pair.slice(0, eq);
    return REDACTED_QUERY.has(decodeURIComponentSafe(key)) && eq >= 0 ? `${key}=[redacted]` : pair;
  });
  return `${url.slice(0, at)}?${params.join('&')}`;
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The request as logged: Fastify's usual fields, with the URL's searched-for values redacted. */
function requestSerializer(req: { method?: string; url?: string; host?: string; hostname?: string; ip?: string; socket?: { remotePort?: number } }) {
  return { method: req.method, url: req.url === undefined ? undefined : redactUrl(req.url), host: req.host ?? req.hostname, remoteAddress: req.ip, remotePort: req.socket?.remotePort };
}

/**
 * Build the process logger. `destination` defaults to stdout (synchronous, so nothing is lost when the
 * process exits); tests pass a stream that collects lines.
 */
export function createLogger(config: Pick<Config, 'logLevel'> & Partial<Pick<Config, 'nodeEnv'>>, destination?: DestinationStream): Logger {
  return pino(
    {
      level: config.logLevel,
      redact: { paths: redactPaths, censor: '[redacted]' },
      serializers: { err: safeError, error: safeError, cause: safeError, req: requestSerializer },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    maskingStream(destination ?? (config.nodeEnv === 'development' && process.stdout.isTTY ? prettyStream() : null) ?? pino.destination({ dest: 1, sync: true })),
  );
}

/**
 * Readable lines for a developer's terminal: pino-pretty, a development dependency, when NODE_ENV=development,
 * stdout is a terminal (a pipe — a log collector, a test reading a child's output — gets JSON) and it is installed (`npm ci --omit=dev` leaves it out: production logs JSON, one object a line). Synchronous, so
 * nothing is lost at exit; masking runs before it, on the JSON line.
 */
function prettyStream(): DestinationStream | null {
  try {
    const pretty = createRequire(import.meta.url)('pino-pretty') as (opts: object) => DestinationStream;
    return pretty({ colorize: true, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' });
  } catch {
    return null;
  }
}
