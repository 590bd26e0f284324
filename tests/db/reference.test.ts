// Reference data: regions, users, facilities — and idempotency keys.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFacility, insertFacility, listFacilities, lockFacility, updateFacility } from '../../src/db/facilities.js';
import { findIdempotency, insertIdempotency } from '../../src/db/idempotency.js';
import { findRegion, insertRegions, listRegions } from '../../src/db/regions.js';
import { findUserById, findUserByUsername, findUsersCovering, insertUser } from '../../src/db/users.js';
import { createTestDb, testDbKind, type TestDb } from '../helpers/db.js';
import { seedRegions, VILLAGES } from './fixtures.js';

describe(`reference data (${testDbKind()})`, () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb();
    await seedRegions(t.db);
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('regions', () => {
    it('loads a tree given in any order, and upserts by code', async () => {
      expect(await findRegion(t.db, '411282000000')).toEqual({
        code: '411282000000',
        level: 'county',
        parentCode: '411200000000',
        name: '灵宝市',
      });
      await insertRegions(t.db, [{ code: '411282000000', level: 'county', parentCode: '411200000000', name: '灵宝' }]);
      expect((await findRegion(t.db, '411282000000'))?.name).toBe('灵宝');
      expect(await findRegion(t.db, '999999999999')).toBeNull();
    });

    it('lists a subtree, optionally by level', async () => {
      const townships = await listRegions(t.db, { prefix: '411282', level: 'township' });
      expect(townships.map((r) => r.code)).toEqual(['411282100000', '411282101000']);
      expect((await listRegions(t.db, { prefix: '411224' })).map((r) => r.level)).toEqual([
        'county',
        'township',
        'village',
      ]);
    });

    it('refuses a code whose digits below its level are not zero, or an unknown parent', async () => {
      await expect(
        insertRegions(t.db, [{ code: '411282100201', level: 'township', parentCode: '411282000000', name: 'x' }]),
      ).rejects.toThrow();
      await expect(
        insertRegions(t.db, [{ code: '411203000000', level: 'county', parentCode: '419900000000', name: '陕州区' }]),
      ).rejects.toThrow();
    });
  });

  describe('users', () => {
    it('upserts by username, keeping the id', async () => {
      const first = await insertUser(t.db, {
        username: 'reviewer.sucun',
        displayName: '苏村乡审核员',
        roles: ['reviewer'],
        reviewLevel: 'township',
        jurisdiction: '411282100',
      });
      const again = await insertUser(t.db, {
        username: 'reviewer.sucun',
        displayName: '苏村乡审核员（新）',
        roles: ['reviewer', 'officer'],
        reviewLevel: 'township',
        jurisdiction: '411282100',
      });
      expect(again.id).toBe(first.id);
      expect(again).toMatchObject({ displayName: '苏村乡审核员（新）', roles: ['reviewer', 'officer'], active: true });
      expect(await findUserById(t.db, first.id)).toEqual(again);
      expect(await findUserByUsername(t.db, 'reviewer.sucun')).toEqual(again);
      expect(await findUserById(t.db, 'nope')).toBeNull();
      expect(await findUserByUsername(t.db, 'nobody')).toBeNull();
    });

    it('refuses unknown roles and jurisdictions that are not a level prefix', async () => {
      await expect(
        insertUser(t.db, { username: 'x1', displayName: 'x', roles: ['root' as never], jurisdiction: '4112' }),
      ).rejects.toThrow();
      await expect(
        insertUser(t.db, { username: 'x2', displayName: 'x', roles: ['admin'], jurisdiction: '41128' }),
      ).rejects.toThrow();
    });

    it('finds the active users whose jurisdiction covers a village', async () => {
      await insertUser(t.db, { username: 'sup.city', displayName: '市', roles: ['supervisor'], jurisdiction: '4112' });
      await insertUser(t.db, { username: 'sup.lb', displayName: '灵宝', roles: ['supervisor'], jurisdiction: '411282' });
      await insertUser(t.db, { username: 'sup.ls', displayName: '卢氏', roles: ['supervisor'], jurisdiction: '411224' });
      await insertUser(t.db, {
        username: 'sup.off',
        displayName: '停用',
        roles: ['supervisor'],
        jurisdiction: '411282',
        active: false,
      });
      const names = async (q: Parameters<typeof findUsersCovering>[1]) =>
        (await findUsersCovering(t.db, q)).map((u) => u.username);
      expect(await names({ villageCode: VILLAGES.sunjiagou, role: 'supervisor' })).toEqual(['sup.city', 'sup.lb']);
      expect(await names({ villageCode: VILLAGES.sunjiagou, role: 'reviewer', reviewLevel: 'township' })).toEqual([
        'reviewer.sucun',
      ]);
      expect(await names({ villageCode: VILLAGES.mingshan, role: 'reviewer' })).toEqual([]);
    });
  });

  describe('facilities', () => {
    it('inserts, finds, locks, lists by region and updates', async () => {
      const site = await insertFacility(t.db, {
        name: '苏村社区安置点',
        type: 'resettlement_site',
        regionCode: '411282100000',
        beds: 40,
        caregivers: 8,
      });
      const hospital = await insertFacility(t.db, {
        name: '灵宝市精神病医院',
        type: 'psychiatric_hospital',
        regionCode: '411282000000',
        beds: 120,
        medicalStaff: 30,
      });
      expect(await findFacility(t.db, site.id)).toEqual(site);
      const locked = await t.db.transaction((tx) => lockFacility(tx, hospital.id));
      expect(locked?.beds).toBe(120);
      expect((await listFacilities(t.db, { regionPrefix: '411282' })).map((f) => f.name)).toEqual([
        '灵宝市精神病医院',
        '苏村社区安置点',
      ]);
      expect(await listFacilities(t.db, { regionPrefix: '411282', type: 'nursing_home' })).toEqual([]);
      const updated = await updateFacility(t.db, site.id, { caregivers: 10 });
      expect(updated).toMatchObject({ caregivers: 10, beds: 40 });
      expect(updated!.updatedAt.getTime()).toBeGreaterThanOrEqual(site.updatedAt.getTime());
    });

    it('refuses negative capacities and unknown types', async () => {
      await expect(
        insertFacility(t.db, { name: 'x', type: 'nursing_home', regionCode: '411282000000', beds: -1 }),
      ).rejects.toThrow();
      await expect(
        insertFacility(t.db, { name: 'x', type: 'hotel' as never, regionCode: '411282000000' }),
      ).rejects.toThrow();
    });
  });

  describe('idempotency keys', () => {
    it('stores the first answer and refuses a second insert of the same key', async () => {
      const row = {
        actorId: 'u1',
        key: 'k-1',
        caseId: null,
        requestHash: 'a'.repeat(64),
        statusCode: 201,
        response: { id: 'c1', state: 'survey' },
      };
      expect(await findIdempotency(t.db, 'u1', 'k-1')).toBeNull();
      expect(await insertIdempotency(t.db, row)).toBe(true);
      expect(await insertIdempotency(t.db, { ...row, statusCode: 500 })).toBe(false);
      expect(await findIdempotency(t.db, 'u1', 'k-1')).toMatchObject({ statusCode: 201, response: row.response });
      // Keys are per actor.
      expect(await findIdempotency(t.db, 'u2', 'k-1')).toBeNull();
      expect(await insertIdempotency(t.db, { ...row, actorId: 'u2' })).toBe(true);
    });
  });
});
