/**
 * Builders for case-machine tests: actors, the Sun household of docs/domain.md, and events with their envelope.
 * Region codes below the county (苏村乡 411282108, 孙家沟村 411282108201) are illustrative.
 */
import { defaultCasePolicy, type Actor, type CasePolicy, type HouseholdFacts } from '../../machines/types.js';
import type { CaseEvent, EventPayload, EventType } from '../../machines/events.js';
import type { CaseInput } from '../../machines/context.js';

export const SUN_VILLAGE = '411282108201';

export const actors = {
  enumerator: { id: 'u-enum-1', role: 'enumerator' },
  evaluator: { id: 'u-eval-1', role: 'evaluator' },
  evaluator2: { id: 'u-eval-2', role: 'evaluator' },
  village: { id: 'u-rev-village', role: 'reviewer', level: 'village' },
  township: { id: 'u-rev-township', role: 'reviewer', level: 'township' },
  county: { id: 'u-rev-county', role: 'reviewer', level: 'county' },
  officer: { id: 'u-officer-1', role: 'officer' },
  visitor: { id: 'u-visitor-1', role: 'visitor' },
  system: { id: 'system', role: 'system' },
  supervisor: { id: 'u-sup-1', role: 'supervisor' },
} satisfies Record<string, Actor>;

/** Head aged 72 (born 1947), son with a chronic illness and mild (grade 4) intellectual disability; neither works. */
export function sunHousehold(): HouseholdFacts {
  return {
    villageCode: SUN_VILLAGE,
    hasLegalSupporter: false,
    members: [
      { id: 'm-head', birthDate: '1947-02-10', labourCapacity: 'none', disabilities: [], seriousIllness: null, severeMentalDisorder: false, selfCare: null },
      {
        id: 'm-son', birthDate: '1975-08-21', labourCapacity: 'none',
        disabilities: [{ type: 'intellectual', grade: 4 }], seriousIllness: 'chronic nephritis (慢性肾炎)',
        severeMentalDisorder: false, selfCare: null,
      },
    ],
  };
}

export function caseInput(household = sunHousehold(), policy: CasePolicy = defaultCasePolicy): CaseInput {
  return { caseId: 'case-sun', policy, household, createdBy: actors.enumerator.id, createdAt: '2019-03-01T01:00:00Z' };
}

/** A clock for tests: every event is one hour after the previous one unless told otherwise. */
export class TestClock {
  private t: number;
  constructor(start = '2019-03-01T02:00:00Z') {
    this.t = Date.parse(start);
  }
  now(): string {
    return new Date(this.t).toISOString();
  }
  tick(hours = 1): string {
    this.t += hours * 3600_000;
    return this.now();
  }
  advanceDays(days: number): string {
    this.t += days * 86_400_000;
    return this.now();
  }
}

export function ev<T extends EventType>(type: T, actor: Actor, at: string, payload: Partial<EventPayload<T>> = {}): CaseEvent {
  return { type, actor, at, ...payload } as CaseEvent;
}

export const assessment = (memberId: string, categories: string[], labourCapacity = 'none') => ({
  assessment: {
    memberId,
    categories,
    labourCapacity,
    selfCare: null,
    evidence: categories.length ? [`certificate for ${categories.join('+')}`] : [],
  },
});
