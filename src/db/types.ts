// One database type for both drivers, so data access is a single code path on PGlite and on PostgreSQL.
import type { ExtractTablesWithRelations } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import type * as schema from './schema.js';

export type Schema = typeof schema;

/** A drizzle database on either driver. Data-access functions take `Db | Tx`, and a Tx is also a Db. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

/** An open transaction (or savepoint) on either driver. */
export type Tx = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;

/**
 * Rows of a `db.execute()` result. postgres.js returns an array of rows, PGlite `{ rows, fields, … }`
 * (drizzle issue #3975). Data access prefers the query builder; use this where raw SQL is unavoidable.
 */
export function rows<T = Record<string, unknown>>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  if (result && typeof result === 'object' && Array.isArray((result as { rows?: unknown }).rows)) {
    return (result as { rows: T[] }).rows;
  }
  throw new TypeError('rows(): not a query result from postgres.js or PGlite');
}
