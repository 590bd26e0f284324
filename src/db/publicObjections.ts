/**
 * Objections lodged online (public_objections, migration 0026): the statements the online objection's command
 * sends inside its transaction (src/engine/publicObjection.ts), and the officers' read of the lodgers' contacts.
 *
 * The per-notice daily limit: the load counts the case's online objections of the day under the case's row
 * lock, and the insert takes the next slot of that day, unique per (case, day) — a second process racing past
 * the count (it cannot: the lock serializes them) would still fail on the key instead of passing the limit.
 */
import { and, eq, inArray } from 'drizzle-orm';
import { publicObjections } from './schemaPublic.js';
import type { Row, Stmt } from './session.js';
import type { Db, Tx } from './types.js';

export const PUBLIC_SLOT_CONSTRAINT = 'public_objections_case_day_slot_unique';

/** The case's online objections of one China day: how many, and the highest slot taken. */
export function publicObjectionsOfDayStmt(caseId: string, day: string): Stmt {
  return {
    text: `select count(*)::int as n, coalesce(max(slot), 0)::int as top from public_objections where case_id = $1::uuid and lodged_on = $2::text::date`,
    params: [caseId, day],
  };
}

export const parseDayCount = (rows: Row[]): { n: number; top: number } => ({ n: Number(rows[0]?.n ?? 0), top: Number(rows[0]?.top ?? 0) });

export interface PublicObjectionWrite {
  receipt: string;
  caseId: string;
  documentCode: string;
  lodgedOn: string;
  slot: number;
  name: string;
  contact: string;
  createdAt: Date;
}

export function insertPublicObjectionStmt(w: PublicObjectionWrite): Stmt {
  return {
    text: `insert into public_objections (receipt, case_id, document_code, lodged_on, slot, name, contact, created_at)
      values ($1::text, $2::uuid, $3::text, $4::text::date, $5::int, $6::text, $7::text, $8::text::timestamptz)`,
    params: [w.receipt, w.caseId, w.documentCode, w.lodgedOn, w.slot, w.name, w.contact, w.createdAt.toISOString()],
  };
}

/**
 * An inbox notification for every active officer whose jurisdiction covers the village, in the same
 * transaction as the objection. Title and data name the case and the receipt only: no lodger's name or contact.
 */
export function notifyOfficersStmt(n: { villageCode: string; caseId: string; kind: string; title: string; body: string; data: Record<string, unknown>; at: Date }): Stmt {
  return {
    text: `insert into notifications (user_id, case_id, timer_id, kind, title, body, data, created_at)
      select u.id, $2::uuid, null, $3::text, $4::text, $5::text, $6::text::jsonb, $7::text::timestamptz
      from users u where u.active and 'officer' = any(u.roles) and starts_with($1::text, u.jurisdiction)`,
    params: [n.villageCode, n.caseId, n.kind, n.title, n.body, JSON.stringify(n.data), n.at.toISOString()],
  };
}

/** The lodgers' name and contact for some receipts of one case (the engine decides who may read them). */
export async function publicObjectionContacts(db: Db | Tx, caseId: string, receipts: readonly string[]): Promise<{ receipt: string; name: string; contact: string }[]> {
  if (receipts.length === 0) return [];
  return db
    .select({ receipt: publicObjections.receipt, name: publicObjections.name, contact: publicObjections.contact })
    .from(publicObjections)
    .where(and(eq(publicObjections.caseId, caseId), inArray(publicObjections.receipt, [...receipts])));
}
