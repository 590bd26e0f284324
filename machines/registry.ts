/**
 * Registry of machine definitions by (machine id, version): the service stores both with every case and
 * loads through here, so a snapshot written by an older build is migrated before it is used.
 */
import { caseMachine, CASE_MACHINE_ID, CASE_MACHINE_VERSION } from './caseMachine.js';
import { fromPersisted, type CaseSnapshot } from './decide.js';
import { migrateSnapshot, SnapshotMigrationError } from './migrations.js';

export const machines = {
  [CASE_MACHINE_ID]: { version: CASE_MACHINE_VERSION, definition: caseMachine, migrate: migrateSnapshot },
} as const;

export interface StoredCaseSnapshot {
  machineId: string;
  machineVersion: number;
  snapshot: unknown;
}

/** Load a stored case snapshot, migrating it to the current version; `migrated` says whether it was older. */
export function loadCaseSnapshot(stored: StoredCaseSnapshot): { snapshot: CaseSnapshot; migrated: boolean } {
  if (stored.machineId !== CASE_MACHINE_ID) throw new SnapshotMigrationError(`unknown machine ${stored.machineId}`);
  const persisted = migrateSnapshot(stored.snapshot, stored.machineVersion);
  return { snapshot: fromPersisted(persisted), migrated: stored.machineVersion !== CASE_MACHINE_VERSION };
}
