// Counts behind the metrics that every process shares (src/metrics.ts): due and failed timers, the webhook outbox.
import { sql } from 'drizzle-orm';
import type { Db } from './types.js';

export async function operationalCounts(db: Db, now: Date) {
  const at = now.toISOString();
  type Row = { due: string | number; failed: string | number; oldest: string | number | null; pending: string | number; given_up: string | number };
  const result: unknown = await db.execute(sql`
    select
      (select count(*) from timers where status = 'pending' and due_at <= ${at}::timestamptz) as due,
      (select count(*) from timers where status = 'failed') as failed,
      (select extract(epoch from (${at}::timestamptz - min(due_at))) from timers where status = 'pending' and due_at <= ${at}::timestamptz) as oldest,
      (select count(*) from webhook_deliveries where status = 'pending') as pending,
      (select count(*) from webhook_deliveries where status = 'failed') as given_up`);
  // postgres.js answers an array of rows, PGlite an object with rows.
  const rows = (Array.isArray(result) ? result : (result as { rows: Row[] }).rows) as Row[];
  const r = rows[0];
  return {
    timersDue: Number(r.due),
    timersFailed: Number(r.failed),
    oldestDueSeconds: Math.max(0, Number(r.oldest ?? 0)),
    outboxPending: Number(r.pending),
    outboxFailed: Number(r.given_up),
  };
}
