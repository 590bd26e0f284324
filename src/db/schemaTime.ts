// Tables of time (issue: deadlines, durable timers and reminders): the working-day calendar, policy settings,
// durable timers, in-app notifications, webhooks and their delivery outbox. Re-exported by schema.ts so that
// drizzle-kit and the client see one schema.
//
// Glossary
//   calendar day   a public holiday (法定节假日) or a make-up working day (调休上班); weekends are implied.
//   timer          a row that makes something happen at `due_at`: the end of a notice period, a revisit reminder,
//                  an overdue notice, an escalation. Written in the transaction of the transition that needs it,
//                  cancelled in the transaction of the transition that makes it moot, and fired by a worker in
//                  one transaction with its effect — so each effect happens exactly once.
//   notification   an in-app inbox entry for one user; each one may fan out to webhook deliveries (outbox).
import { sql } from 'drizzle-orm';
import { bigint, bigserial, boolean, check, date, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { cases, users } from './schema.js';

const tstz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const TIMER_KINDS = ['notice_end', 'revisit_reminder', 'overdue', 'escalation', 'agreement_renewal'] as const;
export type TimerKind = (typeof TIMER_KINDS)[number];
export const TIMER_STATUSES = ['pending', 'done', 'cancelled', 'failed'] as const;
export type TimerStatus = (typeof TIMER_STATUSES)[number];

export const calendarDays = pgTable(
  'calendar_days',
  {
    date: date('date', { mode: 'string' }).primaryKey(),
    kind: text('kind').$type<'holiday' | 'workday'>().notNull(),
    name: text('name').notNull().default(''),
    year: integer('year').notNull(),
  },
  (t) => [
    index('calendar_days_year_idx').on(t.year),
    check('calendar_days_kind_check', sql`${t.kind} in ('holiday', 'workday')`),
    check('calendar_days_year_check', sql`${t.year} = extract(year from ${t.date})`),
  ],
);

/** The scope a stored setting applies to: 'global', a province (2 digits), a city (4) or a county (6). */
const scopeCheck = (col: unknown) => sql`${col} = 'global' or ${col} ~ '^([0-9]{2}|[0-9]{4}|[0-9]{6})$'`;

/**
 * Policy settings an admin changes at run time (e.g. `deadlines`), one JSON value per key and scope. `version`
 * counts the changes of one (key, scope): a change names the version it replaces (If-Match), so two admins
 * changing the same scope at once cannot both win.
 */
export const settings = pgTable(
  'settings',
  {
    key: text('key').notNull(),
    scope: text('scope').notNull().default('global'),
    value: jsonb('value').$type<unknown>().notNull(),
    version: integer('version').notNull().default(1),
    updatedBy: text('updated_by').notNull(),
    updatedAt: tstz('updated_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.key, t.scope], name: 'settings_key_scope_pk' }), check('settings_scope_check', scopeCheck(t.scope))],
);

/**
 * One row per loaded calendar year: its scope (the working-day calendar is national: 'global' only) and the
 * version of its last load, so that two admins loading a year at once cannot both win.
 */
export const calendarYears = pgTable(
  'calendar_years',
  {
    year: integer('year').primaryKey(),
    scope: text('scope').notNull().default('global'),
    version: integer('version').notNull().default(1),
    updatedBy: text('updated_by').notNull(),
    updatedAt: tstz('updated_at').notNull().defaultNow(),
  },
  (t) => [check('calendar_years_scope_check', sql`${t.scope} = 'global'`)],
);

export const timers = pgTable(
  'timers',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    caseId: uuid('case_id')
      .notNull()
      .references(() => cases.id),
    kind: text('kind').$type<TimerKind>().notNull(),
    // Identifies what the timer is for within its case (kind, step and deadline): a timer that already fired is
    // never planned again for the same key, and a live one is never planned twice.
    key: text('key').notNull(),
    dueAt: tstz('due_at').notNull(),
    // What the timer is about, e.g. { step: 'review.township', deadlineAt } for an overdue notice.
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    status: text('status').$type<TimerStatus>().notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    // What firing it did: 'sent', 'refused: OPEN_OBJECTION', ...
    outcome: text('outcome'),
    createdAt: tstz('created_at').notNull().defaultNow(),
    firedAt: tstz('fired_at'),
  },
  (t) => [
    // The workers' claim query: pending timers by due time.
    index('timers_due_idx').on(t.dueAt, t.id).where(sql`${t.status} = 'pending'`),
    // Admins' list of timers that failed for good (GET /timers?status=failed), by id.
    index('timers_failed_idx').on(t.id).where(sql`${t.status} = 'failed'`),
    uniqueIndex('timers_case_key_idx').on(t.caseId, t.key).where(sql`${t.status} <> 'cancelled'`),
    check('timers_kind_check', sql`${t.kind} in ('notice_end', 'revisit_reminder', 'overdue', 'escalation', 'agreement_renewal')`),
    check('timers_status_check', sql`${t.status} in ('pending', 'done', 'cancelled', 'failed')`),
  ],
);

export const notifications = pgTable(
  'notifications',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id),
    caseId: uuid('case_id').references(() => cases.id),
    // The timer whose firing created it (null for notifications made by a command).
    timerId: bigint('timer_id', { mode: 'number' }),
    kind: text('kind').notNull(),
    title: text('title').notNull(),
    body: text('body').notNull().default(''),
    data: jsonb('data').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    createdAt: tstz('created_at').notNull().defaultNow(),
    readAt: tstz('read_at'),
  },
  (t) => [
    index('notifications_user_idx').on(t.userId, t.createdAt, t.id),
    index('notifications_timer_idx').on(t.timerId),
  ],
);

export const webhooks = pgTable(
  'webhooks',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    // Notifications about cases whose village code starts with this prefix are delivered here.
    regionPrefix: text('region_prefix').notNull(),
    url: text('url').notNull(),
    // HMAC-SHA256 key for the X-Doudi-Signature header; shown once at registration.
    secret: text('secret').notNull(),
    active: boolean('active').notNull().default(true),
    createdBy: text('created_by').notNull(),
    createdAt: tstz('created_at').notNull().defaultNow(),
  },
  (t) => [check('webhooks_region_prefix_check', sql`${t.regionPrefix} ~ '^[0-9]{2,12}$'`)],
);

export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    webhookId: uuid('webhook_id')
      .notNull()
      .references(() => webhooks.id),
    notificationId: bigint('notification_id', { mode: 'number' }).references(() => notifications.id),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    status: text('status').$type<'pending' | 'delivered' | 'failed'>().notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: tstz('next_attempt_at').notNull().defaultNow(),
    // A delivery in flight is leased, so a second worker does not post it at the same time.
    lockedUntil: tstz('locked_until'),
    lastStatusCode: integer('last_status_code'),
    lastError: text('last_error'),
    createdAt: tstz('created_at').notNull().defaultNow(),
    deliveredAt: tstz('delivered_at'),
  },
  (t) => [
    index('webhook_deliveries_due_idx').on(t.nextAttemptAt, t.id).where(sql`${t.status} = 'pending'`),
    index('webhook_deliveries_webhook_idx').on(t.webhookId, t.createdAt),
    check('webhook_deliveries_status_check', sql`${t.status} in ('pending', 'delivered', 'failed')`),
  ],
);

export type CalendarDayRow = typeof calendarDays.$inferSelect;
export type CalendarYearRow = typeof calendarYears.$inferSelect;
export type TimerRow = typeof timers.$inferSelect;
export type NewTimer = typeof timers.$inferInsert;
export type NotificationRow = typeof notifications.$inferSelect;
export type NewNotification = typeof notifications.$inferInsert;
export type WebhookRow = typeof webhooks.$inferSelect;
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
