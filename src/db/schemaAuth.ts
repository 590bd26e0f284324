// Tables of sign-in (issue: sign-in, people and permissions): browser sessions, the security log and the
// sign-in failure counters. Re-exported by schema.ts so that drizzle-kit and the client see one schema.
//
// Glossary
//   session        a signed-in browser (console): the cookie holds a random secret, the row only its SHA-256,
//                  so a copy of the table signs nobody in. Ends at `expires_at`, or after the idle timeout since
//                  `last_seen_at`, or at sign-out.
//   security log   安全日志: who changed which account or signed in, when, from which address. Append-only and
//                  hash-chained like the case audit (one chain for the whole table).
//   rate-limit hit a counter of failed sign-ins per account or per address within a window (the store behind
//                  @fastify/rate-limit), shared by every process through the database.
import { sql } from 'drizzle-orm';
import { bigserial, check, index, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { users } from './schema.js';

const tstz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const sessions = pgTable(
  'sessions',
  {
    idHash: text('id_hash').primaryKey(),
    userId: uuid('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    createdAt: tstz('created_at').notNull(),
    lastSeenAt: tstz('last_seen_at').notNull(),
    expiresAt: tstz('expires_at').notNull(),
    // Secret of this session's CSRF tokens (@fastify/csrf): a form posted from another site cannot know it.
    csrfSecret: text('csrf_secret').notNull(),
    ip: text('ip'),
  },
  (t) => [index('sessions_user_idx').on(t.userId), index('sessions_expires_idx').on(t.expiresAt)],
);

export const SECURITY_ACTIONS = [
  'user.created',
  'user.updated',
  'user.deactivated',
  'user.reactivated',
  'user.password_reset',
  'user.password_changed',
  'sign_in.succeeded',
  'sign_in.failed',
  'sign_in.locked',
  'sign_out',
  'token.issued',
] as const;
export type SecurityAction = (typeof SECURITY_ACTIONS)[number];

export const securityLog = pgTable(
  'security_log',
  {
    seq: bigserial('seq', { mode: 'number' }).primaryKey(),
    at: tstz('at').notNull(),
    action: text('action').$type<SecurityAction>().notNull(),
    // Who acted (null for an unknown username at sign-in); the username is kept as it was then.
    actorId: uuid('actor_id'),
    actorUsername: text('actor_username'),
    // Whose account it is about.
    subjectId: uuid('subject_id'),
    subjectUsername: text('subject_username'),
    // The region prefix the entry belongs to (the subject's jurisdiction): an admin reads the entries inside theirs.
    scope: text('scope').notNull(),
    ip: text('ip'),
    requestId: text('request_id'),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
  },
  (t) => [
    check('security_log_action_check', sql.raw(`action in (${SECURITY_ACTIONS.map((a) => `'${a}'`).join(', ')})`)),
    index('security_log_scope_idx').on(t.scope, t.seq),
    index('security_log_subject_idx').on(t.subjectId, t.seq),
  ],
);

export const rateLimitHits = pgTable('rate_limit_hits', {
  key: text('key').primaryKey(),
  hits: integer('hits').notNull(),
  windowStart: tstz('window_start').notNull(),
  windowMs: integer('window_ms').notNull(),
});

export type SessionRow = typeof sessions.$inferSelect;
export type SecurityLogRow = typeof securityLog.$inferSelect;
