/**
 * Demo data: regions, users, facilities and a handful of cases at different steps. Idempotent: reference data
 * is upserted (a row that already matches is left as it is), and a demo case is told only when no household
 * carries its marker yet, so seeding twice changes nothing the second time. (A story interrupted half-way,
 * e.g. by a crash, is not resumed: its household exists, so the case stays where it stopped.)
 *
 * The cases are driven through the engine's commands, so their audit trails are real. The stories happen
 * over the weeks before `clock.now()`: they are told by an engine built from the same dependencies as the
 * one passed in, but on a manual clock of their own, so the caller's clock (the system clock in main.ts, or
 * a test's ManualClock) is only read, never moved.
 */
import { count, inArray } from 'drizzle-orm';
import { households, insertRegions, insertUser, users, type Db } from '../db/index.js';
import { createEngine, type Engine } from '../engine/index.js';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import { ManualClock, type Clock } from '../time/clock.js';
import { demoCases, tellDemoCase } from './demoCases.js';
import { demoFacilities, upsertDemoFacilities } from './facilities.js';
import { upsertDemoGuardians } from './guardians.js';
import { demoRegions } from './regions.js';
import { hashPassword } from '../auth/password.js';
import { DEMO_PASSWORD, demoUsers, toNewUser } from './users.js';

export { demoCases, type DemoCaseDef } from './demoCases.js';
export { demoFacilities, FACILITY_IDS, type DemoFacility } from './facilities.js';
export { demoGuardians, GUARDIAN_IDS } from './guardians.js';
export { demoRegions, PLACES } from './regions.js';
export { DEMO_PASSWORD, demoUser, demoUsernames, demoUsers, findDemoUser, principalOf, type DemoUser } from './users.js';

export interface SeedDeps {
  db: Db;
  /** The service's engine: its dependencies (policy, calendar, ...) are used to tell the stories. */
  engine: Engine;
  /** The stories end at this clock's current time. */
  clock: Clock;
  logger: Pick<Logger, 'info' | 'warn'>;
}

export interface SeedResult {
  regions: number;
  users: number;
  facilities: number;
  cases: {
    /** Demo cases told by this run. */
    created: number;
    /** Demo cases found already there (by their household's marker). */
    existing: number;
    /** created + existing: the demo cases in the database. */
    total: number;
  };
}

/** True when the database has no users at all: main.ts seeds the demo on a first start. */
export async function isEmptyDatabase(db: Db): Promise<boolean> {
  const [row] = await db.select({ n: count() }).from(users);
  return Number(row?.n ?? 0) === 0;
}

/** Markers of the demo cases whose households are already in the database. */
async function existingMarkers(db: Db): Promise<Set<string>> {
  const markers = demoCases.map((c) => c.marker);
  const rows = await db.select({ poorId: households.poorId }).from(households).where(inArray(households.poorId, markers));
  return new Set(rows.map((r) => r.poorId ?? ''));
}

export async function seedDemo({ db, engine, clock, logger }: SeedDeps): Promise<SeedResult> {
  // One hash for all demo people: they share the README's password anyway, and scrypt is slow on purpose.
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  // Reference data, all or nothing. (Only `tx` inside: PGlite has a single connection.)
  const mismatched = await db.transaction(async (tx) => {
    await insertRegions(tx, demoRegions);
    const wrongIds: string[] = [];
    for (const u of demoUsers) {
      const row = await insertUser(tx, toNewUser(u, passwordHash));
      if (row.id !== u.id) wrongIds.push(u.username);
    }
    await upsertDemoFacilities(tx);
    await upsertDemoGuardians(tx);
    return wrongIds;
  });
  if (mismatched.length > 0) {
    // A user of the same name existed before the seed: it keeps its id, and `npm run token` without a
    // DATABASE_URL would sign tokens for the demo id instead.
    logger.warn({ usernames: mismatched }, 'demo users already existed with other ids; tokens from the demo definitions will not match them');
  }

  const done = await existingMarkers(db);
  const end = clock.now();
  const storyClock = new ManualClock(end);
  const storyEngine = createEngine({ ...engine.deps, db, clock: storyClock });
  let created = 0;
  let existing = done.size;
  for (const def of demoCases) {
    if (done.has(def.marker)) continue;
    try {
      const caseId = await tellDemoCase({ engine: storyEngine, clock: storyClock, end }, def);
      created += 1;
      logger.info({ marker: def.marker, caseId }, `demo case: ${def.summary}`);
    } catch (e) {
      // The household is there under another marker (someone edited its survey): the story was told.
      if (!(e instanceof AppError && e.code === 'DUPLICATE_RESIDENT')) throw e;
      existing += 1;
      logger.warn({ marker: def.marker, caseId: (e.details as { caseId?: string }).caseId }, 'demo case already open under another marker; skipped');
    }
  }

  const result: SeedResult = {
    regions: demoRegions.length,
    users: demoUsers.length,
    facilities: demoFacilities.length,
    cases: { created, existing, total: created + existing },
  };
  logger.info(result, 'demo data seeded');
  return result;
}
