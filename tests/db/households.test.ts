import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertHousehold, loadHousehold, updateMemberCategories } from '../../src/db/households.js';
import { households } from '../../src/db/schema.js';
import { createTestDb, testDbKind, type TestDb } from '../helpers/db.js';
import { member, seedEnumerator, seedRegions, VILLAGES } from './fixtures.js';

describe(`households (${testDbKind()})`, () => {
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

  it('stores a household with its members in order, with jsonb and array fields intact', async () => {
    // The 孙家沟村 household from the article: head aged 72, son with chronic illness and mild intellectual
    // disability, neither able to work.
    const head = member({ name: '户主', birthDate: '1947-03-15', relation: 'self' });
    const son = member({
      name: '儿子',
      birthDate: '1947-03-15',
      relation: 'son',
      disabilities: [{ type: 'intellectual', grade: 4 }],
      seriousIllness: '慢性病',
      selfCare: { eating: true, dressing: true, toileting: true, bathing: false, indoorMobility: true, transferring: true },
    });
    const { household, members } = await insertHousehold(
      t.db,
      {
        villageCode: VILLAGES.sunjiagou,
        address: '灵宝市苏村乡孙家沟村',
        poorId: 'P-0001',
        legalSupporter: { name: '女儿', relation: 'daughter', phone: '13800000000', address: '郑州市' },
        createdBy: userId,
      },
      [head, son],
    );
    expect(members.map((m) => [m.position, m.name])).toEqual([
      [1, '户主'],
      [2, '儿子'],
    ]);

    const loaded = await loadHousehold(t.db, household.id);
    expect(loaded?.household).toEqual(household);
    expect(loaded?.household.legalSupporter).toEqual({
      name: '女儿',
      relation: 'daughter',
      phone: '13800000000',
      address: '郑州市',
    });
    expect(loaded?.members.map((m) => m.name)).toEqual(['户主', '儿子']);
    expect(loaded?.members[1]).toMatchObject({
      idNumber: son.idNumber,
      birthDate: '1947-03-15',
      disabilities: [{ type: 'intellectual', grade: 4 }],
      seriousIllness: '慢性病',
      severeMentalDisorder: false,
      categories: [],
    });
    expect(loaded?.members[0].disabilities).toEqual([]);
    expect(loaded?.members[0].selfCare).toBeNull();
  });

  it('returns null for an unknown or malformed id', async () => {
    expect(await loadHousehold(t.db, '00000000-0000-4000-8000-000000000000')).toBeNull();
    expect(await loadHousehold(t.db, 'nope')).toBeNull();
  });

  it('records confirmed categories, refusing unknown ones', async () => {
    const { members } = await insertHousehold(
      t.db,
      { villageCode: VILLAGES.mingshan, address: '明山村', createdBy: userId },
      [member()],
    );
    expect(await updateMemberCategories(t.db, members[0].id, ['elderly', 'elderly', 'severe_disability'])).toBe(true);
    const loaded = await loadHousehold(t.db, members[0].householdId);
    expect(loaded?.members[0].categories).toEqual(['elderly', 'severe_disability']);
    await expect(updateMemberCategories(t.db, members[0].id, ['poor' as never])).rejects.toThrow();
  });

  it('inserts nothing when a member is invalid (all or nothing)', async () => {
    const before = await t.db.$count(households);
    await expect(
      insertHousehold(t.db, { villageCode: VILLAGES.mingshan, address: 'x', createdBy: userId }, [
        member(),
        member({ sex: 'unknown' as never }),
      ]),
    ).rejects.toThrow();
    expect(await t.db.$count(households)).toBe(before);
  });

  it('refuses a village code that is not 12 digits', async () => {
    await expect(
      insertHousehold(t.db, { villageCode: '411282', address: 'x', createdBy: userId }, [member()]),
    ).rejects.toThrow();
  });
});
