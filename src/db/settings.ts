// Policy settings an admin changes at run time, one JSON value per key (e.g. `deadlines`) and scope ('global',
// or a province, city or county prefix). Each (key, scope) carries a version, moved on by every change.
import { and, eq, sql } from 'drizzle-orm';
import { settings } from './schemaTime.js';
import type { Db, Tx } from './types.js';

export type SettingRow = typeof settings.$inferSelect;

export async function getSetting(tx: Db | Tx, key: string, scope = 'global'): Promise<SettingRow | null> {
  const [row] = await tx.select().from(settings).where(and(eq(settings.key, key), eq(settings.scope, scope))).limit(1);
  return row ?? null;
}

/** Every scope's row of a setting. */
export async function listSettingScopes(tx: Db | Tx, key: string): Promise<SettingRow[]> {
  return tx.select().from(settings).where(eq(settings.key, key)).orderBy(settings.scope);
}

export type PutSettingResult = { ok: true; row: SettingRow } | { ok: false; currentVersion: number };

/**
 * Replace a setting's value in one scope if its version is still `expectedVersion` (0: never set). One
 * statement, so two admins racing for the same scope cannot both succeed: an insert of version 1 conflicts
 * on the primary key, an update matches only the version it read.
 */
export async function putSetting(
  tx: Db | Tx,
  key: string,
  scope: string,
  value: unknown,
  expectedVersion: number,
  updatedBy: string,
  at: Date,
): Promise<PutSettingResult> {
  const rows =
    expectedVersion === 0
      ? await tx.insert(settings).values({ key, scope, value, version: 1, updatedBy, updatedAt: at }).onConflictDoNothing().returning()
      : await tx
          .update(settings)
          .set({ value, version: sql`${settings.version} + 1`, updatedBy, updatedAt: at })
          .where(and(eq(settings.key, key), eq(settings.scope, scope), eq(settings.version, expectedVersion)))
          .returning();
  if (rows[0]) return { ok: true, row: rows[0] };
  const current = await getSetting(tx, key, scope);
  return { ok: false, currentVersion: current?.version ?? 0 };
}
