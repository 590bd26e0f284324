// Demo guardian registry (分散托养监护人): fixed ids so that re-seeding updates rather than duplicates.
// Names and telephone numbers are invented.
import { upsertGuardian, type Tx } from '../db/index.js';
import { PLACES } from './regions.js';

const id = (n: number) => `d0d10000-0000-4000-a000-${String(n).padStart(12, '0')}`;

export const GUARDIAN_IDS = {
  gaoJianshe: id(1),
  sucunNeighbour: id(2),
  hongyangPartyMember: id(3),
} as const;

export const demoGuardians = [
  // The son of 高玉山 (DEMO-DISPERSED), his legal supporter, living in town.
  { id: GUARDIAN_IDS.gaoJianshe, name: '高建设', kind: 'legal_supporter' as const, regionCode: PLACES.gaozhuang, phone: '139-0398-5521', maxWards: null },
  { id: GUARDIAN_IDS.sucunNeighbour, name: '孙红霞', kind: 'neighbour' as const, regionCode: PLACES.sunjiagou, phone: '138-0398-1102', maxWards: 2 },
  { id: GUARDIAN_IDS.hongyangPartyMember, name: '吴建华', kind: 'party_member' as const, regionCode: PLACES.hongyangVillage, phone: '137-0398-7710', maxWards: null },
];

export async function upsertDemoGuardians(tx: Tx): Promise<number> {
  for (const g of demoGuardians) await upsertGuardian(tx, { ...g, createdBy: 'seed' });
  return demoGuardians.length;
}
