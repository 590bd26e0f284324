/**
 * Demo cases, each told through the engine by the seeded user of every step (see story.ts). Each household
 * carries a `DEMO-*` marker as its 建档立卡 number: that is how seeding recognizes a story already told.
 *
 * People, addresses and ID numbers are made up (the ID numbers are well-formed GB 11643 numbers with the
 * county's address code). The Sun household follows the 2019 article (docs/domain.md, "Figures from the programme").
 *
 * Where each case ends, counted back from the clock's time when seeding ran:
 *
 * | marker              | county | village   | ends in                                                          |
 * |---------------------|--------|-----------|------------------------------------------------------------------|
 * | DEMO-SUN            | 灵宝市 | 孙家沟村  | active, centralized support at 苏村社区安置点                    |
 * | DEMO-HUZHU-1..5     | 灵宝市 | 东寨村    | active, centralized support at 东寨村互助幸福中心 (now at 1:5)   |
 * | DEMO-TREATMENT      | 灵宝市 | 西坡村    | active, centralized treatment at 灵宝市精神病医院                |
 * | DEMO-AWAITING       | 灵宝市 | 东寨村    | awaitingPlacement (try 东寨村互助幸福中心: refused, no caregiver) |
 * | DEMO-TOWNSHIP       | 灵宝市 | 西坡村    | review, waiting on the township reviewer                         |
 * | DEMO-SCREENED-OUT   | 灵宝市 | 孙家沟村  | screenedOut (the son has full labour capacity)                   |
 * | DEMO-SURVEY         | 灵宝市 | 东寨村    | survey, not yet submitted                                        |
 * | DEMO-DISPERSED      | 渑池县 | 高庄村    | active, dispersed care with the legal supporter, one revisit     |
 * | DEMO-OBJECTION      | 渑池县 | 洪阳村    | publicity.objected (an objection lodged on paper)                |
 */
import { FACILITY_IDS } from './facilities.js';
import { GUARDIAN_IDS } from './guardians.js';
import { PLACES } from './regions.js';
import { selfCare, Story, type CountyPrefix, type StoryContext } from './story.js';

export interface DemoCaseDef {
  marker: string;
  county: CountyPrefix;
  /** One line for logs and the README. */
  summary: string;
  tell(s: Story): Promise<void>;
}

const noIncomeNote = '家庭无其他收入来源，主要依靠低保和养老保险金';

const sun: DemoCaseDef = {
  marker: 'DEMO-SUN',
  county: 'lb',
  summary: '孙家沟村孙家: 72-year-old head and his chronically ill son, centralized support at 苏村社区安置点',
  async tell(s) {
    // The article: head aged 72, son with a chronic illness and a mild intellectual disability, neither can
    // work; policy income 5,784 + dividends 4,500 + care fund 2,000 = 12,284 yuan a year.
    const household = {
      villageCode: PLACES.sunjiagou,
      address: '灵宝市苏村乡孙家沟村三组17号',
      legalSupporter: null,
      members: [
        s.person('孙长明', '1947-02-10', 'male', '户主', 'none'),
        s.person('孙建国', '1975-08-21', 'male', '子', 'none', {
          disabilities: [{ type: 'intellectual', grade: 4 }],
          seriousIllness: '慢性肾功能衰竭',
          selfCare: selfCare(1),
        }),
      ],
    };
    const approvedDay = await s.toApproved(40, household, [
      { categories: ['elderly'], evidence: ['户口簿：1947年2月出生', '村委会证明：年老体弱，无劳动能力'], note: noIncomeNote },
      {
        categories: ['serious_illness'],
        selfCare: selfCare(1),
        evidence: ['灵宝市第一人民医院诊断证明：慢性肾功能衰竭', '残疾人证：智力残疾四级'],
        note: '长期患慢性病且轻度智力缺陷，无劳动能力',
      },
    ]);
    await s.at(approvedDay - 2, 9).send('officer', 'PLACE', {
      mode: 'centralized_support',
      startDate: s.today,
      facilityId: FACILITY_IDS.sucunSite,
    });
    // The year's income as the article gives it: policy 5,784 (低保 3,384 = 141 × 2 × 12; pension 1,416; disability
    // allowance 984 = 82 × 12) + dividends 4,500 + care fund 2,000 = 12,284 yuan, 6,142 per person. The village pays
    // a general poor household 1,500 of collective dividend, so 1,800 is required of the Sun household's: 2,000 meets it.
    await s.at(approvedDay - 2, 11).dividendReference(PLACES.sunjiagou, s.year, 1500);
    await s.at(approvedDay - 2, 14).income('officer', s.year, [
      { source: 'dibao', amount: 3384, evidence: '低保发放花名册（每人每月141元）' },
      { source: 'pension', amount: 1416, evidence: '城乡居民基本养老保险发放记录' },
      { source: 'disability_allowance', amount: 984, evidence: '困难残疾人生活补贴（每月82元）' },
      { source: 'dividend_individual', amount: 1500, evidence: '“1+1”带贫分红协议' },
      { source: 'dividend_collective', amount: 2000, evidence: '孙家沟村集体经济分红名册' },
      { source: 'dividend_enterprise', amount: 1000, evidence: '企业扶贫公益股分红记录' },
      { source: 'care_fund', amount: 2000, evidence: '苏村乡关爱基金发放签收表' },
    ]);
  },
};

/** Five elderly people living alone in 东寨村, one after another admitted to the village's mutual-aid centre. */
const mutualAid: DemoCaseDef[] = [
  { name: '杜长林', birth: '1941-05-03', sex: 'male' },
  { name: '冯玉兰', birth: '1943-09-18', sex: 'female' },
  { name: '贾守义', birth: '1939-12-26', sex: 'male' },
  { name: '任桂花', birth: '1945-03-08', sex: 'female' },
  { name: '雷振山', birth: '1948-07-15', sex: 'male' },
].map((p, i) => ({
  marker: `DEMO-HUZHU-${i + 1}`,
  county: 'lb' as const,
  summary: `东寨村${p.name}: elderly, living alone, centralized support at 东寨村互助幸福中心`,
  async tell(s: Story) {
    const household = {
      villageCode: PLACES.dongzhai,
      address: `灵宝市苏村乡东寨村${i + 1}组${20 + i * 3}号`,
      legalSupporter: null,
      members: [s.person(p.name, p.birth, p.sex as 'male' | 'female', '户主', 'none', { selfCare: selfCare(2) })],
    };
    const approvedDay = await s.toApproved(95 - i * 6, household, [
      { categories: ['elderly'], selfCare: selfCare(2), evidence: ['户口簿', '村委会证明：独居，无劳动能力，无法定赡养人'] },
    ]);
    await s.at(approvedDay - 1, 9).send('officer', 'PLACE', {
      mode: 'centralized_support',
      startDate: s.today,
      facilityId: FACILITY_IDS.dongzhaiMutualAid,
    });
  },
}));

const treatment: DemoCaseDef = {
  marker: 'DEMO-TREATMENT',
  county: 'lb',
  summary: '西坡村张家: son with schizophrenia in centralized treatment at 灵宝市精神病医院',
  async tell(s) {
    // The article: 15 households / 32 people of 苏村乡 sent to the psychiatric hospital.
    const household = {
      villageCode: PLACES.xipo,
      address: '灵宝市苏村乡西坡村二组5号',
      legalSupporter: null,
      members: [
        s.person('张秀英', '1949-10-02', 'female', '户主', 'none'),
        s.person('张红军', '1979-04-16', 'male', '子', 'none', {
          disabilities: [{ type: 'mental', grade: 2 }],
          severeMentalDisorder: true,
          selfCare: selfCare(3),
        }),
      ],
    };
    const approvedDay = await s.toApproved(50, household, [
      { categories: ['elderly'], evidence: ['户口簿：1949年10月出生'] },
      {
        categories: ['mental_illness'],
        selfCare: selfCare(3),
        evidence: ['灵宝市精神病医院诊断证明：精神分裂症', '残疾人证：精神残疾二级', '严重精神障碍患者管理档案'],
      },
    ]);
    await s.at(approvedDay - 3, 9).send('officer', 'PLACE', {
      mode: 'centralized_treatment',
      startDate: s.today,
      facilityId: FACILITY_IDS.lingbaoPsychiatric,
    });
  },
};

const awaiting: DemoCaseDef = {
  marker: 'DEMO-AWAITING',
  county: 'lb',
  summary: '东寨村杜家: approved, waiting for placement (东寨村互助幸福中心 is at its caregiver limit)',
  async tell(s) {
    const household = {
      villageCode: PLACES.dongzhai,
      address: '灵宝市苏村乡东寨村四组8号',
      legalSupporter: null,
      members: [s.person('杜秀珍', '1938-01-29', 'female', '户主', 'none', { selfCare: selfCare(4) })],
    };
    await s.toApproved(16, household, [
      { categories: ['elderly'], selfCare: selfCare(4), evidence: ['户口簿', '生活自理能力评估：完全丧失'] },
    ]);
  },
};

const township: DemoCaseDef = {
  marker: 'DEMO-TOWNSHIP',
  county: 'lb',
  summary: '西坡村王家: approved by the village committee, waiting on the township',
  async tell(s) {
    const household = {
      villageCode: PLACES.xipo,
      address: '灵宝市苏村乡西坡村一组12号',
      legalSupporter: null,
      members: [
        s.person('王秀珍', '1956-04-12', 'female', '户主', 'none'),
        s.person('王小虎', '1988-06-30', 'male', '子', 'none', { disabilities: [{ type: 'intellectual', grade: 2 }], selfCare: selfCare(3) }),
      ],
    };
    await s.surveyed(8, household);
    await s.evaluated(7, [
      { categories: ['elderly'], evidence: ['户口簿：1956年4月出生', '村委会证明：照料残疾子女，无劳动能力'] },
      { categories: ['severe_intellectual'], selfCare: selfCare(3), evidence: ['残疾人证：智力残疾二级'] },
    ]);
    // The first level only: the case then waits on the next one (the township in the default chain).
    if (s.chain.length > 1) await s.approved(4, s.chain.slice(0, 1));
  },
};

const screenedOut: DemoCaseDef = {
  marker: 'DEMO-SCREENED-OUT',
  county: 'lb',
  summary: '孙家沟村孙家 (another): screened out, the son works (full labour capacity)',
  async tell(s) {
    await s.surveyed(5, {
      villageCode: PLACES.sunjiagou,
      address: '灵宝市苏村乡孙家沟村一组3号',
      legalSupporter: null,
      members: [
        s.person('孙福贵', '1956-03-15', 'male', '户主', 'none', { disabilities: [{ type: 'physical', grade: 2 }] }),
        s.person('孙强', '1990-05-05', 'male', '子', 'full'),
      ],
    });
  },
};

const survey: DemoCaseDef = {
  marker: 'DEMO-SURVEY',
  county: 'lb',
  summary: '东寨村李家: survey opened, not yet submitted',
  async tell(s) {
    await s.at(2, 10).open({
      villageCode: PLACES.dongzhai,
      address: '灵宝市苏村乡东寨村二组6号',
      legalSupporter: null,
      members: [s.person('李桂英', '1950-11-03', 'female', '户主', 'none', { disabilities: [{ type: 'physical', grade: 2 }] })],
    });
  },
};

const dispersed: DemoCaseDef = {
  marker: 'DEMO-DISPERSED',
  county: 'mc',
  summary: '高庄村高家: dispersed care with the son as guardian, three-party agreement, monthly revisits',
  async tell(s) {
    const legalSupporter = { name: '高建设', relation: '子', phone: '139-0398-5521', address: '渑池县城关镇韶州路' };
    const household = {
      villageCode: PLACES.gaozhuang,
      address: '渑池县洪阳镇高庄村三组9号',
      legalSupporter,
      members: [s.person('高玉山', '1944-12-01', 'male', '户主', 'none', { selfCare: selfCare(1) })],
    };
    const approvedDay = await s.toApproved(60, household, [
      { categories: ['elderly'], selfCare: selfCare(1), evidence: ['户口簿：1944年12月出生', '村委会证明：无劳动能力，愿居家由儿子照料'] },
    ]);
    await s.at(approvedDay - 2, 10).send('officer', 'PLACE', {
      mode: 'dispersed_care',
      startDate: s.today,
      guardianId: GUARDIAN_IDS.gaoJianshe,
      agreement: { signedOn: s.today, startDate: s.today, termMonths: 12, signatories: { villageCommittee: true, guardian: true, beneficiary: true } },
    });
    await s.at(approvedDay - 32, 15).send('visitor', 'RECORD_REVISIT', {
      date: s.today,
      livingConditions: '住房干净，冬季取暖已落实',
      health: '血压偏高，按时服药',
      problems: '',
      reassessmentNeeded: false,
    });
  },
};

const objection: DemoCaseDef = {
  marker: 'DEMO-OBJECTION',
  county: 'mc',
  summary: '洪阳村高家: in public notice, an objection lodged on paper awaits resolution',
  async tell(s) {
    await s.surveyed(10, {
      villageCode: PLACES.hongyangVillage,
      address: '渑池县洪阳镇洪阳村五组21号',
      legalSupporter: null,
      members: [
        s.person('高福来', '1951-01-20', 'male', '户主', 'none'),
        s.person('刘翠兰', '1953-07-07', 'female', '妻', 'none', { disabilities: [{ type: 'physical', grade: 1 }], selfCare: selfCare(4) }),
      ],
    });
    await s.evaluated(9, [
      { categories: ['elderly'], evidence: ['户口簿：1951年1月出生'] },
      { categories: ['elderly', 'severe_disability'], selfCare: selfCare(4), evidence: ['户口簿：1953年7月出生', '残疾人证：肢体残疾一级'] },
    ]);
    await s.approved(7);
    await s.at(2, 15).send('officer', 'FILE_OBJECTION', {
      objectionId: 'OBJ-1',
      lodgedBy: '村民（书面署名）',
      channel: 'paper',
      content: '反映该户女儿在县城经商，有赡养能力，应核实',
    });
  },
};

/** In the order they are told (order matters only for the mutual-aid centre filling up). */
export const demoCases: readonly DemoCaseDef[] = [
  ...mutualAid,
  sun,
  treatment,
  awaiting,
  township,
  screenedOut,
  survey,
  dispersed,
  objection,
];

export async function tellDemoCase(ctx: StoryContext, def: DemoCaseDef): Promise<string> {
  const s = new Story(ctx, def.county, def.marker);
  await def.tell(s);
  return s.caseId;
}
