// What the engine is built from and whom it serves.
import type { CasePolicy, ReviewLevel, Role } from '../../machines/index.js';
import type { Db } from '../db/index.js';
import type { Logger } from '../logger.js';
import type { WorkingCalendar } from '../time/calendar.js';
import type { Clock } from '../time/clock.js';
import type { ScopedDeadlinePolicy } from '../time/timeSettings.js';
import type { WebhookTargetPolicy } from './webhookTarget.js';

/** The authenticated caller, as their user record says. `region` is a region-code prefix: their jurisdiction. */
export interface Principal {
  id: string;
  username: string;
  roles: Role[];
  level: ReviewLevel | null;
  region: string;
}

export interface EngineDeps {
  db: Db;
  clock: Clock;
  calendar: WorkingCalendar;
  /** The deadline policy of every scope; `for(villageCode)` is the one in effect for a case. */
  deadlinePolicy: ScopedDeadlinePolicy;
  casePolicy: CasePolicy;
  logger: Logger;
  /** Where webhooks may point: the operator's allow list (WEBHOOK_ALLOW_HOSTS) and the resolver. */
  webhookTargets: WebhookTargetPolicy;
  /** Care rules the service applies around the machine (defaults below). */
  care?: CarePolicy;
  /** Console sessions' lifetime and idle timeout (default 12 h, 30 min). */
  sessionPolicy?: { ttlMs: number; idleMs: number };
  /**
   * Real time for sessions and sign-in limits, when `clock` is a demo clock an admin moves ahead (a session
   * must not expire because the case clock jumped a week). Default: `clock`.
   */
  wallClock?: Clock;
  /** Largest import file, in bytes (config IMPORT_MAX_BYTES; default 20 MiB). */
  importMaxBytes?: number;
}

export interface CarePolicy {
  /** Wards a guardian may have when their registry entry sets no maximum of its own. */
  maxWardsPerGuardian: number;
}

export const defaultCarePolicy: CarePolicy = { maxWardsPerGuardian: 3 };

/** Per-request facts every command records. */
export interface CommandMeta {
  principal: Principal;
  requestId?: string | null;
  /** The caller's own X-Request-Id (if sane), recorded beside ours. */
  clientRequestId?: string | null;
}

/** Roles that work with the person's identity and so see full ID numbers; everyone else sees them masked. */
export const rolesSeeingIdNumbers: readonly Role[] = ['enumerator', 'evaluator', 'officer'];
