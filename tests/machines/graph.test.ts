// Tests generated from the definition: every state reachable, and in every state every event the state
// does not accept refused — by the machine itself (XState's pure transition) and by decide().
import { describe, expect, it } from 'vitest';
import { transition, type AnyStateNode } from 'xstate';
import { caseMachine } from '../../machines/caseMachine.js';
import { decide, handledEvents, startCase, stateName } from '../../machines/decide.js';
import { eventRoles, eventTypes } from '../../machines/events.js';
import { roles, type Role } from '../../machines/types.js';
import { actors, caseInput, sunHousehold } from '../helpers/caseFixtures.js';
import { exampleEvents, walk } from '../helpers/caseWalker.js';

function leafStates(node: AnyStateNode = caseMachine.root): string[] {
  const children = Object.values(node.states) as AnyStateNode[];
  if (children.length === 0) return [node.path.join('.')];
  return children.flatMap((c) => leafStates(c));
}

const failing = sunHousehold();
failing.members[1].labourCapacity = 'full';
const starts = [startCase(caseInput()), startCase({ ...caseInput(failing), caseId: 'case-fail' })];
const reached = [...walk(starts, '2019-03-01T02:00:00Z').values()];
const reachedStates = new Set(reached.map((r) => stateName(r.snapshot)));

describe('case machine, generated from its definition', () => {
  it('reaches every state (the transient screening state resolves at once)', () => {
    const all = leafStates().filter((s) => s !== 'screening');
    expect(all.length).toBe(14);
    expect([...reachedStates].sort()).toEqual([...all].sort());
    expect(reachedStates.has('screening')).toBe(false);
  });

  it('leaves the final state `exited` with status done and no event accepted', () => {
    const exited = reached.filter((r) => stateName(r.snapshot) === 'exited');
    expect(exited.length).toBeGreaterThan(0);
    for (const r of exited) {
      expect(r.snapshot.status).toBe('done');
      expect(handledEvents(r.snapshot)).toEqual([]);
    }
  });

  const byState = new Map<string, typeof reached>();
  for (const r of reached) byState.set(stateName(r.snapshot), [...(byState.get(stateName(r.snapshot)) ?? []), r]);

  for (const [state, snapshots] of byState) {
    it(`in ${state} refuses every event the state does not accept (${snapshots.length} snapshot(s))`, () => {
      for (const r of snapshots) {
        const handled = new Set(handledEvents(r.snapshot));
        const examples = exampleEvents(r.snapshot, r.at);
        const refusedTypes = eventTypes.filter((t) => !handled.has(t));
        for (const event of examples.filter((e) => refusedTypes.includes(e.type))) {
          const d = decide(r.snapshot, event);
          expect(d.ok, `${event.type} in ${state}`).toBe(false);
          if (!d.ok) expect(d.refusal).toBe('EVENT_NOT_ALLOWED');
          // The machine itself, without decide(): no transition, no context change.
          const [next] = transition(caseMachine, r.snapshot, event);
          expect(stateName(next)).toBe(state);
          expect(next.context).toEqual(r.snapshot.context);
          expect(r.snapshot.can(event)).toBe(false);
        }
      }
    });

    it(`in ${state} refuses every accepted event sent by a role that may not send it`, () => {
      for (const r of snapshots) {
        for (const event of exampleEvents(r.snapshot, r.at)) {
          if (!handledEvents(r.snapshot).includes(event.type)) continue;
          for (const role of roles.filter((x) => !eventRoles[event.type].includes(x)) as Role[]) {
            const wrong = { ...event, actor: { id: `someone-${role}`, role, level: 'county' as const } };
            const d = decide(r.snapshot, wrong);
            expect(d.ok, `${event.type} by ${role} in ${state}`).toBe(false);
            if (!d.ok && d.refusal === 'VIOLATIONS') expect(d.violations[0].kind).toBe('authorization');
            expect(r.snapshot.can(wrong)).toBe(false);
          }
        }
      }
    });
  }

  it('every event type is accepted somewhere', () => {
    const accepted = new Set(reached.flatMap((r) => handledEvents(r.snapshot)));
    expect([...accepted].sort()).toEqual([...eventTypes].sort());
  });

  it('a supervisor can send nothing anywhere (read-only role)', () => {
    for (const r of reached) {
      for (const event of exampleEvents(r.snapshot, r.at)) {
        expect(decide(r.snapshot, { ...event, actor: actors.supervisor }).ok).toBe(false);
      }
    }
  });
});
