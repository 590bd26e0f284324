// Migration 0016_case_numbers on data written before it: the cases are numbered per county and per year of their
// opening in China time (Asia/Shanghai), in the order they were opened (then by id), the counters are set to the
// last number given, and the next case of a county takes the number after them.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { createDb, type DbHandle } from '../../src/db/client.js';
import { takeCaseNumber } from '../../src/db/cases.js';
import { migrate, MIGRATIONS_FOLDER } from '../../src/db/migrate.js';
import { rows } from '../../src/db/types.js';
import { createTestDatabaseUrl, testDbKind } from '../helpers/db.js';

const BEFORE = '0015_append_only_checkpoints';

describe(`case numbers backfill (${testDbKind()})`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'doudi-mig-'));
  let handle: DbHandle | undefined;
  let drop = async () => {};
  afterAll(async () => {
    await handle?.close();
    await drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('numbers the cases opened before it, per county and China-time year, and sets the counters', async () => {
    const old = join(dir, 'migrations');
    cpSync(MIGRATIONS_FOLDER, old, { recursive: true });
    const journal = JSON.parse(readFileSync(join(old, 'meta', '_journal.json'), 'utf8'));
    const at = journal.entries.findIndex((e: { tag: string }) => e.tag === BEFORE);
    expect(at).toBeGreaterThanOrEqual(0);
    journal.entries = journal.entries.slice(0, at + 1);
    writeFileSync(join(old, 'meta', '_journal.json'), JSON.stringify(journal));

    const created = await createTestDatabaseUrl();
    drop = created.drop;
    handle = await createDb(created.url ? { databaseUrl: created.url, dataDir: 'unused', maxConnections: 2 } : { dataDir: 'memory://' });
    await migrate(handle, old);

    const LB = '411282108201'; // 灵宝市
    const MC = '411221100201'; // 渑池县
    const legacy: [string, string, string][] = [
      // case id suffix, village, opened at (UTC)
      ['1', LB, '2025-06-01T00:00:00Z'],
      ['2', LB, '2025-12-31T15:59:59Z'], // 23:59:59 on 31 December in China: still 2025
      ['3', LB, '2025-12-31T16:00:00Z'], // 00:00 on 1 January in China: 2026
      ['5', LB, '2026-03-01T00:00:00Z'],
      ['4', LB, '2026-03-01T00:00:00Z'], // the same instant as 5: the id decides
      ['6', MC, '2026-02-01T00:00:00Z'],
      ['7', LB, '2025-01-01T00:00:00Z'], // inserted last, opened first
    ];
    for (const [c, village, openedAt] of legacy) {
      const hid = `00000000-0000-4000-8000-00000000000${c}`;
      const cid = `00000000-0000-4000-9000-00000000000${c}`;
      await handle.db.execute(sql`insert into households (id, village_code, address, created_by) values (${hid}::uuid, ${village}, 'x', gen_random_uuid())`);
      await handle.db.execute(sql`insert into cases (id, household_id, machine_id, machine_version, snapshot, state, village_code, township_code, county_code, opened_at)
        values (${cid}::uuid, ${hid}::uuid, 'case', 1, '{}'::jsonb, 'survey', ${village}, ${village.slice(0, 9)}, ${village.slice(0, 6)}, ${openedAt}::timestamptz)`);
    }

    await migrate(handle);
    const numbered = rows<{ id: string; case_number: string }>(await handle.db.execute(sql`select id::text, case_number from cases order by id`));
    expect(Object.fromEntries(numbered.map((r) => [r.id.slice(-1), r.case_number]))).toEqual({
      '7': '411282-2025-000001',
      '1': '411282-2025-000002',
      '2': '411282-2025-000003',
      '3': '411282-2026-000001',
      '4': '411282-2026-000002',
      '5': '411282-2026-000003',
      '6': '411221-2026-000001',
    });
    const counters = rows<{ county_code: string; year: number; last: number }>(
      await handle.db.execute(sql`select county_code, year, last from case_number_counters order by county_code, year`),
    );
    expect(counters.map((k) => [k.county_code, Number(k.year), Number(k.last)])).toEqual([
      ['411221', 2026, 1],
      ['411282', 2025, 3],
      ['411282', 2026, 3],
    ]);
    // The column is NOT NULL now, and the next number follows the backfilled ones.
    await expect(handle.db.execute(sql`update cases set case_number = null where id = '00000000-0000-4000-9000-000000000001'`)).rejects.toThrow();
    expect(await takeCaseNumber(handle.db, '411282', new Date('2026-05-01T00:00:00Z'))).toBe('411282-2026-000004');
    expect(await takeCaseNumber(handle.db, '411221', new Date('2027-05-01T00:00:00Z'))).toBe('411221-2027-000001');
  });
});
