// Two database roles on PostgreSQL: the owner, which runs the migrations (and so owns every table, trigger and
// function), and the runtime role the service and the workers connect as, with only the rights they need.
//
// The runtime role owns nothing, so it cannot ALTER, DROP or DISABLE TRIGGER on anything; it gets SELECT, INSERT,
// UPDATE and DELETE on the tables (never TRUNCATE, REFERENCES or TRIGGER), and on the append-only tables only
// SELECT and INSERT. The grants are applied after every migration run (grantRuntimeRole, called by migrate when
// given a runtime role), and default privileges give a table a later migration creates the same ordinary rights
// at once; an append-only table loses UPDATE and DELETE at the end of the migration run that created it.
//
// With one URL (DATABASE_URL only, or PGlite) nothing here runs: one role does everything, as before.
import { sql } from 'drizzle-orm';
import { rows, type Db, type Tx } from './types.js';

/**
 * The append-only tables: the runtime role may only read and insert. The one list of them; a table is also
 * treated as append-only when a trigger runs one of APPEND_ONLY_TRIGGER_FUNCTIONS on it (so a later migration
 * that protects a table with that function gets the grants right without editing this list). Names that do not
 * exist (yet) are skipped.
 */
export const APPEND_ONLY_TABLES = ['audit_records', 'audit_checkpoints', 'audit_checkpoint_heads', 'security_log', 'export_log', 'issued_documents'] as const;

/** Trigger functions that refuse UPDATE/DELETE/TRUNCATE (migrations 0001 and 0009). */
export const APPEND_ONLY_TRIGGER_FUNCTIONS = ['audit_records_refuse_change', 'append_only_refuse_change'] as const;

/** Privileges the runtime role holds on ordinary tables, and on append-only ones. */
export const RUNTIME_TABLE_PRIVILEGES = ['SELECT', 'INSERT', 'UPDATE', 'DELETE'] as const;
export const APPEND_ONLY_PRIVILEGES = ['SELECT', 'INSERT'] as const;

const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** The SQL grantRuntimeRole runs for `runtime`, given the append-only tables that exist; also shown by `npm run db:roles -- --print`. */
export function runtimeGrantStatements(runtime: string, appendOnly: readonly string[], schema = 'public'): string[] {
  const r = ident(runtime);
  const s = ident(schema);
  const tablePrivs = RUNTIME_TABLE_PRIVILEGES.join(', ');
  return [
    `GRANT USAGE ON SCHEMA ${s} TO ${r}`,
    `REVOKE CREATE ON SCHEMA ${s} FROM ${r}`,
    `GRANT ${tablePrivs} ON ALL TABLES IN SCHEMA ${s} TO ${r}`,
    `REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA ${s} FROM ${r}`,
    `GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${s} TO ${r}`,
    // Tables and sequences the owner creates later (the next migrations) get the same rights at once.
    `ALTER DEFAULT PRIVILEGES IN SCHEMA ${s} GRANT ${tablePrivs} ON TABLES TO ${r}`,
    `ALTER DEFAULT PRIVILEGES IN SCHEMA ${s} GRANT USAGE, SELECT ON SEQUENCES TO ${r}`,
    ...appendOnly.flatMap((t) => [
      `REVOKE ALL ON TABLE ${s}.${ident(t)} FROM ${r}, PUBLIC`,
      `GRANT ${APPEND_ONLY_PRIVILEGES.join(', ')} ON TABLE ${s}.${ident(t)} TO ${r}`,
    ]),
  ];
}

/** The append-only tables that exist: the listed ones and those guarded by an append-only trigger function. */
export async function appendOnlyTables(db: Db | Tx): Promise<string[]> {
  const result = await db.execute(sql`
    select c.relname as name from pg_class c
    where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p')
      and (c.relname = any(${sql.raw(`ARRAY[${APPEND_ONLY_TABLES.map((t) => `'${t}'`).join(', ')}]::text[]`)})
        or exists (select 1 from pg_trigger t join pg_proc p on p.oid = t.tgfoid
                   where t.tgrelid = c.oid and p.proname = any(${sql.raw(`ARRAY[${APPEND_ONLY_TRIGGER_FUNCTIONS.map((f) => `'${f}'`).join(', ')}]::text[]`)})))
    order by 1`);
  return rows<{ name: string }>(result).map((r) => r.name);
}

/**
 * Give `runtime` its rights, as the owner (the role that ran the migrations). Refuses a runtime role that is a
 * superuser or a member of the owner role: it would keep the owner's rights (DROP, DISABLE TRIGGER, TRUNCATE).
 * Idempotent; run after every migration run.
 */
export async function grantRuntimeRole(db: Db, runtime: string): Promise<{ appendOnly: string[] }> {
  const [check] = rows<{ exists: boolean; superuser: boolean; member: boolean }>(
    await db.execute(sql`
      select exists(select 1 from pg_roles where rolname = ${runtime}) as exists,
             coalesce((select rolsuper from pg_roles where rolname = ${runtime}), false) as superuser,
             coalesce((select pg_has_role(${runtime}, current_user, 'MEMBER') from pg_roles where rolname = ${runtime}), false) as member`),
  );
  if (!check?.exists) throw new Error(`the runtime role ${runtime} (the user of DATABASE_URL) does not exist; create it first (README, Database roles)`);
  if (check.superuser) throw new Error(`the runtime role ${runtime} is a superuser: it could rewrite the audit trail; use an ordinary role`);
  if (check.member) throw new Error(`the runtime role ${runtime} is a member of the migration role: it would have the owner's rights`);
  // One transaction: the rights change all at once.
  return db.transaction(async (tx) => {
    const appendOnly = await appendOnlyTables(tx);
    for (const statement of runtimeGrantStatements(runtime, appendOnly)) await tx.execute(sql.raw(statement));
    return { appendOnly };
  });
}

/** The user name a postgres:// URL connects as ('' when it names none). */
export function userOfUrl(url: string): string {
  try {
    return decodeURIComponent(new URL(url).username);
  } catch {
    return '';
  }
}
