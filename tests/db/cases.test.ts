import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listCases } from '../../src/db/caseList.js';
import { findCase, findOpenCaseByIdNumbers, lockCase, updateCase, insertCase } from '../../src/db/cases.js';
import { updateMemberCategories } from '../../src/db/households.js';
import { createTestDb, testDbKind, type TestDb } from '../helpers/db.js';
import { member, seedCase, seedEnumerator, seedRegions, VILLAGES } from './fixtures.js';

describe(`cases (${testDbKind()})`, () => {
  let t: TestDb;
  let userId: string;
  beforeAll(async () => {
    t = await createTestDb();
    await seedRegions(t.db);
    userId = (await seedEnumerator(t.db)).id;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('derives township and county codes from the village, starting at row version 1', async () => {
    const { case: row } = await seedCase(t.db, { villageCode: VILLAGES.sunjiagou, createdBy: userId });
    expect(row).toMatchObject({ townshipCode: '411282100', countyCode: '411282', rowVersion: 1, closed: false });
    expect(await findCase(t.db, row.id)).toEqual(row);
    expect(await findCase(t.db, 'not-a-uuid')).toBeNull();
  });

  it('allows one open case per household', async () => {
    const { household } = await seedCase(t.db, { villageCode: VILLAGES.sunjiagou, createdBy: userId });
    await expect(
      insertCase(t.db, {
        householdId: household.id,
        machineId: 'case',
        machineVersion: 1,
        snapshot: {},
        state: 'survey',
        villageCode: VILLAGES.sunjiagou,
      }),
    ).rejects.toThrow();
  });

  describe('updateCase', () => {
    it('writes when the row version matches and bumps it', async () => {
      const { case: row } = await seedCase(t.db, { villageCode: VILLAGES.mingshan, createdBy: userId });
      const deadlineAt = new Date('2026-04-01T16:00:00.000Z');
      const ok = await t.db.transaction(async (tx) => {
        const locked = await lockCase(tx, row.id);
        expect(locked?.rowVersion).toBe(1);
        return updateCase(tx, row.id, { state: 'evaluation', snapshot: { value: 'evaluation' }, deadlineAt }, 1);
      });
      expect(ok).toBe(true);
      expect(await findCase(t.db, row.id)).toMatchObject({
        state: 'evaluation',
        snapshot: { value: 'evaluation' },
        rowVersion: 2,
        deadlineAt,
      });
    });

    it('returns false, writing nothing, when the row version is stale', async () => {
      const { case: row } = await seedCase(t.db, { villageCode: VILLAGES.mingshan, createdBy: userId });
      expect(await updateCase(t.db, row.id, { state: 'preliminary' }, 1)).toBe(true);
      expect(await updateCase(t.db, row.id, { state: 'screenedOut' }, 1)).toBe(false);
      expect(await findCase(t.db, row.id)).toMatchObject({ state: 'preliminary', rowVersion: 2 });
      expect(await updateCase(t.db, '00000000-0000-4000-8000-000000000000', { state: 'x' }, 1)).toBe(false);
    });
  });

  describe('findOpenCaseByIdNumbers', () => {
    it('finds open cases by any member and ignores closed ones', async () => {
      const head = member({ name: '王五' });
      const son = member({ name: '王小五', relation: 'son', birthDate: '1947-03-15' });
      const open = await seedCase(t.db, { villageCode: VILLAGES.lushi, createdBy: userId, members: [head, son] });
      const gone = member({ name: '李四' });
      const closed = await seedCase(t.db, { villageCode: VILLAGES.lushi, createdBy: userId, members: [gone] });
      expect(await updateCase(t.db, closed.case.id, { state: 'exited', closed: true }, 1)).toBe(true);

      const found = await findOpenCaseByIdNumbers(t.db, [son.idNumber, gone.idNumber, '411282194703159999']);
      expect(found).toEqual([{ caseId: open.case.id, idNumber: son.idNumber }]);
      expect(await findOpenCaseByIdNumbers(t.db, [])).toEqual([]);
    });

    it('lets a household open a new case once the old one is closed', async () => {
      const person = member();
      const first = await seedCase(t.db, { villageCode: VILLAGES.lushi, createdBy: userId, members: [person] });
      expect(await updateCase(t.db, first.case.id, { state: 'exited', closed: true }, 1)).toBe(true);
      const second = await insertCase(t.db, {
        householdId: first.household.id,
        machineId: 'case',
        machineVersion: 1,
        snapshot: {},
        state: 'survey',
        villageCode: VILLAGES.lushi,
      });
      expect(await findOpenCaseByIdNumbers(t.db, [person.idNumber])).toEqual([
        { caseId: second.id, idNumber: person.idNumber },
      ]);
    });
  });
});

describe(`listCases (${testDbKind()})`, () => {
  let t: TestDb;
  const ids = { lingbao: [] as string[], lushi: [] as string[] };
  beforeAll(async () => {
    t = await createTestDb();
    await seedRegions(t.db);
    const userId = (await seedEnumerator(t.db)).id;
    for (let i = 0; i < 7; i++) {
      const village = i % 2 === 0 ? VILLAGES.sunjiagou : VILLAGES.mingshan;
      const state = i < 3 ? 'review.township' : i < 5 ? 'review' : 'publicity';
      const { case: row, members } = await seedCase(t.db, { villageCode: village, createdBy: userId, state });
      ids.lingbao.push(row.id);
      if (i === 1 || i === 4) await updateMemberCategories(t.db, members[0].id, ['severe_intellectual', 'elderly']);
    }
    for (let i = 0; i < 3; i++) {
      ids.lushi.push((await seedCase(t.db, { villageCode: VILLAGES.lushi, createdBy: userId, state: 'review' })).case.id);
    }
  });
  afterAll(async () => {
    await t?.close();
  });

  const sorted = (a: string[]) => [...a].sort();

  it('pages through a jurisdiction by id, without gaps or repeats', async () => {
    const seen: string[] = [];
    let after: string | undefined;
    let pages = 0;
    do {
      const page = await listCases(t.db, { jurisdictionPrefix: '411282', limit: 3, after });
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((c) => c.id));
      after = page.nextAfter ?? undefined;
      pages += 1;
    } while (after);
    expect(pages).toBe(3);
    expect(seen).toEqual(sorted(ids.lingbao));
  });

  it('reports no next page when the last page is exactly full', async () => {
    const page = await listCases(t.db, { jurisdictionPrefix: '411224', limit: 3 });
    expect(page.items.map((c) => c.id)).toEqual(sorted(ids.lushi));
    expect(page.nextAfter).toBeNull();
  });

  it('bounds every list by the jurisdiction prefix, at any level', async () => {
    const all = async (jurisdictionPrefix: string, extra: object = {}) =>
      (await listCases(t.db, { jurisdictionPrefix, limit: 100, ...extra })).items.map((c) => c.id);
    expect(await all('4112')).toEqual(sorted([...ids.lingbao, ...ids.lushi]));
    expect(await all('411224')).toEqual(sorted(ids.lushi));
    expect(await all('411282100')).toEqual(sorted(ids.lingbao.filter((_, i) => i % 2 === 0)));
    expect(await all(VILLAGES.mingshan)).toEqual(sorted(ids.lingbao.filter((_, i) => i % 2 === 1)));
    expect(await all('4113')).toEqual([]);
    // A narrower region filter cannot escape the jurisdiction.
    expect(await all('411282', { regionPrefix: '411224' })).toEqual([]);
    expect(await all('4112', { regionPrefix: '411224' })).toEqual(sorted(ids.lushi));
  });

  it('filters by state, a parent state matching its sub-states', async () => {
    const states = async (state: string) =>
      (await listCases(t.db, { jurisdictionPrefix: '411282', state, limit: 100 })).items.map((c) => c.state);
    expect((await states('review')).sort()).toEqual([
      'review',
      'review',
      'review.township',
      'review.township',
      'review.township',
    ]);
    expect(await states('review.township')).toHaveLength(3);
    expect(await states('publicity')).toHaveLength(2);
    expect(await states('revie')).toHaveLength(0);
  });

  it('filters by a confirmed category of any member', async () => {
    const page = await listCases(t.db, { jurisdictionPrefix: '4112', category: 'severe_intellectual', limit: 100 });
    expect(page.items.map((c) => c.id)).toEqual(sorted([ids.lingbao[1], ids.lingbao[4]]));
    const none = await listCases(t.db, { jurisdictionPrefix: '4112', category: 'mental_illness', limit: 100 });
    expect(none.items).toEqual([]);
  });

  it('leaves the snapshot out of list rows', async () => {
    const page = await listCases(t.db, { jurisdictionPrefix: '4112', limit: 1 });
    expect(page.items[0]).not.toHaveProperty('snapshot');
  });

  it('refuses prefixes that are not digits, and bad limits or cursors', async () => {
    await expect(listCases(t.db, { jurisdictionPrefix: '41%', limit: 10 })).rejects.toThrow(RangeError);
    await expect(listCases(t.db, { jurisdictionPrefix: '4112', regionPrefix: '_', limit: 10 })).rejects.toThrow(
      RangeError,
    );
    await expect(listCases(t.db, { jurisdictionPrefix: '4112', limit: 0 })).rejects.toThrow(RangeError);
    await expect(listCases(t.db, { jurisdictionPrefix: '4112', limit: 10, after: 'x' })).rejects.toThrow(RangeError);
  });
});
