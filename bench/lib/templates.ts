// Template cases: one real case per (state, age) told through the engine with the seed's Story helper, so
// every snapshot, mirrored column, deadline and timer that the bulk seed copies is exactly what the product
// would have written. The bulk seed (seed.ts) replicates these rows with SQL.
import { upsertGuardian, type Db } from '../../src/db/index.js';
import type { Engine } from '../../src/engine/index.js';
import type { HouseholdInput } from '../../src/engine/surveyInput.js';
import { FACILITY_IDS, PLACES } from '../../src/seed/index.js';
import { selfCare, Story, type CountyPrefix } from '../../src/seed/story.js';
import { addCalendarDays } from '../../src/time/calendar.js';
import type { ManualClock } from '../../src/time/clock.js';
import { query } from './db.js';

/** Pools of cases the HTTP mix acts on (and the SQL ceiling, and the timer drain). */
export type Pool = 'village' | 'township' | 'county' | 'publicity' | 'active' | 'ceiling' | 'timers';

export type Flow =
  | 'survey' | 'screenedOut' | 'preliminary' | 'evaluation'
  | 'review.village' | 'review.township' | 'review.county'
  | 'publicity.open' | 'publicity.objected' | 'awaitingPlacement'
  | 'active.central' | 'active.dispersed' | 'active.revisited' | 'active.reassessmentDue'
  | 'exitNotice' | 'exited' | 'exited.deceased'
  | 'rejected.awaiting' | 'rejected.served';

/** The stored (dotted) state each flow ends in. */
export const flowState: Record<Flow, string> = {
  survey: 'survey',
  screenedOut: 'screenedOut',
  preliminary: 'preliminary',
  evaluation: 'evaluation',
  'review.village': 'review',
  'review.township': 'review',
  'review.county': 'review',
  'publicity.open': 'publicity.open',
  'publicity.objected': 'publicity.objected',
  awaitingPlacement: 'awaitingPlacement',
  'active.central': 'active.monitoring',
  'active.dispersed': 'active.monitoring',
  'active.revisited': 'active.monitoring',
  'active.reassessmentDue': 'active.reassessmentDue',
  exitNotice: 'exitNotice',
  exited: 'exited',
  'exited.deceased': 'exited',
  'rejected.awaiting': 'rejected.awaitingRefusalNotice',
  'rejected.served': 'rejected.noticeServed',
};

/**
 * Share of the bulk cases per flow (relative weights; a mature programme: most households placed or exited)
 * and the ages of its templates (days since the case's last event) with the share of the flow each takes. The
 * oldest age of a step is past that step's deadline: about 6% of the open bulk cases end up overdue (the
 * README's own one-million-case measurement assumed 7%).
 */
export const bulkMix: Record<Flow, { weight: number; ages: [age: number, share: number][] }> = {
  survey: { weight: 3, ages: [[2, 0.5], [9, 0.4], [30, 0.1]] },
  screenedOut: { weight: 4, ages: [[5, 1]] },
  preliminary: { weight: 2, ages: [[1, 0.5], [2, 0.4], [12, 0.1]] },
  evaluation: { weight: 3, ages: [[3, 0.5], [12, 0.4], [30, 0.1]] },
  'review.village': { weight: 2, ages: [[1, 0.5], [4, 0.4], [12, 0.1]] },
  'review.township': { weight: 1.5, ages: [[1, 0.5], [4, 0.4], [12, 0.1]] },
  'review.county': { weight: 1.5, ages: [[2, 0.5], [10, 0.4], [30, 0.1]] },
  'publicity.open': { weight: 1.5, ages: [[1, 0.34], [3, 0.33], [5, 0.33]] },
  'publicity.objected': { weight: 0.3, ages: [[3, 0.8], [25, 0.2]] },
  awaitingPlacement: { weight: 2, ages: [[2, 0.5], [12, 0.4], [30, 0.1]] },
  'active.central': { weight: 22, ages: [[10, 0.5], [45, 0.45], [120, 0.05]] },
  'active.dispersed': { weight: 15, ages: [[5, 0.5], [20, 0.45], [45, 0.05]] },
  'active.revisited': { weight: 15, ages: [[3, 0.5], [15, 0.45], [40, 0.05]] },
  'active.reassessmentDue': { weight: 2, ages: [[5, 0.8], [40, 0.2]] },
  exitNotice: { weight: 0.7, ages: [[2, 1]] },
  exited: { weight: 9, ages: [[10, 0.5], [90, 0.5]] },
  'exited.deceased': { weight: 8, ages: [[30, 1]] },
  'rejected.awaiting': { weight: 0.5, ages: [[1, 0.7], [8, 0.3]] },
  'rejected.served': { weight: 4, ages: [[10, 1]] },
};

/** Templates of the HTTP mix's pools, in both demo counties (their users act on them). */
export const poolTemplates: Record<Exclude<Pool, 'ceiling' | 'timers'>, { flow: Flow; age: number }> = {
  village: { flow: 'review.village', age: 1 },
  township: { flow: 'review.township', age: 1 },
  county: { flow: 'review.county', age: 2 },
  // Age 1: the 7-day notice ends in about 6 days, so objections are still accepted during the run.
  publicity: { flow: 'publicity.open', age: 1 },
  active: { flow: 'active.revisited', age: 3 },
};
/** The SQL ceiling's cases: the same template as the revisits of the mix. */
export const ceilingTemplate = { flow: 'active.revisited' as Flow, age: 3, county: 'lb' as CountyPrefix };
/** The timer drain's cases: a public notice that ended 2 days ago, its notice_end timer due. */
export const timersTemplate = { flow: 'publicity.open' as Flow, age: 9, county: 'lb' as CountyPrefix };

export interface TemplateSpec {
  key: string;
  flow: Flow;
  county: CountyPrefix;
  age: number;
  /** Relative share of the bulk cases (0: used only by pools). */
  weight: number;
}

export interface Template extends TemplateSpec {
  caseId: string;
  householdId: string;
  villageCode: string;
  state: string;
  rowVersion: number;
  memberIds: string[];
}

export const templateKey = (county: CountyPrefix, flow: Flow, age: number) => `${county}:${flow}:${age}`;

/** Every template to tell: the bulk mix (in 灵宝市) plus the pool templates in both counties. */
export function templateSpecs(): TemplateSpec[] {
  const specs = new Map<string, TemplateSpec>();
  const add = (county: CountyPrefix, flow: Flow, age: number, weight: number) => {
    const key = templateKey(county, flow, age);
    const prev = specs.get(key);
    specs.set(key, { key, flow, county, age, weight: (prev?.weight ?? 0) + weight });
  };
  for (const [flow, m] of Object.entries(bulkMix) as [Flow, (typeof bulkMix)[Flow]][]) {
    for (const [age, share] of m.ages) add('lb', flow, age, m.weight * share);
  }
  for (const county of ['lb', 'mc'] as const) {
    for (const p of Object.values(poolTemplates)) add(county, p.flow, p.age, 0);
  }
  add(ceilingTemplate.county, ceilingTemplate.flow, ceilingTemplate.age, 0);
  add(timersTemplate.county, timersTemplate.flow, timersTemplate.age, 0);
  return [...specs.values()];
}

/** Guardians appointed by the township for the dispersed-care templates (enough wards for every template). */
export const BENCH_GUARDIANS = {
  lb: { id: 'b0000000-0000-4000-a000-000000000001', name: '王桂兰', regionCode: PLACES.sunjiagou },
  mc: { id: 'b0000000-0000-4000-a000-000000000002', name: '高秀梅', regionCode: PLACES.hongyangVillage },
} as const;

export async function insertBenchGuardians(db: Db): Promise<void> {
  for (const g of Object.values(BENCH_GUARDIANS)) {
    await upsertGuardian(db, { ...g, kind: 'neighbour', phone: '0398-0000000', maxWards: 50, createdBy: 'bench' });
  }
}

const villages: Record<CountyPrefix, string[]> = {
  lb: [PLACES.sunjiagou, PLACES.dongzhai, PLACES.xipo],
  mc: [PLACES.hongyangVillage, PLACES.gaozhuang],
};
const centralFacility: Record<CountyPrefix, string> = { lb: FACILITY_IDS.sucunSite, mc: FACILITY_IDS.hongyangNursingHome };
const surnames = ['赵', '钱', '孙', '李', '周', '吴', '郑', '王', '冯', '陈', '褚', '卫', '蒋', '沈', '韩', '杨'];
const given = ['长顺', '桂英', '秀兰', '福来', '玉山', '守义', '翠兰', '振华', '建国', '秀珍'];

type Assess = { categories: ('elderly' | 'severe_intellectual')[]; evidence: string[]; selfCare?: ReturnType<typeof selfCare> };

/** A household for template number `i`: one elderly person, or an elderly parent with a disabled son. */
function household(s: Story, i: number, kind: 'single' | 'pair' | 'worker'): { input: Omit<HouseholdInput, 'poorId'>; assess: Assess[] } {
  // Distinct birth dates per template: no resident is on two open cases (and none matches a demo resident).
  const headBirth = addCalendarDays('1931-01-05', i * 11);
  const sonBirth = addCalendarDays('1983-01-03', i * 7);
  const name = `${surnames[i % surnames.length]}${given[i % given.length]}`;
  const villageCode = villages[s.county][i % villages[s.county].length];
  const head = s.person(name, headBirth, i % 2 ? 'female' : 'male', '户主', 'none', { selfCare: selfCare(2) });
  const members = [head];
  const assess: Assess[] = [{ categories: ['elderly'], evidence: ['户口簿', '村委会证明：年老体弱，无劳动能力'], selfCare: selfCare(2) }];
  if (kind !== 'single') {
    members.push(
      s.person(`${name.slice(0, 1)}小军`, sonBirth, 'male', '子', kind === 'worker' ? 'full' : 'none', {
        disabilities: kind === 'worker' ? [] : [{ type: 'intellectual', grade: 2 }],
        selfCare: kind === 'worker' ? null : selfCare(3),
      }),
    );
    assess.push({ categories: ['severe_intellectual'], evidence: ['残疾人证：智力残疾二级'], selfCare: selfCare(3) });
  }
  return { input: { villageCode, address: `${name}家，${i + 1}组${(i * 7) % 40 + 1}号`, legalSupporter: null, members }, assess };
}

/** Tells one template's story; `d` is how many days ago its last event happened. */
async function tell(s: Story, flow: Flow, d: number, i: number): Promise<void> {
  const kind = i % 3 === 0 ? 'pair' : 'single';
  const { input, assess } = household(s, i, flow === 'screenedOut' ? 'worker' : kind);
  const active = async (placeDay: number, mode: 'central' | 'dispersed') => {
    await s.toApproved(placeDay + 13, input, assess); // the notice ends on placeDay + 1
    if (mode === 'central') {
      await s.at(placeDay, 9).send('officer', 'PLACE', { mode: 'centralized_support', startDate: s.today, facilityId: centralFacility[s.county] });
    } else {
      await s.at(placeDay, 10).send('officer', 'PLACE', {
        mode: 'dispersed_care',
        startDate: s.today,
        guardianId: BENCH_GUARDIANS[s.county].id,
        appointedByTownship: true,
        agreement: { signedOn: s.today, startDate: s.today, termMonths: 12, signatories: { villageCommittee: true, guardian: true, beneficiary: true } },
      });
    }
  };
  const revisit = (reassessmentNeeded: boolean) => ({
    date: s.today,
    livingConditions: '住房安全，饮水、取暖有保障',
    health: reassessmentNeeded ? '近期病情加重，需重新评定' : '身体状况稳定',
    problems: '',
    reassessmentNeeded,
  });
  switch (flow) {
    case 'survey':
      await s.at(d, 10).open(input);
      return;
    case 'screenedOut':
    case 'preliminary':
      await s.surveyed(d, input);
      return;
    case 'evaluation': {
      await s.surveyed(d + 1, input);
      await s.at(d, 9).send('evaluator', 'START_EVALUATION');
      const [first] = await s.memberIds();
      await s.at(d, 11).send('evaluator', 'RECORD_ASSESSMENT', { assessment: { memberId: first, labourCapacity: 'none', ...assess[0] } });
      return;
    }
    case 'review.village':
      await s.surveyed(d + 2, input);
      await s.evaluated(d + 1, assess);
      return;
    case 'review.township':
      await s.surveyed(d + 3, input);
      await s.evaluated(d + 2, assess);
      await s.approved(d, s.chain.slice(0, 1));
      return;
    case 'review.county':
      await s.surveyed(d + 4, input);
      await s.evaluated(d + 3, assess);
      await s.approved(d + 1, s.chain.slice(0, 2));
      return;
    case 'publicity.open':
      await s.surveyed(d + 5, input);
      await s.evaluated(d + 4, assess);
      await s.approved(d + 2);
      return;
    case 'publicity.objected':
      await tell(s, 'publicity.open', d + 1, i);
      await s.at(d, 15).send('officer', 'FILE_OBJECTION', { objectionId: 'OBJ-1', lodgedBy: '村民（实名来信）', channel: 'paper', content: '反映该户子女有赡养能力，请核实' });
      return;
    case 'awaitingPlacement':
      await s.toApproved(d + 12, input, assess);
      return;
    case 'active.central':
      await active(d, 'central');
      return;
    case 'active.dispersed':
      await active(d, 'dispersed');
      return;
    case 'active.revisited':
      await active(d + 30, 'dispersed');
      await s.at(d, 15).send('visitor', 'RECORD_REVISIT', revisit(false));
      return;
    case 'active.reassessmentDue':
      await active(d + 20, 'central');
      await s.at(d, 15).send('visitor', 'RECORD_REVISIT', revisit(true));
      return;
    case 'exitNotice':
      await active(d + 20, 'central');
      await s.at(d, 10).send('officer', 'EXIT', { reason: 'moved_away', text: '随子女迁居外省', date: s.today });
      return;
    case 'exited':
      await active(d + 30, 'central');
      await s.at(d + 8, 10).send('officer', 'EXIT', { reason: 'moved_away', text: '随子女迁居外省', date: s.today });
      await s.at(d, 11).send('system', 'NOTICE_PERIOD_ENDED');
      return;
    case 'exited.deceased':
      await active(d + 10, 'central');
      await s.at(d, 10).send('officer', 'EXIT', { reason: 'deceased', date: s.today });
      return;
    case 'rejected.awaiting':
      await s.surveyed(d + 3, input);
      await s.evaluated(d + 2, assess);
      await s.at(d, 10).send('reviewer-village', 'REJECT', { reason: '经村民代表评议，该户有稳定收入来源' });
      return;
    case 'rejected.served':
      await tell(s, 'rejected.awaiting', d + 2, i);
      await s.at(d, 11).send('officer', 'RECORD_REFUSAL_NOTICE', { noticeNumber: `灵民不认〔2025〕${i + 1}号`, servedOn: s.today });
      return;
  }
}

/** Tells every template through `engine` (on a manual clock ending at `end`) and reads back their rows. */
export async function tellTemplates(ctx: { db: Db; engine: Engine; clock: ManualClock; end: Date }, specs: TemplateSpec[]): Promise<Template[]> {
  await insertBenchGuardians(ctx.db);
  const out: Template[] = [];
  for (const [i, spec] of specs.entries()) {
    const s = new Story({ engine: ctx.engine, clock: ctx.clock, end: ctx.end }, spec.county, `BENCH-TPL-${spec.key}`);
    try {
      await tell(s, spec.flow, spec.age, i + 1);
    } catch (e) {
      throw new Error(`template ${spec.key}: ${e instanceof Error ? `${e.message} ${JSON.stringify((e as { details?: unknown }).details ?? '')}` : e}`);
    }
    const [row] = await query<{ household_id: string; village_code: string; state: string; row_version: number }>(
      ctx.db,
      `select household_id, village_code, state, row_version from cases where id = '${s.caseId}'`,
    );
    const members = await query<{ id: string }>(ctx.db, `select id from members where household_id = '${row.household_id}' order by position`);
    if (row.state !== flowState[spec.flow]) throw new Error(`template ${spec.key} ended in ${row.state}, expected ${flowState[spec.flow]}`);
    out.push({ ...spec, caseId: s.caseId, householdId: row.household_id, villageCode: row.village_code, state: row.state, rowVersion: row.row_version, memberIds: members.map((m) => m.id) });
  }
  return out;
}
