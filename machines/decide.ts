/**
 * Deciding an event: the one entry point the service uses. Decide first, then act — this module only
 * computes the next snapshot (XState's pure `transition`), it never stores or sends anything.
 */
import {
  __unsafe_getAllOwnEventDescriptors as ownEventDescriptors,
  initialTransition,
  transition,
  type AnyStateNode,
  type SnapshotFrom,
  type StateValue,
} from 'xstate';
import { caseMachine, type StateMeta } from './caseMachine.js';
import { currentLevel, type CaseContext, type CaseInput } from './context.js';
import { allEventTypes, eventTypes, payloadSchemas, type CaseEvent, type EventType } from './events.js';
import { authorizationViolations, violations, type Violation } from './rules.js';
import type { Actor, Role } from './types.js';

export type CaseSnapshot = SnapshotFrom<typeof caseMachine>;

/** What is stored for a case: plain JSON, no functions, no pending delays. */
export interface PersistedCase {
  value: StateValue;
  context: CaseContext;
  status: 'active' | 'done';
}

export function startCase(input: CaseInput): CaseSnapshot {
  return initialTransition(caseMachine, input)[0];
}

export function toPersisted(s: CaseSnapshot): PersistedCase {
  // Round-trip through JSON so what we hand to storage is exactly what comes back from it.
  return JSON.parse(JSON.stringify({ value: s.value, context: s.context, status: s.status === 'done' ? 'done' : 'active' }));
}

export function fromPersisted(p: PersistedCase): CaseSnapshot {
  return caseMachine.resolveState({ value: p.value, context: p.context });
}

/** Dotted state path, e.g. `publicity.objected`; the first segment is the contract state name. */
export function stateName(s: CaseSnapshot | PersistedCase): string {
  const parts: string[] = [];
  let v: StateValue = s.value;
  while (typeof v !== 'string') {
    const [k] = Object.keys(v);
    parts.push(k);
    v = (v as Record<string, StateValue>)[k];
  }
  parts.push(v);
  return parts.join('.');
}

export const topState = (s: CaseSnapshot | PersistedCase) => stateName(s).split('.')[0];

/** Event types a client may send that the current state (or an ancestor) has a transition for, guards aside. */
export function handledEvents(s: CaseSnapshot): EventType[] {
  const own = new Set(ownEventDescriptors(s) as string[]);
  return eventTypes.filter((t) => own.has(t));
}

/** Meta of the active states, deepest last. */
function activeMeta(s: CaseSnapshot): StateMeta[] {
  const meta = s.getMeta() as Record<string, StateMeta | undefined>;
  return Object.keys(meta)
    .sort((a, b) => a.split('.').length - b.split('.').length)
    .map((k) => meta[k])
    .filter((m): m is StateMeta => m !== undefined);
}

/**
 * The deadline policy key of the step the case is in, or null: the deepest active state's `meta.deadline`,
 * review qualified by its level (`review.township`) because each level has its own limit.
 */
export function deadlineKey(s: CaseSnapshot): string | null {
  const key = activeMeta(s).reverse().find((m) => m.deadline)?.deadline ?? null;
  return key === 'review' ? `review.${currentLevel(s.context)}` : key;
}

/** The role whose inbox holds the case now, if any. */
export function waitsOn(s: CaseSnapshot): Role | null {
  return activeMeta(s).reverse().find((m) => m.waitsOn)?.waitsOn ?? null;
}

/** Every leaf state name (dotted) whose case waits on this role: the inbox query's state list. */
export function statesWaitingOn(role: Role): string[] {
  const out: string[] = [];
  const visit = (node: AnyStateNode, inherited: Role | undefined) => {
    const own = (node.meta as StateMeta | undefined)?.waitsOn ?? inherited;
    const children = Object.values(node.states) as AnyStateNode[];
    if (children.length === 0 && own === role) out.push(node.path.join('.'));
    for (const c of children) visit(c, own);
  };
  visit(caseMachine.root as AnyStateNode, undefined);
  return out;
}

/** zh-CN label of the deepest active state. */
export function stateLabel(s: CaseSnapshot): string {
  return activeMeta(s).at(-1)?.label ?? stateName(s);
}

export type Decision =
  | { ok: true; before: string; after: string; snapshot: CaseSnapshot }
  | { ok: false; refusal: 'EVENT_NOT_ALLOWED'; state: string; allowedEvents: EventType[] }
  | { ok: false; refusal: 'VIOLATIONS'; state: string; violations: Violation[] };

/**
 * Decide an event: refused because the state has no such step (EVENT_NOT_ALLOWED), refused by a rule
 * (VIOLATIONS, authorization ones first), or the next snapshot. The event's payload is expected to have
 * been validated against `payloadSchemas` already.
 */
export function decide(s: CaseSnapshot, event: CaseEvent): Decision {
  const state = stateName(s);
  const handled = handledEvents(s);
  // Genesis events (ONBOARD) are handled by the state but never listed as a client's next step.
  const own = new Set(ownEventDescriptors(s) as string[]);
  if (!allEventTypes.some((t) => t === event.type && own.has(t))) return { ok: false, refusal: 'EVENT_NOT_ALLOWED', state, allowedEvents: handled };
  const found = violations(s.context, event);
  if (found.length > 0) return { ok: false, refusal: 'VIOLATIONS', state, violations: found };
  const [next] = transition(caseMachine, s, event);
  if (next === s || (stateName(next) === state && next.context === s.context)) {
    // Every handled event either passes its rules and moves, or is refused above; reaching here means the
    // definition and rules.ts disagree — refuse rather than write an audit record for nothing.
    return { ok: false, refusal: 'EVENT_NOT_ALLOWED', state, allowedEvents: handled };
  }
  return { ok: true, before: state, after: stateName(next), snapshot: next };
}

/**
 * The events this actor may send now: handled by the state, sent by their role (and level), and — for
 * events without a payload — passing every rule (so a reviewer who evaluated the case is not offered APPROVE).
 */
export function allowedEventsFor(s: CaseSnapshot, actor: Actor, at: string): EventType[] {
  return handledEvents(s).filter((type) => {
    const bare = payloadSchemas[type].safeParse({});
    const event = { ...(bare.success ? bare.data : {}), type, actor, at } as CaseEvent;
    if (authorizationViolations(s.context, event).length > 0) return false;
    return !bare.success || violations(s.context, event).length === 0;
  });
}
