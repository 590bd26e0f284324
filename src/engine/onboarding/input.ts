/**
 * A household to onboard (存量纳入) as a client sends it: the survey of POST /households (the same schema and
 * the same GB 11643 checks), each member's categories as the legacy approval recognised them, the legacy
 * approval (date and document number), and the placement it already has — named by registry ids, like PLACE —
 * or none (the household then waits for placement). Validated here once.
 */
import { z } from 'zod';
import { agreementSchema, categories, isoDate, nonBlank, placementModes } from '../../../machines/index.js';
import { errors, type FieldIssue } from '../../errors.js';
import { zodIssues } from '../eventInput.js';
import { checkMembers, householdInputSchema, memberInputSchema, type HouseholdInput } from '../surveyInput.js';
import type { AppError } from '../../errors.js';

export const onboardPlacementInputSchema = z.strictObject({
  mode: z.enum(placementModes),
  startDate: isoDate,
  facilityId: z.uuid('expected a facility id').optional(),
  guardianId: z.uuid('expected a guardian id from the guardian registry').optional(),
  /** The township appointed this guardian (乡镇指定) — needed unless the legal supporter. */
  appointedByTownship: z.boolean().default(false),
  reasonNotLegalSupporter: z.string().trim().max(4000).optional(),
  agreement: agreementSchema.optional(),
});

export const onboardMemberInputSchema = memberInputSchema.extend({
  /** The five categories (五类) the legacy approval recognised for this member; empty for a member in none. */
  categories: z.array(z.enum(categories)).max(5).default([]),
});

export const onboardHouseholdInputSchema = householdInputSchema.extend({
  members: z.array(onboardMemberInputSchema).min(1, 'a household has at least one member').max(30),
  /** The legacy approval: its date (China date) and document number (原审批文号). */
  approvedOn: isoDate,
  legacyReference: nonBlank('legacyReference').pipe(z.string().max(100)),
  /** Null: approved but not yet placed (the case waits in awaitingPlacement). */
  placement: onboardPlacementInputSchema.nullable(),
  /** The last revisit under the old process, if any: the next is due one interval after it. */
  lastRevisitDate: isoDate.nullable().default(null),
});
export type OnboardHouseholdInput = z.infer<typeof onboardHouseholdInputSchema>;
export type OnboardPlacementInput = z.infer<typeof onboardPlacementInputSchema>;

/** POST /onboarding/households: up to 500 households, written all or nothing. */
export const onboardBatchInputSchema = z.strictObject({
  households: z.array(onboardHouseholdInputSchema).min(1, 'send at least one household').max(500, 'at most 500 households a request; import a spreadsheet for more'),
});

/** The survey part of an onboarded household (what POST /households would have taken). */
export function surveyPart(h: OnboardHouseholdInput): HouseholdInput {
  return {
    villageCode: h.villageCode, address: h.address, poorId: h.poorId, legalSupporter: h.legalSupporter,
    members: h.members.map(({ categories: _c, ...m }) => m),
  };
}

/**
 * Parses a batch body. Shape problems are refused at once (VALIDATION_FAILED naming body.households[i]...);
 * the ID-number checks run per household, each household's problems reported as its own refusal.
 */
export function parseOnboardBatch(body: unknown): OnboardHouseholdInput[] {
  const parsed = onboardBatchInputSchema.safeParse(body);
  if (!parsed.success) throw errors.validationFailed(zodIssues(parsed.error, 'body'));
  return parsed.data.households;
}

/** The GB 11643 checks of the survey, with paths under `path`; null when the household passes. */
export function memberProblems(h: OnboardHouseholdInput, path: string): AppError | null {
  try {
    const checked = checkMembers(surveyPart(h), path);
    h.members.forEach((m, i) => (m.idNumber = checked.members[i].idNumber)); // upper-cased X
    return null;
  } catch (e) {
    if ((e as AppError).code === 'VALIDATION_FAILED') return e as AppError;
    throw e;
  }
}

export type { FieldIssue };
