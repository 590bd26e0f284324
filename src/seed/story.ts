/**
 * A small driver that tells one demo case's story through the engine: every step is a real command by the
 * seeded user of the role the step asks for, at a time set on the manual clock, so cases, deadlines and the
 * hash-chained audit trail are exactly what the product would have recorded.
 *
 * Times are given as "N days before the end of the story, at hh:mm China time" (N ≥ 1), so no demo event is
 * ever later than the clock's time when seeding began.
 */
import { selfCareItems, type Assessment, type EventType, type ReviewLevel, type SelfCare } from '../../machines/index.js';
import { residentIdCheckChar } from '../domain/residentId.js';
import type { Engine } from '../engine/index.js';
import type { MemberInput, HouseholdInput } from '../engine/surveyInput.js';
import { addCalendarDays, chinaDateOf, startOfChinaDay } from '../time/calendar.js';
import type { ManualClock } from '../time/clock.js';
import { demoUser, principalOf } from './users.js';

export type CountyPrefix = 'lb' | 'mc';

/** The county-level address codes that begin the demo resident ID numbers. */
const COUNTY_CODES: Record<CountyPrefix, string> = { lb: '411282', mc: '411221' };

/**
 * A resident ID number (GB 11643) for a demo person: the county's address code, the birth date, a sequence
 * whose last digit is odd for a man and even for a woman, and the computed check character.
 * `n` (1..449) keeps people born on the same day apart.
 */
export function demoIdNumber(county: CountyPrefix, birthDate: string, sex: 'male' | 'female', n: number): string {
  if (!Number.isInteger(n) || n < 1 || n > 449) throw new RangeError('n is 1..449');
  const sequence = String(100 + n * 2 + (sex === 'male' ? 1 : 0)).padStart(3, '0');
  const first17 = `${COUNTY_CODES[county]}${birthDate.replaceAll('-', '')}${sequence}`;
  return first17 + residentIdCheckChar(first17);
}

export type PersonFacts = Partial<Pick<MemberInput, 'disabilities' | 'seriousIllness' | 'severeMentalDisorder' | 'selfCare'>>;

export interface AssessmentInput {
  categories: Assessment['categories'];
  labourCapacity?: Assessment['labourCapacity'];
  selfCare?: Assessment['selfCare'];
  evidence: string[];
  note?: string;
}

export interface StoryContext {
  engine: Engine;
  clock: ManualClock;
  /** The end of every story: the clock's time when seeding began. */
  end: Date;
}

const HOUR = 3600_000;

export class Story {
  caseId = '';
  private last = 0;
  private personSerial = 0;

  constructor(
    private readonly ctx: StoryContext,
    readonly county: CountyPrefix,
    readonly marker: string,
  ) {}

  /** A member of a demo household, with a valid ID number for the birth date and sex. */
  person(name: string, birthDate: string, sex: 'male' | 'female', relation: string, labourCapacity: MemberInput['labourCapacity'], facts: PersonFacts = {}): MemberInput {
    this.personSerial += 1;
    return {
      name,
      idNumber: demoIdNumber(this.county, birthDate, sex, this.personSerial + (this.county === 'lb' ? 0 : 200)),
      birthDate,
      sex,
      relation,
      labourCapacity,
      disabilities: facts.disabilities ?? [],
      seriousIllness: facts.seriousIllness ?? null,
      severeMentalDisorder: facts.severeMentalDisorder ?? false,
      selfCare: facts.selfCare ?? null,
    };
  }

  /** Moves the clock to `daysAgo` days before the end, at hh:mm China time. Never backwards within a story. */
  at(daysAgo: number, hour: number, minute = 0): this {
    if (daysAgo < 1) throw new RangeError(`${this.marker}: demo events happen at least a day before the end`);
    const day = addCalendarDays(chinaDateOf(this.ctx.end), -daysAgo);
    const t = startOfChinaDay(day).getTime() + hour * HOUR + minute * 60_000;
    if (t < this.last) throw new Error(`${this.marker}: the story goes back in time at ${daysAgo} days ago ${hour}:${minute}`);
    this.last = t;
    this.ctx.clock.set(new Date(t));
    return this;
  }

  /** Today's date (China) on the clock. */
  get today(): string {
    return chinaDateOf(this.ctx.clock.now());
  }

  private principal(role: string) {
    return principalOf(demoUser(role === 'system' ? 'system' : `${this.county}-${role}`));
  }

  private meta(role: string) {
    return { principal: this.principal(role), requestId: `seed:${this.marker}` };
  }

  async open(household: Omit<HouseholdInput, 'poorId'>): Promise<this> {
    const { caseId } = await this.ctx.engine.openCase(this.meta('enumerator'), { ...household, poorId: this.marker });
    this.caseId = caseId;
    return this;
  }

  /** Sends one event as the seeded user of `role` (`reviewer-village`, `officer`, `system`, ...). */
  async send(role: string, type: EventType, payload: object = {}): Promise<this> {
    await this.ctx.engine.sendEvent(this.meta(role), this.caseId, { type, ...payload });
    return this;
  }

  /** Records the household's income of `year` (the whole year's lines) as the seeded user of `role`, through the engine. */
  async income(role: string, year: number, lines: { source: string; amount: number; evidence: string }[]): Promise<this> {
    const c = await this.ctx.engine.getCase(this.principal(role), this.caseId);
    await this.ctx.engine.recordIncome(this.meta(role), this.caseId, year, { lines }, c.rowVersion);
    return this;
  }

  /** Sets a village's dividend reference of `year` (the 120% rule) as the county's seeded admin. */
  async dividendReference(villageCode: string, year: number, amount: number): Promise<this> {
    const current = await this.ctx.engine.dividendReference(this.principal('admin'), villageCode, year);
    await this.ctx.engine.setDividendReference(this.meta('admin'), villageCode, year, { amount }, current.version);
    return this;
  }

  /** The calendar year (China time) in which the stories end: the year the console opens on. */
  get year(): number {
    return Number(chinaDateOf(this.ctx.end).slice(0, 4));
  }

  /** Stored member ids in survey order (position 1 = head). */
  async memberIds(): Promise<string[]> {
    const c = await this.ctx.engine.getCase(this.principal('evaluator'), this.caseId);
    return c.household.members.map((m) => m.id);
  }

  /** Opens the survey on day `daysAgo` at 09:00 and submits it at 15:00 (screening runs on submit). */
  async surveyed(daysAgo: number, household: Omit<HouseholdInput, 'poorId'>): Promise<this> {
    await this.at(daysAgo, 9).open(household);
    return this.at(daysAgo, 15).send('enumerator', 'SUBMIT_SURVEY');
  }

  /**
   * Starts the evaluation on day `daysAgo`, records one assessment per member (in survey order) and submits
   * the conclusion the next day.
   */
  async evaluated(daysAgo: number, assessments: AssessmentInput[], conclusion = '经入户核查，符合兜底保障条件'): Promise<this> {
    await this.at(daysAgo, 9).send('evaluator', 'START_EVALUATION');
    const ids = await this.memberIds();
    if (ids.length !== assessments.length) throw new Error(`${this.marker}: ${ids.length} members, ${assessments.length} assessments`);
    for (const [i, a] of assessments.entries()) {
      await this.at(daysAgo, 10, i * 20).send('evaluator', 'RECORD_ASSESSMENT', {
        assessment: { memberId: ids[i], labourCapacity: 'none', selfCare: null, ...a },
      });
    }
    return this.at(daysAgo - 1, 16).send('evaluator', 'SUBMIT_EVALUATION', { conclusion });
  }

  /** The engine's review chain (village → township → county unless configured otherwise). */
  get chain(): readonly ReviewLevel[] {
    return this.ctx.engine.deps.casePolicy.reviewChain;
  }

  /** Approves at `levels` (default: the whole chain), one level a day from `daysAgo` at 10:00. Returns the last day. */
  async approved(daysAgo: number, levels: readonly ReviewLevel[] = this.chain): Promise<number> {
    let day = daysAgo;
    for (const [i, level] of levels.entries()) {
      day = daysAgo - i;
      await this.at(day, 10).send(`reviewer-${level}`, 'APPROVE', { comment: `${levelName[level]}审核通过` });
    }
    return day;
  }

  /** The whole application: survey on `daysAgo`, evaluation, every level, 7-day notice, approval. Returns the approval day. */
  async toApproved(daysAgo: number, household: Omit<HouseholdInput, 'poorId'>, assessments: AssessmentInput[]): Promise<number> {
    await this.surveyed(daysAgo, household);
    await this.evaluated(daysAgo - 1, assessments);
    const lastApproval = await this.approved(daysAgo - 3);
    const noticeEnded = lastApproval - this.ctx.engine.deps.casePolicy.noticeDays;
    await this.at(noticeEnded, 11).send('system', 'NOTICE_PERIOD_ENDED');
    return noticeEnded;
  }
}

const levelName: Record<ReviewLevel, string> = { village: '村委会', township: '乡镇人民政府', county: '县级民政部门' };

/** A self-care assessment with the first `unmet` of the six daily-living items not managed alone. */
export const selfCare = (unmet: number): SelfCare =>
  Object.fromEntries(selfCareItems.map((k, i) => [k, i >= unmet])) as SelfCare;
