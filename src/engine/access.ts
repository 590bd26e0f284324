/**
 * Who may do what, outside the machine's own rules: jurisdiction (a case's village code must start with the
 * caller's region prefix) and which of the caller's roles acts for an event.
 */
import { eventRoles, roleRequiredZh, type Actor, type EventType } from '../../machines/index.js';
import { errors } from '../errors.js';
import type { Principal } from './types.js';

export const inJurisdiction = (p: Principal, villageCode: string) => villageCode.startsWith(p.region);

/**
 * Cases outside the caller's jurisdiction do not exist for them: the answer is CASE_NOT_FOUND, never
 * FORBIDDEN, so that a county-A user cannot even learn that a county-B case id is valid.
 */
export function assertCaseVisible(p: Principal, caseId: string, villageCode: string): void {
  if (!inJurisdiction(p, villageCode)) throw errors.caseNotFound(caseId);
}

/** The actor for an event: the caller with the role the event needs (a user may hold several roles). */
export function actorFor(p: Principal, type: EventType): Actor {
  const needed = eventRoles[type];
  const role = p.roles.find((r) => needed.includes(r));
  if (!role) throw errors.forbidden({ roles: needed }, `${type} is sent by role ${needed.join(' or ')}`, roleRequiredZh(type, needed));
  return { id: p.id, role, level: p.level };
}

/** The role to act as when asking what the caller may do: every role they hold is tried. */
export function actorsOf(p: Principal): Actor[] {
  return p.roles.map((role) => ({ id: p.id, role, level: p.level }));
}
