// Shared rows for the db tests. Township and village codes under 灵宝市 (411282) and 卢氏县 (411224) are
// illustrative, not the real statistical codes.
import { insertRegions } from '../../src/db/regions.js';
import { insertUser } from '../../src/db/users.js';
import { insertHousehold, type NewMemberInput } from '../../src/db/households.js';
import { insertCase } from '../../src/db/cases.js';
import type { Db } from '../../src/db/types.js';
import { residentIdCheckChar } from '../../src/domain/residentId.js';

export const VILLAGES = {
  sunjiagou: '411282100201', // 孙家沟村, 苏村乡, 灵宝市
  mingshan: '411282101001', // 明山村, 灵宝市
  lushi: '411224100101', // a village in 卢氏县
} as const;

export async function seedRegions(db: Db): Promise<void> {
  await insertRegions(db, [
    { code: '411282100201', level: 'village', parentCode: '411282100000', name: '孙家沟村' },
    { code: '410000000000', level: 'province', parentCode: null, name: '河南省' },
    { code: '411200000000', level: 'prefecture', parentCode: '410000000000', name: '三门峡市' },
    { code: '411282000000', level: 'county', parentCode: '411200000000', name: '灵宝市' },
    { code: '411224000000', level: 'county', parentCode: '411200000000', name: '卢氏县' },
    { code: '411282100000', level: 'township', parentCode: '411282000000', name: '苏村乡' },
    { code: '411282101000', level: 'township', parentCode: '411282000000', name: '示例镇' },
    { code: '411282101001', level: 'village', parentCode: '411282101000', name: '明山村' },
    { code: '411224100000', level: 'township', parentCode: '411224000000', name: '示例乡' },
    { code: '411224100101', level: 'village', parentCode: '411224100000', name: '示例村' },
  ]);
}

export async function seedEnumerator(db: Db) {
  return insertUser(db, {
    username: 'enumerator.lingbao',
    displayName: '普查员',
    roles: ['enumerator'],
    jurisdiction: '411282',
  });
}

let serial = 0;
/** A valid ID number born 1947-03-15 in 灵宝市, distinct on each call (up to 999 per test file). */
export function fakeIdNumber(): string {
  serial += 1;
  const first17 = `41128219470315${String(serial).padStart(3, '0')}`;
  return first17 + residentIdCheckChar(first17);
}

export function member(overrides: Partial<NewMemberInput> = {}): NewMemberInput {
  return {
    name: '张三',
    idNumber: fakeIdNumber(),
    birthDate: '1947-03-15',
    sex: 'male',
    relation: 'self',
    labourCapacity: 'none',
    ...overrides,
  };
}

/** A household with the given members and an open case for it, in `state`. */
export async function seedCase(
  db: Db,
  opts: { villageCode: string; createdBy: string; state?: string; members?: NewMemberInput[] },
) {
  const { household, members } = await insertHousehold(
    db,
    { villageCode: opts.villageCode, address: '示例地址', createdBy: opts.createdBy },
    opts.members ?? [member()],
  );
  const row = await insertCase(db, {
    householdId: household.id,
    machineId: 'case',
    machineVersion: 1,
    snapshot: { value: opts.state ?? 'survey', context: {} },
    state: opts.state ?? 'survey',
    villageCode: opts.villageCode,
  });
  return { household, members, case: row };
}
