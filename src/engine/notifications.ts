/**
 * The in-app inbox of reminders (通知): each user reads and marks only their own. Notifications are written by
 * the timer worker (plan/firing.ts), one per responsible user and reminder; here they are only read.
 */
import { countUnreadNotifications, listNotifications, markNotificationRead, type NotificationRow } from '../db/index.js';
import { isUuid } from '../db/uuid.js';
import { errors } from '../errors.js';
import { maskDeep } from './identity.js';
import type { EngineDeps, Principal } from './types.js';

export function notificationView(n: NotificationRow & { caseNumber?: string | null }) {
  // No notification should carry an ID number; should one (free text), it is masked for everyone.
  return maskDeep({
    id: n.id,
    kind: n.kind,
    title: n.title,
    body: n.body,
    caseId: n.caseId,
    caseNumber: n.caseNumber ?? null,
    data: n.data,
    createdAt: n.createdAt.toISOString(),
    readAt: n.readAt?.toISOString() ?? null,
  });
}

export type NotificationView = ReturnType<typeof notificationView>;

export function createNotificationQueries(deps: EngineDeps) {
  const { db, clock } = deps;

  /** The caller's notifications, newest first; pass `nextBefore` as `before` for the next page. */
  async function notifications(principal: Principal, q: { unread?: boolean; before?: number; limit: number }) {
    // Only users stored in the database receive notifications (the `system` principal is not one).
    if (!isUuid(principal.id)) return { items: [] as NotificationView[], nextBefore: null };
    const rows = await listNotifications(db, { userId: principal.id, unreadOnly: q.unread, before: q.before, limit: q.limit + 1 });
    const page = rows.slice(0, q.limit);
    return { items: page.map(notificationView), nextBefore: rows.length > q.limit ? page[page.length - 1].id : null };
  }

  /** Marks one of the caller's notifications read (again: no change). Anyone else's, or none, is NOT_FOUND. */
  async function readNotification(principal: Principal, id: number): Promise<void> {
    if (!isUuid(principal.id) || !(await markNotificationRead(db, principal.id, id, clock.now()))) {
      throw errors.notFound(`No notification ${id}`);
    }
  }

  /** How many of the caller's notifications are unread (the console's menu badge). */
  async function unreadNotificationCount(principal: Principal): Promise<number> {
    if (!isUuid(principal.id)) return 0;
    return countUnreadNotifications(db, principal.id);
  }

  return { notifications, readNotification, unreadNotificationCount };
}

export type NotificationQueries = ReturnType<typeof createNotificationQueries>;
