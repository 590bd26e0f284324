// Region-code prefixes used in LIKE patterns. They must be digits only: a '%' or '_' would widen the match
// beyond the jurisdiction, so anything else is a programming error (the HTTP layer validates at the edge).
import { sql, type SQL } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';

export function assertRegionPrefix(prefix: string, what = 'region prefix'): void {
  if (!/^[0-9]{0,12}$/.test(prefix)) {
    throw new RangeError(`${what} must be 0 to 12 digits, got ${JSON.stringify(prefix)}`);
  }
}

/** `column LIKE 'prefix%'` for a validated digits-only prefix. */
export function startsWith(column: AnyPgColumn, prefix: string, what?: string): SQL {
  assertRegionPrefix(prefix, what);
  return sql`${column} like ${`${prefix}%`}`;
}
