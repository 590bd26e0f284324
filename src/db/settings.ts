// Policy settings an admin changes at run time, one JSON value per key (e.g. `deadlines`).
import { eq, sql } from 'drizzle-orm';
import { settings } from './schemaTime.js';
import type { Db, Tx } from './types.js';

export type SettingRow = typeof settings.$inferSelect;

export async function getSetting(tx: Db | Tx, key: string): Promise<SettingRow | null> {
  const [row] = await tx.select().from(settings).where(eq(settings.key, key)).limit(1);
  return row ?? null;
}

/** Insert or replace a setting's value. */
export async function putSetting(tx: Db | Tx, key: string, value: unknown, updatedBy: string, at: Date): Promise<SettingRow> {
  const [row] = await tx
    .insert(settings)
    .values({ key, value, updatedBy, updatedAt: at })
    .onConflictDoUpdate({ target: settings.key, set: { value: sql`excluded.value`, updatedBy, updatedAt: at } })
    .returning();
  return row;
}
