// Migration 0010_resident_enrolments_backfill on data written before it: the open cases' people are enrolled,
// the earliest-opened case keeping a person the old check let into two; screened-out, rejected and exited cases
// enrol nobody; exited cases stored with closed = false are closed.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { createDb, type DbHandle } from '../../src/db/client.js';
import { migrate, MIGRATIONS_FOLDER } from '../../src/db/migrate.js';
import { rows } from '../../src/db/types.js';
import { createTestDatabaseUrl, testDbKind } from '../helpers/db.js';

const BEFORE = '0008_overdue_index_only';

describe(`resident enrolments backfill (${testDbKind()})`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'doudi-mig-'));
  let handle: DbHandle | undefined;
  let drop = async () => {};
  afterAll(async () => {
    await handle?.close();
    await drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('enrols the people of open cases, first case first, and closes exited cases', async () => {
    // The migrations as they were before resident_enrolments.
    const old = join(dir, 'migrations');
    cpSync(MIGRATIONS_FOLDER, old, { recursive: true });
    const journal = JSON.parse(readFileSync(join(old, 'meta', '_journal.json'), 'utf8'));
    const at = journal.entries.findIndex((e: { tag: string }) => e.tag === BEFORE);
    journal.entries = journal.entries.slice(0, at + 1);
    writeFileSync(join(old, 'meta', '_journal.json'), JSON.stringify(journal));

    const created = await createTestDatabaseUrl();
    drop = created.drop;
    handle = await createDb(created.url ? { databaseUrl: created.url, dataDir: 'unused', maxConnections: 2 } : { dataDir: 'memory://' });
    await migrate(handle, old);

    const P = '411282194702100112';
    const Q = '411282194503070012';
    const R = '411282194001010017';
    const S = '411282198001010010';
    const legacy: [string, string, string, boolean, string, string][] = [
      // case id suffix, state, person, closed, opened at, household id suffix
      ['1', 'review', P, false, '2026-01-01T00:00:00Z', '1'],
      ['2', 'survey', P, false, '2026-01-02T00:00:00Z', '2'],
      ['3', 'rejected.awaitingRefusalNotice', Q, false, '2026-01-01T00:00:00Z', '3'],
      ['4', 'exited', R, false, '2026-01-01T00:00:00Z', '4'],
      ['5', 'screenedOut', S, false, '2026-01-01T00:00:00Z', '5'],
    ];
    for (const [c, state, person, closed, openedAt, h] of legacy) {
      const hid = `00000000-0000-4000-8000-00000000000${h}`;
      const cid = `00000000-0000-4000-9000-00000000000${c}`;
      await handle.db.execute(sql`insert into households (id, village_code, address, created_by) values (${hid}::uuid, '411282108201', 'x', gen_random_uuid())`);
      await handle.db.execute(sql`insert into members (household_id, position, name, id_number, birth_date, sex, relation, labour_capacity)
        values (${hid}::uuid, 1, '某', ${person}, '1947-02-10', 'male', '户主', 'none')`);
      await handle.db.execute(sql`insert into cases (id, household_id, machine_id, machine_version, snapshot, state, village_code, township_code, county_code, opened_at, closed)
        values (${cid}::uuid, ${hid}::uuid, 'case', 1, '{}'::jsonb, ${state}, '411282108201', '411282108', '411282', ${openedAt}::timestamptz, ${closed})`);
    }

    await migrate(handle);
    const enrolled = rows<{ id_number: string; case_id: string }>(await handle.db.execute(sql`select id_number, case_id::text from resident_enrolments order by id_number`));
    expect(enrolled).toEqual([{ id_number: P, case_id: '00000000-0000-4000-9000-000000000001' }]);
    const closed = rows<{ state: string; closed: boolean }>(await handle.db.execute(sql`select state, closed from cases order by id`));
    expect(closed.map((c) => [c.state, c.closed])).toEqual([
      ['review', false], ['survey', false], ['rejected.awaitingRefusalNotice', false], ['exited', true], ['screenedOut', false],
    ]);
  });
});
