// Request headers several routes read, checked the same way everywhere.
import { errors } from '../errors.js';

/** If-Match: "3", 3 or W/"3" — the version the client last saw. */
export function parseIfMatch(value: unknown, what = 'the case row version'): number | undefined {
  if (value === undefined) return undefined;
  const m = typeof value === 'string' ? /^(?:W\/)?"?(\d{1,9})"?$/.exec(value.trim()) : null;
  if (!m) throw errors.validationFailed([{ path: 'headers.if-match', message: `expected ${what}, e.g. "3"` }]);
  return Number(m[1]);
}

/** Idempotency-Key: 1 to 200 characters of letters, digits and . _ : - */
export function parseIdempotencyKey(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^[A-Za-z0-9._:-]{1,200}$/.test(value)) {
    throw errors.validationFailed([{ path: 'headers.idempotency-key', message: 'expected 1 to 200 characters of letters, digits and . _ : -' }]);
  }
  return value;
}
