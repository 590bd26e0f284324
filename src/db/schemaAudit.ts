// Signed audit checkpoints (src/audit/checkpoint.ts, src/db/checkpoints.ts). Re-exported by schema.ts so that
// drizzle-kit and the client see one schema. Both tables are append-only (trigger append_only_refuse_change,
// and only INSERT and SELECT for the runtime role: src/db/roles.ts).
//
// Glossary
//   checkpoint   the audit heads of every case — (case id, audit_seq, audit_head) — at one moment, committed to by
//                `root` (SHA-256 over the sorted rows, src/audit/checkpoint.ts) and signed with an Ed25519 key held
//                outside the database. A chain rewritten afterwards (even with its hashes recomputed) no longer
//                ends at the head the checkpoint signed.
//   heads        the rows behind a checkpoint, stored as a delta: a checkpoint stores only the cases whose head
//                changed since its base (the checkpoint before it); the full list of checkpoint N is, per case, the
//                newest row with checkpoint_id ≤ N. `base_id` is unique, so the checkpoints form one line.
import { sql } from 'drizzle-orm';
import { bigint, char, check, integer, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';

const tstz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const auditCheckpoints = pgTable(
  'audit_checkpoints',
  {
    // Taken from audit_checkpoints_id_seq before the heads are written (they name it).
    id: bigint('id', { mode: 'number' }).primaryKey(),
    // The checkpoint this one is a delta of; 0 for the first.
    baseId: bigint('base_id', { mode: 'number' }).notNull().unique('audit_checkpoints_base_unique'),
    // The sealing time (the service clock), part of what is signed.
    createdAt: tstz('created_at').notNull(),
    caseCount: bigint('case_count', { mode: 'number' }).notNull(),
    changedCount: integer('changed_count').notNull(),
    root: char('root', { length: 64 }).notNull(),
    // SHA-256 (hex) of the public key (SPKI DER): which key signed.
    keyId: char('key_id', { length: 64 }).notNull(),
    // Ed25519 signature (base64) of the canonical JSON of { v, id, baseId, createdAt, caseCount, root, keyId }.
    signature: text('signature').notNull(),
  },
  (t) => [
    check('audit_checkpoints_root_check', sql`${t.root} ~ '^[0-9a-f]{64}$'`),
    check('audit_checkpoints_base_check', sql`${t.baseId} >= 0 and ${t.baseId} < ${t.id}`),
  ],
);

export const auditCheckpointHeads = pgTable(
  'audit_checkpoint_heads',
  {
    checkpointId: bigint('checkpoint_id', { mode: 'number' }).notNull(),
    caseId: uuid('case_id').notNull(),
    seq: integer('seq').notNull(),
    head: char('head', { length: 64 }),
  },
  // (case, checkpoint): "the newest row of this case at or before checkpoint N" is one index probe.
  (t) => [primaryKey({ name: 'audit_checkpoint_heads_pk', columns: [t.caseId, t.checkpointId] })],
);

export type AuditCheckpointRow = typeof auditCheckpoints.$inferSelect;
