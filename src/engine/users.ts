/**
 * Is a token's user still a user? Tokens live for hours; a user removed or deactivated meanwhile must lose
 * access sooner. Answers are cached briefly (30 s) so the check costs a query per user per half minute, not
 * per request.
 */
import { findUserById } from '../db/index.js';
import { errors } from '../errors.js';
import { isUuid } from '../db/uuid.js';
import type { EngineDeps, Principal } from './types.js';

const TTL_MS = 30_000;

export function createUserChecks(deps: EngineDeps) {
  const cache = new Map<string, { active: boolean; until: number }>();

  async function assertActiveUser(p: Principal): Promise<void> {
    const now = Date.now(); // wall time on purpose: the cache is about this process, not the case clock
    let entry = cache.get(p.id);
    if (!entry || entry.until < now) {
      const user = isUuid(p.id) ? await findUserById(deps.db, p.id) : null;
      entry = { active: !!user?.active, until: now + TTL_MS };
      if (cache.size > 10_000) cache.clear();
      cache.set(p.id, entry);
    }
    if (!entry.active) throw errors.unauthenticated('This user no longer exists or has been deactivated');
  }

  return { assertActiveUser };
}
