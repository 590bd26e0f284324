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
 */
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
 * Build the process logger. `destination` defaults to stdout (synchronous, so nothing is lost when the
 * process exits); tests pass a stream that collects lines.
 */
export function createLogger(config: Pick<Config, 'logLevel'>, destination?: DestinationStream): Logger {
  return pino(
    {
      level: config.logLevel,
      redact: { paths: redactPaths, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    maskingStream(destination ?? pino.destination({ dest: 1, sync: true })),
  );
}
