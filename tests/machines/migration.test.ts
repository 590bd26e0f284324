// Snapshots persisted by an older machine version load, migrate, and continue on the current one.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CASE_MACHINE_VERSION } from '../../machines/caseMachine.js';
import { deadlineKey, decide, stateName, type CaseSnapshot } from '../../machines/decide.js';
import { migrateSnapshot, SnapshotMigrationError } from '../../machines/migrations.js';
import { loadCaseSnapshot } from '../../machines/registry.js';
import { actors, ev } from '../helpers/caseFixtures.js';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8'));

function step(s: CaseSnapshot, e: Parameters<typeof decide>[1]): CaseSnapshot {
  const d = decide(s, e);
  if (!d.ok) throw new Error(JSON.stringify(d));
  return d.snapshot;
}

describe('snapshot migrations', () => {
  it('a case stored by version 0 at township review continues on the current version', () => {
    const { snapshot, migrated } = loadCaseSnapshot(fixture('case-v0-township-review.json'));
    expect(migrated).toBe(true);
    expect(stateName(snapshot)).toBe('review');
    expect(deadlineKey(snapshot)).toBe('review.township');
    expect(snapshot.context.evaluatorIds).toEqual(['u-eval-1']);
    expect(snapshot.context.review).toMatchObject({ round: 1, levelIndex: 1 });

    // Separation of duties survives the migration: the village reviewer cannot approve again.
    expect(decide(snapshot, ev('APPROVE', { ...actors.village, level: 'township' }, '2019-03-04T01:00:00Z')).ok).toBe(false);
    let s = step(snapshot, ev('APPROVE', actors.township, '2019-03-04T01:00:00Z'));
    s = step(s, ev('APPROVE', actors.county, '2019-03-05T01:00:00Z'));
    expect(stateName(s)).toBe('publicity.open');
    s = step(s, ev('NOTICE_PERIOD_ENDED', actors.system, '2019-03-12T01:00:00Z'));
    expect(stateName(s)).toBe('awaitingPlacement');
  });

  it('a version-0 notice with an open objection becomes publicity.objected and keeps its end date', () => {
    const { snapshot } = loadCaseSnapshot(fixture('case-v0-publicity-objected.json'));
    expect(stateName(snapshot)).toBe('publicity.objected');
    expect(snapshot.context.publicity).toMatchObject({ openedAt: '2019-03-04T01:00:00.000Z', endsAt: '2019-03-11T01:00:00.000Z' });
    expect(snapshot.context.policy.reviewChain).toEqual(['township', 'county']);
    const s = step(snapshot, ev('RESOLVE_OBJECTION', actors.officer, '2019-03-12T01:00:00Z', { objectionId: 'obj-1', outcome: 'dismissed', reason: '查无实据' }));
    expect(stateName(s)).toBe('awaitingPlacement');
  });

  it('a current-version snapshot is loaded as it is', () => {
    const v0 = fixture('case-v0-township-review.json');
    const current = migrateSnapshot(v0.snapshot, 0);
    const { snapshot, migrated } = loadCaseSnapshot({ machineId: 'case', machineVersion: CASE_MACHINE_VERSION, snapshot: current });
    expect(migrated).toBe(false);
    expect(snapshot.context).toEqual(current.context);
  });

  it('a version-1 case placed and revisited migrates to version 2 with onboarding null, and goes on', () => {
    const stored = fixture('case-v1-active-centralized.json');
    expect(stored.snapshot.context).not.toHaveProperty('onboarding');
    const { snapshot, migrated } = loadCaseSnapshot(stored);
    expect(migrated).toBe(true);
    expect(CASE_MACHINE_VERSION).toBe(2);
    expect(stateName(snapshot)).toBe('active.monitoring');
    expect(snapshot.context.onboarding).toBeNull();
    expect(snapshot.context.placement).toMatchObject({ mode: 'centralized_support', startDate: '2019-03-12' });
    expect(snapshot.context.revisits).toEqual({ count: 1, lastDate: '2019-05-20' });
    // Everything but the new field is as it was stored.
    const { onboarding: _o, ...rest } = snapshot.context;
    expect(rest).toEqual(stored.snapshot.context);
    const s = step(snapshot, ev('RECORD_REVISIT', actors.visitor, '2019-08-20T01:00:00Z', { date: '2019-08-20', livingConditions: '良好', health: '稳定', problems: '', reassessmentNeeded: false }));
    expect(s.context.revisits).toEqual({ count: 2, lastDate: '2019-08-20' });
    const out = step(s, ev('EXIT', actors.officer, '2019-09-01T01:00:00Z', { reason: 'deceased', date: '2019-08-30' }));
    expect(stateName(out)).toBe('exited');
  });

  it('a version-0 snapshot is carried through both migrations', () => {
    const v2 = migrateSnapshot(fixture('case-v0-township-review.json').snapshot, 0);
    expect(v2.context.onboarding).toBeNull();
    expect(v2.value).toBe('review');
  });

  it('refuses versions it does not know and machines it does not have', () => {
    expect(() => migrateSnapshot({}, CASE_MACHINE_VERSION + 1)).toThrow(SnapshotMigrationError);
    expect(() => migrateSnapshot({}, -1)).toThrow(SnapshotMigrationError);
    expect(() => loadCaseSnapshot({ machineId: 'other', machineVersion: 1, snapshot: {} })).toThrow(SnapshotMigrationError);
  });
});
