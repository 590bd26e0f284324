// The owner role migrates, the runtime role runs the service (DATABASE_MIGRATION_URL + DATABASE_URL): the runtime
// role can do everything a command needs, and nothing that rewrites the audit trail — no UPDATE, DELETE or
// TRUNCATE on it, and, owning nothing, no DROP, ALTER … DISABLE TRIGGER or DROP TRIGGER. PostgreSQL only: PGlite
// has one user and no roles to separate.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { writeCheckpoint } from '../../src/db/checkpoints.js';
import { grantRuntimeRole } from '../../src/db/roles.js';
import { createRoleTestDb, testDbKind } from '../helpers/db.js';
import { startService, sunSurvey, type TestService } from '../helpers/service.js';

type RoleDb = Awaited<ReturnType<typeof createRoleTestDb>>;

/** The SQLSTATE and message a statement fails with (drizzle wraps the driver's error). */
async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    const e = error as { message: string; cause?: { message?: string; code?: string } };
    return `${e.cause?.code ?? ''} ${e.cause?.message ?? e.message}`;
  }
  throw new Error('expected the statement to be refused');
}

describe.skipIf(testDbKind() !== 'postgres')('database roles: owner migrates, runtime runs (postgres)', () => {
  let s: TestService;
  let db: RoleDb;
  let caseId: string;

  beforeAll(async () => {
    s = await startService({
      createDatabase: async () => {
        db = await createRoleTestDb();
        return db;
      },
    });
    // The normal command path, as the runtime role: a survey opens a case, an event moves it.
    const created = await s.as('enumerator', 'POST', '/households', sunSurvey());
    expect(created.status).toBe(201);
    caseId = created.body.caseId;
    const submitted = await s.as('enumerator', 'POST', `/cases/${caseId}/events`, { type: 'SUBMIT_SURVEY' });
    expect(submitted.status).toBe(200);
    expect(submitted.body.state).toBe('preliminary');
  });
  afterAll(async () => {
    await s?.close();
  });

  it('runs as the runtime role, which owns nothing and is no superuser', async () => {
    const [me] = (await s.database.db.execute(sql`select current_user as who, (select rolsuper from pg_roles where rolname = current_user) as su,
      (select count(*)::int from pg_class where relowner = (select oid from pg_roles where rolname = current_user)) as owned`)) as unknown as { who: string; su: boolean; owned: number }[];
    expect(me).toEqual({ who: db.roles.runtime, su: false, owned: 0 });
    const [owner] = (await db.owner.db.execute(sql`select tableowner from pg_tables where tablename = 'audit_records'`)) as unknown as { tableowner: string }[];
    expect(owner.tableowner).toBe(db.roles.owner);
  });

  it('keeps the command path working: the audit trail grows and verifies', async () => {
    const verify = await s.as('supervisor', 'GET', `/cases/${caseId}/audit/verify`);
    expect(verify.body).toEqual({ ok: true, count: 2 });
    // Timers, the idempotency table, notifications: ordinary tables keep UPDATE and DELETE.
    const [privs] = (await s.database.db.execute(sql`select has_table_privilege('timers', 'UPDATE') and has_table_privilege('timers', 'DELETE')
      and has_table_privilege('cases', 'UPDATE') as ok`)) as unknown as { ok: boolean }[];
    expect(privs.ok).toBe(true);
  });

  it('refuses UPDATE, DELETE and TRUNCATE on the audit trail to the runtime role', async () => {
    const run = s.database.db;
    expect(await refusal(run.execute(sql`update audit_records set actor_role = 'x'`))).toMatch(/42501 permission denied for table audit_records/);
    expect(await refusal(run.execute(sql`delete from audit_records where case_id = ${caseId}`))).toMatch(/42501 permission denied/);
    expect(await refusal(run.execute(sql`truncate audit_records`))).toMatch(/42501 permission denied/);
    expect(await refusal(run.execute(sql`truncate audit_records, cases cascade`))).toMatch(/42501 permission denied/);
  });

  it('signs people in as the runtime role; the security log is append-only to it', async () => {
    const created = await s.as('admin', 'POST', '/users', { username: 'role-clerk', displayName: '某某', roles: ['officer'], jurisdiction: '411282' });
    expect(created.status).toBe(201);
    const wrong = await s.app.inject({ method: 'POST', url: '/auth/token', payload: { username: 'role-clerk', password: 'not-the-password-1' } });
    expect(wrong.statusCode).toBe(401); // counted in rate_limit_hits, recorded in security_log
    const signedIn = await s.app.inject({ method: 'POST', url: '/auth/sign-in', payload: { username: 'role-clerk', password: created.body.initialPassword } });
    expect(signedIn.statusCode).toBe(200); // a sessions row; the counts given back
    const run = s.database.db;
    expect(await refusal(run.execute(sql`update security_log set action = 'sign_out'`))).toMatch(/42501 permission denied for table security_log/);
    expect(await refusal(run.execute(sql`delete from security_log`))).toMatch(/42501 permission denied/);
    expect(await refusal(run.execute(sql`truncate security_log`))).toMatch(/42501 permission denied/);
  });

  it('refuses DROP TABLE, DISABLE TRIGGER and DROP TRIGGER: the runtime role is not the owner', async () => {
    const run = s.database.db;
    expect(await refusal(run.execute(sql`alter table audit_records disable trigger audit_records_append_only`))).toMatch(/42501 must be owner of table audit_records/);
    expect(await refusal(run.execute(sql`alter table audit_records disable trigger all`))).toMatch(/42501 must be owner/);
    expect(await refusal(run.execute(sql`drop trigger audit_records_no_truncate on audit_records`))).toMatch(/42501 must be owner/);
    expect(await refusal(run.execute(sql`drop table audit_records cascade`))).toMatch(/42501 must be owner/);
    expect(await refusal(run.execute(sql`drop function audit_records_refuse_change() cascade`))).toMatch(/42501 must be owner/);
    expect(await refusal(run.execute(sql`create table sneaky (id int)`))).toMatch(/42501 permission denied for schema public/);
    const verify = await s.as('supervisor', 'GET', `/cases/${caseId}/audit/verify`);
    expect(verify.body).toEqual({ ok: true, count: 2 });
  });

  it('gives tables a later migration creates sensible rights: ordinary ones at once, append-only ones INSERT and SELECT', async () => {
    // What a later migration (as the owner) does: an ordinary table, and an append-only one.
    await db.owner.db.execute(sql`create table later_things (id serial primary key, note text)`);
    await db.owner.db.execute(sql`create table later_journal (id bigserial primary key, what text)`);
    await db.owner.db.execute(sql`create trigger later_journal_append_only before update or delete on later_journal
      for each row execute function append_only_refuse_change()`);
    const run = s.database.db;
    // Default privileges: usable by the runtime role without any grant statement.
    await run.execute(sql`insert into later_things (note) values ('a')`);
    await run.execute(sql`update later_things set note = 'b'`);
    await run.execute(sql`delete from later_things`);

    // The grant step that ends every migration run narrows the append-only ones.
    expect((await grantRuntimeRole(db.owner.db, db.roles.runtime)).appendOnly).toEqual(
      ['audit_checkpoint_heads', 'audit_checkpoints', 'audit_records', 'export_log', 'issued_documents', 'later_journal', 'security_log', 'setting_history'],
    );
    await run.execute(sql`insert into later_journal (what) values ('sign-in')`);
    expect(((await run.execute(sql`select count(*)::int as n from later_journal`)) as unknown as { n: number }[])[0].n).toBe(1);
    for (const [table, column] of [['security_log', 'seq'], ['later_journal', 'id'], ['audit_checkpoints', 'id'], ['setting_history', 'id']]) {
      expect(await refusal(run.execute(sql.raw(`update ${table} set ${column} = ${column}`)))).toMatch(/42501 permission denied/);
      expect(await refusal(run.execute(sql.raw(`delete from ${table}`)))).toMatch(/42501 permission denied/);
      expect(await refusal(run.execute(sql.raw(`truncate ${table}`)))).toMatch(/42501 permission denied/);
    }
    await run.execute(sql`insert into later_things (note) values ('c')`); // ordinary tables untouched
  });

  it('lets the runtime role (the workers) seal a checkpoint, which it then cannot remove', async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const cp = await writeCheckpoint(s.database.db, { privateKey, now: new Date('2026-03-02T02:00:00Z') });
    expect(cp).toMatchObject({ id: 1, caseCount: 1 });
    expect(await refusal(s.database.db.execute(sql`delete from audit_checkpoints`))).toMatch(/42501 permission denied/);
    expect(await refusal(s.database.db.execute(sql`update audit_checkpoint_heads set seq = 9`))).toMatch(/42501 permission denied/);
  });

  it('refuses a runtime role that would keep the owner’s rights', async () => {
    await expect(grantRuntimeRole(db.owner.db, db.roles.owner.replace('own', 'nobody'))).rejects.toThrow(/does not exist/);
    await expect(grantRuntimeRole(db.owner.db, db.roles.owner)).rejects.toThrow(/member of the migration role/);
    await expect(grantRuntimeRole(db.owner.db, 'postgres')).rejects.toThrow(/superuser/);
  });
});
