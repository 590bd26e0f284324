// No role without the identity right can rebuild a resident's ID number from any response that carries
// members (or free text about them), nor from the log.
//
// A household is walked from survey to placement with every role acting where it may — ID numbers typed into
// evidence, an objection and a revisit too — a cross-county duplicate is refused (its supervisors are
// notified), and then every role reads every member-carrying response: the case, events' answers, the audit
// trail, revisits, notifications, lists, inboxes, overdue and due-revisit lists, refusals. For each response to
// a role without the right, an attacker who knows the member's address code (the village gives it away), every
// date in the response and the age window of every `age` in it enumerates every number consistent with each
// masked number shown: the real one must never be determined (1,000 candidates or more), and neither the number
// nor the birth date may appear. Under the old mask (411282********1234 beside the birth date) one candidate
// remained: the number itself.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ageOn } from '../../machines/index.js';
import { insertFacility } from '../../src/db/index.js';
import { residentIdCheckChar } from '../../src/domain/residentId.js';
import { rolesSeeingIdNumbers } from '../../src/engine/types.js';
import { idNumber, startService, V, type TestService, type TestUser } from '../helpers/service.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => svc?.close());

const HEAD = { birthDate: '1947-02-10', id: idNumber('1947-02-10') };
const SON = { birthDate: '1975-08-21', id: idNumber('1975-08-21') };
const PEOPLE = [HEAD, SON];

interface Seen {
  who: TestUser;
  kind: string;
  /** China date of the response (ages are counted on it). */
  on: string;
  status: number;
  text: string;
}
const seen: Seen[] = [];

const chinaToday = () => new Date(svc.clock.now().getTime() + 8 * 3600_000).toISOString().slice(0, 10);

async function call(who: TestUser, kind: string, method: 'GET' | 'POST', url: string, body?: object) {
  const r = await svc.as(who, method, url, body);
  seen.push({ who, kind, on: chinaToday(), status: r.status, text: JSON.stringify(r.body) });
  return r;
}

async function event(who: TestUser, caseId: string, body: object) {
  svc.clock.advanceHours(1);
  const r = await call(who, 'event answer', 'POST', `/cases/${caseId}/events`, body);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
}

const ROLES: TestUser[] = ['enumerator', 'evaluator', 'village', 'township', 'county', 'officer', 'visitor', 'supervisor', 'citySupervisor', 'admin', 'system', 'mcEnumerator', 'mcSupervisor', 'mcAdmin'];
const hasIdentityRight = (who: TestUser) => svc.principal(who).roles.some((r) => rolesSeeingIdNumbers.includes(r));

function* datesBetween(from: string, to: string) {
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000) yield new Date(t).toISOString().slice(0, 10);
}

/** Birth dates an attacker would try: every date in the text, and every date giving one of its ages on `on`. */
function candidateDates(text: string, on: string): Set<string> {
  const out = new Set<string>(text.match(/\d{4}-\d{2}-\d{2}/g) ?? []);
  for (const [, a] of text.matchAll(/"age":(\d+)/g)) {
    const age = Number(a);
    const y = Number(on.slice(0, 4)) - age;
    for (const d of datesBetween(`${y - 1}-01-01`, `${y}-12-31`)) if (ageOn(d, on) === age) out.add(d);
  }
  return out;
}

/** The numbers consistent with a shown mask (18 characters, * hidden), given the address code and birth dates. */
function candidates(mask: string, address: string, dates: Set<string>): { count: number; includes: (id: string) => boolean } {
  const found = new Set<string>();
  let count = 0;
  for (const date of dates) {
    const known = `${address}${date.replaceAll('-', '')}`; // positions 0–13
    if ([...known].some((c, i) => mask[i] !== '*' && mask[i] !== c)) continue;
    for (let seq = 0; seq < 1000; seq++) {
      const first17 = known + String(seq).padStart(3, '0');
      if ([...first17.slice(14)].some((c, i) => mask[14 + i] !== '*' && mask[14 + i] !== c)) continue;
      const id = first17 + residentIdCheckChar(first17);
      if (mask[17] !== '*' && mask[17] !== id[17]) continue;
      count++;
      if (found.size < 5000) found.add(id);
    }
  }
  return { count, includes: (id) => found.has(id) };
}

const cache = new Map<string, ReturnType<typeof candidates>>();

/** Every way the text could give a person's number away to someone without the right; empty when none. */
function leaks(text: string, on: string): string[] {
  const out: string[] = [];
  const upper = text.toUpperCase();
  const dates = candidateDates(text, on);
  const masks = [...new Set(upper.match(/(?<![\dX*])[\dX*]{18}(?![\dX*])/g) ?? [])].filter((m) => m.includes('*'));
  for (const p of PEOPLE) {
    if (upper.includes(p.id)) out.push(`the full number ${p.id}`);
    if (text.includes(p.birthDate) || text.includes(p.birthDate.replaceAll('-', ''))) out.push(`the birth date ${p.birthDate}`);
    for (const m of masks) {
      // A mask showing a character this person's number does not have is someone else's.
      if ([...m].some((c, i) => c !== '*' && c !== p.id[i])) continue;
      const key = `${m} ${[...dates].sort().join(',')}`;
      const c = cache.get(key) ?? candidates(m, p.id.slice(0, 6), dates);
      cache.set(key, c);
      if (c.includes(p.id) && c.count < 1000) out.push(`mask ${m} with the dates shown leaves ${c.count} candidate(s), the real number among them`);
    }
  }
  return out;
}

describe('ID numbers and what is shown beside them', () => {
  let caseId = '';

  beforeAll(async () => {
    const created = await call('enumerator', 'survey answer', 'POST', '/households', {
      villageCode: V.sunjiagou, address: '孙家沟村5组8号', poorId: null, legalSupporter: null,
      members: [
        { name: '孙老汉', idNumber: HEAD.id, birthDate: HEAD.birthDate, sex: 'male', relation: '户主', labourCapacity: 'none' },
        { name: '孙小军', idNumber: SON.id, birthDate: SON.birthDate, sex: 'male', relation: '子', labourCapacity: 'none', seriousIllness: '慢性肾炎' },
      ],
    });
    expect(created.status).toBe(201);
    caseId = created.body.caseId;
    await event('enumerator', caseId, { type: 'SUBMIT_SURVEY' });
    const c = await event('evaluator', caseId, { type: 'START_EVALUATION' });
    const [head, son] = c.household.members;
    // Numbers typed into free text are masked like the others.
    await event('evaluator', caseId, { type: 'RECORD_ASSESSMENT', assessment: { memberId: head.id, categories: ['elderly'], labourCapacity: 'none', evidence: [`户籍登记（身份证 ${HEAD.id}），年满60周岁`] } });
    await event('evaluator', caseId, { type: 'RECORD_ASSESSMENT', assessment: { memberId: son.id, categories: ['serious_illness'], labourCapacity: 'none', evidence: ['诊断证明'] } });
    await event('evaluator', caseId, { type: 'SUBMIT_EVALUATION', conclusion: '符合' });
    for (const who of ['village', 'township', 'county'] as const) await event(who, caseId, { type: 'APPROVE' });
    await event('officer', caseId, { type: 'FILE_OBJECTION', objectionId: 'obj-1', lodgedBy: '村民', channel: 'paper', content: `身份证 ${SON.id} 的人在外务工` });
    await event('officer', caseId, { type: 'RESOLVE_OBJECTION', objectionId: 'obj-1', outcome: 'dismissed', reason: '经核实无务工' });
    svc.clock.advanceDays(7);
    await event('system', caseId, { type: 'NOTICE_PERIOD_ENDED' });
    const site = await insertFacility(svc.database.db, { name: '苏村社区安置点', type: 'resettlement_site', regionCode: '411282108000', beds: 60, caregivers: 8 });
    await event('officer', caseId, { type: 'PLACE', mode: 'centralized_support', startDate: chinaToday(), facilityId: site.id });
    const revisit = await call('visitor', 'revisit answer', 'POST', `/cases/${caseId}/revisits`, {
      date: chinaToday(), livingConditions: '良好', health: '稳定', problems: `户主（${HEAD.id}）血压偏高`, reassessmentNeeded: false,
    });
    expect(revisit.status, JSON.stringify(revisit.body)).toBe(201);
    // A 渑池县 enumerator surveys the head: refused without the case; 灵宝市's and the city's supervisors are told.
    const dup = await call('mcEnumerator', 'refusal', 'POST', '/households', {
      villageCode: V.mianchi, address: '渑池县某户', poorId: null, legalSupporter: null,
      members: [{ name: '孙老汉', idNumber: HEAD.id, birthDate: HEAD.birthDate, sex: 'male', relation: '户主', labourCapacity: 'none' }],
    });
    expect(dup.status).toBe(409);
    await call('supervisor', 'refusal', 'POST', `/cases/${caseId}/events`, { type: 'REQUEST_REASSESSMENT', reason: '看看' });

    for (const who of ROLES) {
      await call(who, 'case', 'GET', `/cases/${caseId}`);
      await call(who, 'audit trail', 'GET', `/cases/${caseId}/audit`);
      await call(who, 'revisit history', 'GET', `/cases/${caseId}/revisits`);
      await call(who, 'notifications', 'GET', '/notifications');
      await call(who, 'case list', 'GET', '/cases');
      await call(who, 'inbox', 'GET', '/inbox');
      await call(who, 'overdue', 'GET', '/overdue');
      await call(who, 'revisits due', 'GET', '/revisits/due?within=365d');
    }
    seen.push({ who: 'admin', kind: 'log', on: chinaToday(), status: 0, text: svc.logLines.join('\n') });
  });

  it('every role without the identity right: neither the number, nor the birth date, nor a mask that can be undone', () => {
    const found: string[] = [];
    for (const s of seen) {
      if (s.kind !== 'log' && hasIdentityRight(s.who) && s.status < 400) continue;
      for (const l of leaks(s.text, s.on)) found.push(`${s.who} / ${s.kind} (${s.status}): ${l}`);
    }
    expect(found).toEqual([]);
  });

  it('covers every member-carrying response, for every role, and the check would catch the old mask', () => {
    const readers = (kind: string) => new Set(seen.filter((s) => s.kind === kind && s.status < 300 && s.text.includes('*')).map((s) => s.who));
    // Everyone in the case's jurisdiction reads it and its trail; the trail masks for everyone.
    for (const who of ROLES.filter((w) => !w.startsWith('mc'))) {
      expect(readers('audit trail').has(who), who).toBe(true);
      if (!hasIdentityRight(who)) expect(readers('case').has(who), who).toBe(true);
    }
    expect(readers('event answer')).toEqual(new Set(['village', 'township', 'county', 'system']));
    expect(readers('revisit answer')).toEqual(new Set(['visitor']));
    for (const who of ['supervisor', 'citySupervisor'] as const) {
      expect(seen.find((s) => s.who === who && s.kind === 'notifications')!.text, who).toContain('duplicate_resident');
    }
    // Masked roles see an age, never a birth date; identity roles see both.
    const view = (who: TestUser) => JSON.parse(seen.find((s) => s.who === who && s.kind === 'case')!.text);
    expect(view('supervisor').household.members[0]).toMatchObject({ idNumber: `${HEAD.id.slice(0, 6)}**********${HEAD.id.slice(16)}`, age: 79 });
    expect(view('supervisor').household.members[0]).not.toHaveProperty('birthDate');
    expect(view('officer').household.members[0]).toMatchObject({ idNumber: HEAD.id, birthDate: HEAD.birthDate, age: 79 });
    // The check itself: the old mask beside the birth date is found out, the new one with an age is not.
    const oldStyle = JSON.stringify({ idNumber: `${HEAD.id.slice(0, 6)}********${HEAD.id.slice(14)}`, birthDate: HEAD.birthDate });
    expect(leaks(oldStyle, chinaToday())).toContain(`mask ${HEAD.id.slice(0, 6)}********${HEAD.id.slice(14)} with the dates shown leaves 1 candidate(s), the real number among them`);
    expect(leaks(JSON.stringify({ idNumber: `${HEAD.id.slice(0, 6)}********${HEAD.id.slice(14)}`, age: 79 }), chinaToday()).length).toBeGreaterThan(0); // 6+4 with an age: ~33 left
    expect(leaks(JSON.stringify(view('supervisor').household.members[0]), chinaToday())).toEqual([]);
  });
});
