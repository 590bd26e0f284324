// Webhooks (where reminders are posted, e.g. an SMS gateway) and their delivery outbox. Deliveries are written
// by the timer's transaction (notifications.ts: enqueueDeliveries); here they are listed for the admin's log,
// claimed by delivery workers under a lease, and finished after each POST.
import { and, asc, desc, eq, inArray, isNull, lt, lte, or, sql, type SQL } from 'drizzle-orm';
import { notifications, webhookDeliveries, webhooks, type WebhookDeliveryRow, type WebhookRow } from './schema.js';
import type { Db, Tx } from './types.js';
import { isUuid } from './uuid.js';

export async function insertWebhook(
  tx: Db | Tx,
  row: { regionPrefix: string; url: string; secret: string; createdBy: string; createdAt?: Date },
): Promise<WebhookRow> {
  const [created] = await tx.insert(webhooks).values(row).returning();
  return created;
}

/** Webhooks whose region prefix lies inside the jurisdiction `prefix` (an admin's view), oldest first. */
export async function listWebhooksWithin(tx: Db | Tx, prefix: string): Promise<WebhookRow[]> {
  return tx
    .select()
    .from(webhooks)
    .where(sql`starts_with(${webhooks.regionPrefix}, ${prefix}::text)`)
    .orderBy(asc(webhooks.createdAt), asc(webhooks.id));
}

export async function findWebhook(tx: Db | Tx, id: string): Promise<WebhookRow | null> {
  if (!isUuid(id)) return null;
  const [row] = await tx.select().from(webhooks).where(eq(webhooks.id, id)).limit(1);
  return row ?? null;
}

export async function findWebhooksByIds(tx: Db | Tx, ids: readonly string[]): Promise<WebhookRow[]> {
  if (ids.length === 0) return [];
  return tx.select().from(webhooks).where(inArray(webhooks.id, [...ids]));
}

export async function setWebhookActive(tx: Db | Tx, id: string, active: boolean): Promise<WebhookRow | null> {
  if (!isUuid(id)) return null;
  const [row] = await tx.update(webhooks).set({ active }).where(eq(webhooks.id, id)).returning();
  return row ?? null;
}

/** A webhook's delivery log, newest first; `before` is the id of the last row of the previous page. */
export async function listDeliveries(
  tx: Db | Tx,
  q: { webhookId: string; before?: number; limit: number },
): Promise<WebhookDeliveryRow[]> {
  const conditions: (SQL | undefined)[] = [eq(webhookDeliveries.webhookId, q.webhookId)];
  if (q.before !== undefined) conditions.push(lt(webhookDeliveries.id, q.before));
  return tx
    .select()
    .from(webhookDeliveries)
    .where(and(...conditions))
    .orderBy(desc(webhookDeliveries.id))
    .limit(q.limit);
}

/**
 * Claims up to `limit` due deliveries in one short statement (its own transaction): each gets a lease until
 * `lockedUntil` and one more attempt counted. Rows another worker is claiming at this moment are skipped
 * (SKIP LOCKED), and a row under a live lease is not due, so two workers never post the same delivery at once;
 * a lease left by a crashed worker expires and the delivery is claimed again. Deliveries of an inactive webhook
 * are held (not claimed) until it is active again. `now` is the engine clock's, never SQL now(), so tests
 * control time.
 */
export async function claimDueDeliveries(db: Db | Tx, now: Date, lockedUntil: Date, limit: number): Promise<WebhookDeliveryRow[]> {
  const due = db
    .select({ id: webhookDeliveries.id })
    .from(webhookDeliveries)
    .innerJoin(webhooks, eq(webhooks.id, webhookDeliveries.webhookId))
    .where(
      and(
        eq(webhookDeliveries.status, 'pending'),
        lte(webhookDeliveries.nextAttemptAt, now),
        or(isNull(webhookDeliveries.lockedUntil), lt(webhookDeliveries.lockedUntil, now)),
        eq(webhooks.active, true),
      ),
    )
    .orderBy(asc(webhookDeliveries.nextAttemptAt), asc(webhookDeliveries.id))
    .limit(limit)
    .for('update', { of: webhookDeliveries, skipLocked: true });
  return db
    .update(webhookDeliveries)
    .set({ lockedUntil, attempts: sql`${webhookDeliveries.attempts} + 1` })
    .where(inArray(webhookDeliveries.id, due))
    .returning();
}

/** The POST was answered 2xx. Whoever delivers first wins; a later result for the same row changes nothing. */
export async function markDelivered(db: Db | Tx, id: number, at: Date, statusCode: number): Promise<boolean> {
  const updated = await db
    .update(webhookDeliveries)
    .set({ status: 'delivered', deliveredAt: at, lastStatusCode: statusCode, lastError: null, lockedUntil: null })
    .where(and(eq(webhookDeliveries.id, id), eq(webhookDeliveries.status, 'pending')))
    .returning({ id: webhookDeliveries.id });
  return updated.length === 1;
}

/**
 * The POST failed (non-2xx or a network error): try again at `retryAt`, or give up (status failed) when it is
 * null. Recorded only by the holder of the latest claim (`attempts` as claimed) and only while still pending,
 * so a worker whose lease ran out cannot overwrite a newer attempt's result.
 */
export async function markAttemptFailed(
  db: Db | Tx,
  id: number,
  claimedAttempts: number,
  result: { statusCode: number | null; error: string; retryAt: Date | null },
): Promise<boolean> {
  const updated = await db
    .update(webhookDeliveries)
    .set({
      lastStatusCode: result.statusCode,
      lastError: result.error.slice(0, 2000),
      lockedUntil: null,
      ...(result.retryAt ? { nextAttemptAt: result.retryAt } : { status: 'failed' as const }),
    })
    .where(and(eq(webhookDeliveries.id, id), eq(webhookDeliveries.status, 'pending'), eq(webhookDeliveries.attempts, claimedAttempts)))
    .returning({ id: webhookDeliveries.id });
  return updated.length === 1;
}
