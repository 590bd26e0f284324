/**
 * Demo facilities for the three placement modes (三个一批). Ids are fixed so the README and scripts can name
 * them in PLACE bodies (`facilityId`). Occupancy is never stored: it is the number of open cases placed in
 * a facility, so 东寨村互助幸福中心 reaches its 1:5 caregiver limit only through the five demo residents
 * that `demoCases.ts` places there; after that, any further admission is refused (CAREGIVER_RATIO).
 */
import { findFacility, insertFacility, updateFacility, type Db, type NewFacility, type Tx } from '../db/index.js';
import { PLACES } from './regions.js';

export type DemoFacility = Required<Pick<NewFacility, 'id' | 'name' | 'type' | 'regionCode' | 'beds' | 'caregivers' | 'medicalStaff'>> &
  Pick<NewFacility, 'patientsPerMedicalStaff'>;

const id = (n: number) => `d0d10000-0000-4000-9000-${String(n).padStart(12, '0')}`;

export const FACILITY_IDS = {
  sucunSite: id(1),
  lingbaoPsychiatric: id(2),
  hongyangNursingHome: id(3),
  dongzhaiMutualAid: id(4),
  zhangcunCareCentre: id(5),
} as const;

export const demoFacilities: readonly DemoFacility[] = [
  {
    // 易地扶贫搬迁苏村社区安置点: where the Sun household of the article lives in centralized support.
    id: FACILITY_IDS.sucunSite,
    name: '苏村社区安置点',
    type: 'resettlement_site',
    regionCode: PLACES.sucunCommunity,
    beds: 120,
    caregivers: 10,
    medicalStaff: 2, // the community clinic (社区卫生室)
    patientsPerMedicalStaff: null,
  },
  {
    // The article: 15 households / 32 people of 苏村乡 in centralized treatment here.
    id: FACILITY_IDS.lingbaoPsychiatric,
    name: '灵宝市精神病医院',
    type: 'psychiatric_hospital',
    regionCode: PLACES.lingbaoChengguan,
    beds: 300,
    caregivers: 24,
    medicalStaff: 95,
    patientsPerMedicalStaff: 4,
  },
  {
    id: FACILITY_IDS.hongyangNursingHome,
    name: '洪阳镇敬老院',
    type: 'nursing_home',
    regionCode: PLACES.hongyang,
    beds: 60,
    caregivers: 8,
    medicalStaff: 1,
    patientsPerMedicalStaff: null,
  },
  {
    // One caregiver for at most five residents: full after the five demo residents (see demoCases.ts),
    // though beds are free — the README's "admission refused for lack of caregivers".
    id: FACILITY_IDS.dongzhaiMutualAid,
    name: '东寨村互助幸福中心',
    type: 'mutual_aid_center',
    regionCode: PLACES.dongzhai,
    beds: 12,
    caregivers: 1,
    medicalStaff: 0,
    patientsPerMedicalStaff: null,
  },
  {
    // The article: 渑池县张村镇 turned a resettlement site into a medical-and-care centre (医养结合中心).
    id: FACILITY_IDS.zhangcunCareCentre,
    name: '张村镇安置点医养结合中心',
    type: 'resettlement_site',
    regionCode: PLACES.zhangcunCommunity,
    beds: 20,
    caregivers: 2,
    medicalStaff: 2,
    patientsPerMedicalStaff: null,
  },
];

/**
 * Inserts the demo facilities, or brings an existing one (same id) back to the demo figures. A facility that
 * already matches is not touched, so a second run writes nothing. (The data-access update cannot set
 * patientsPerMedicalStaff; an existing row keeps its own.)
 */
export async function upsertDemoFacilities(db: Db | Tx): Promise<number> {
  for (const f of demoFacilities) {
    const existing = await findFacility(db, f.id);
    if (!existing) {
      await insertFacility(db, f);
      continue;
    }
    const fields = { name: f.name, type: f.type, regionCode: f.regionCode, beds: f.beds, caregivers: f.caregivers, medicalStaff: f.medicalStaff };
    const differs = (Object.keys(fields) as (keyof typeof fields)[]).some((k) => existing[k] !== fields[k]);
    if (differs) await updateFacility(db, f.id, fields);
  }
  return demoFacilities.length;
}
