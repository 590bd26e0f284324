// In-app notifications (one per user and reminder) and the webhook outbox they feed: both written in the
// transaction that decides the reminder, so a reminder exists exactly when its deliveries do.
import { and, desc, eq, isNull, lt, sql, type SQL } from 'drizzle-orm';
import { getTableColumns } from 'drizzle-orm';
import { notifications, webhookDeliveries, webhooks, type NewNotification, type NotificationRow, type WebhookRow } from './schema.js';
import type { Db, Tx } from './types.js';

export async function insertNotifications(tx: Db | Tx, rows: readonly NewNotification[]): Promise<NotificationRow[]> {
  if (rows.length === 0) return [];
  return tx.insert(notifications).values([...rows]).returning();
}

/** Active webhooks whose region prefix covers the village: where a reminder about a case there goes. */
export async function webhooksCovering(tx: Db | Tx, villageCode: string): Promise<WebhookRow[]> {
  return tx
    .select()
    .from(webhooks)
    .where(and(eq(webhooks.active, true), sql`starts_with(${villageCode}::text, ${webhooks.regionPrefix})`));
}

export async function enqueueDeliveries(
  tx: Db | Tx,
  rows: readonly { webhookId: string; notificationId?: number | null; payload: Record<string, unknown>; nextAttemptAt: Date }[],
): Promise<void> {
  if (rows.length > 0) await tx.insert(webhookDeliveries).values([...rows]);
}

export interface NotificationQuery {
  userId: string;
  unreadOnly?: boolean;
  /** Cursor: the id of the last notification of the previous page (newest first). */
  before?: number;
  limit: number;
}

export async function listNotifications(tx: Db | Tx, q: NotificationQuery): Promise<(NotificationRow & { caseNumber: string | null })[]> {
  const conditions: (SQL | undefined)[] = [eq(notifications.userId, q.userId)];
  if (q.unreadOnly) conditions.push(isNull(notifications.readAt));
  if (q.before !== undefined) conditions.push(lt(notifications.id, q.before));
  // The case's readable number, for people (a notification names its case by number, never by id).
  return tx
    .select({ ...getTableColumns(notifications), caseNumber: sql<string | null>`(select c.case_number from cases c where c.id = ${notifications.caseId})` })
    .from(notifications)
    .where(and(...conditions))
    .orderBy(desc(notifications.id))
    .limit(q.limit);
}

/** How many of the user's notifications are unread: one count over notifications_user_idx (user_id leads it). */
export async function countUnreadNotifications(tx: Db | Tx, userId: string): Promise<number> {
  const [row] = await tx
    .select({ n: sql<number>`count(*)::int` })
    .from(notifications)
    .where(and(eq(notifications.userId, userId), isNull(notifications.readAt)));
  return Number(row?.n ?? 0);
}

/** Marks one of the user's notifications read; false when it is not theirs or does not exist. */
export async function markNotificationRead(tx: Db | Tx, userId: string, id: number, at: Date): Promise<boolean> {
  const updated = await tx
    .update(notifications)
    // postgres.js does not serialize a raw Date inside a sql`` fragment: pass it as an ISO string with a cast.
    .set({ readAt: sql`coalesce(${notifications.readAt}, ${at.toISOString()}::timestamptz)` })
    .where(and(eq(notifications.id, id), eq(notifications.userId, userId)))
    .returning({ id: notifications.id });
  return updated.length === 1;
}

