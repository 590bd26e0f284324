/**
 * Domain vocabulary of a household's case (兜底保障 case path). Pure types and zod schemas only.
 *
 * Glossary
 * - household (户): the unit that applies; lives in a village (村), identified by a 12-digit region code.
 * - member: a person in the household. The machine only sees the facts it needs for its rules (no names,
 *   no resident ID numbers: those stay in the service's tables, so snapshots hold no personal identifiers).
 * - labour capacity (劳动能力): `full` / `partial` / `none`. A household with any `full` member is not a
 *   safety-net household.
 * - five categories (五类): elderly 贫困老年人, severe_disability 重度残疾人, serious_illness 重特大病人,
 *   severe_intellectual 重度智力障碍, mental_illness 精神病患者.
 * - screening (筛查): the automatic check of a submitted survey against the category rules; it only builds
 *   the preliminary list (初步名单). The evaluator (逐户评定) confirms or corrects categories with evidence.
 * - review (逐级审核): approval level by level along the review chain (default village 村委会 → township
 *   乡镇政府 → county 县民政局). A round (轮次) is one pass through the chain; RETURN or an upheld objection
 *   starts a new round after the next evaluation.
 * - public notice (公示): 7 calendar days after the last approval; objections (异议) may be lodged.
 * - placement (三个一批): centralized_support 集中供养, centralized_treatment 集中救治, dispersed_care 分散托养.
 * - revisit (回访): periodic visit after placement; exit (退出) ends the case, after a 7-day notice unless the
 *   beneficiary died.
 * - actor: who sends an event — user id, role and (for reviewers) review level. Time (`at`, an ISO-8601
 *   instant) and every identity arrive in events: the machine has no clock and invents no ids.
 */
import { z } from 'zod';

/**
 * `public` (公众) is no user: it is the actor of an objection a villager lodges online through the public notice
 * page (no account). It may send FILE_OBJECTION only, always with channel `online` (rules.ts); no user row can
 * hold it (users_roles_check, GRANTABLE_ROLES).
 */
export const roles = ['enumerator', 'evaluator', 'reviewer', 'officer', 'visitor', 'supervisor', 'admin', 'system', 'public'] as const;
export type Role = (typeof roles)[number];

export const reviewLevels = ['village', 'township', 'county'] as const;
export type ReviewLevel = (typeof reviewLevels)[number];

export const categories = ['elderly', 'severe_disability', 'serious_illness', 'severe_intellectual', 'mental_illness'] as const;
export type Category = (typeof categories)[number];

export const labourCapacities = ['full', 'partial', 'none'] as const;
export type LabourCapacity = (typeof labourCapacities)[number];

export const disabilityTypes = ['physical', 'visual', 'hearing', 'speech', 'intellectual', 'mental'] as const;
export type DisabilityType = (typeof disabilityTypes)[number];

export const placementModes = ['centralized_support', 'centralized_treatment', 'dispersed_care'] as const;
export type PlacementMode = (typeof placementModes)[number];

/** Care facilities take centralized support (集中供养); medical facilities take centralized treatment (集中救治). */
export const careFacilityTypes = ['nursing_home', 'resettlement_site', 'mutual_aid_center'] as const;
export const medicalFacilityTypes = ['county_hospital', 'township_health_center', 'psychiatric_hospital'] as const;
export const facilityTypes = [...careFacilityTypes, ...medicalFacilityTypes] as const;
export type FacilityType = (typeof facilityTypes)[number];

export const guardianKinds = ['legal_supporter', 'neighbour', 'party_member', 'capable_poor_household'] as const;
export type GuardianKind = (typeof guardianKinds)[number];

export const exitReasons = ['deceased', 'moved_away', 'regained_capacity', 'no_longer_eligible', 'other'] as const;
export type ExitReason = (typeof exitReasons)[number];

/** A calendar date, YYYY-MM-DD, that exists (2023-02-29 does not). */
export const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date as YYYY-MM-DD')
  .refine((s) => {
    const d = new Date(`${s}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
  }, 'expected a real calendar date');

/** An instant with an explicit offset, e.g. 2026-03-02T09:00:00+08:00 or ...Z. */
export const isoInstant = z.iso.datetime({ offset: true });

export const nonBlank = (what: string) =>
  z.string().trim().min(1, `${what} must not be blank`).max(4000, `${what} is at most 4000 characters`);

export const regionCode = z.string().regex(/^\d{12}$/, 'expected a 12-digit region code');

/** Six daily-living items (日常生活活动): true = the person manages it alone. */
export const selfCareItems = ['eating', 'dressing', 'toileting', 'bathing', 'indoorMobility', 'transferring'] as const;
export const selfCareSchema = z.strictObject(
  Object.fromEntries(selfCareItems.map((k) => [k, z.boolean()])) as Record<(typeof selfCareItems)[number], z.ZodBoolean>,
);
export type SelfCare = z.infer<typeof selfCareSchema>;

export const disabilitySchema = z.strictObject({
  type: z.enum(disabilityTypes),
  grade: z.number().int().min(1, 'grade is 1 (most severe) to 4').max(4, 'grade is 1 (most severe) to 4'),
});
export type Disability = z.infer<typeof disabilitySchema>;

/** What the machine knows of a member: the facts its rules read, nothing that identifies the person. */
export const memberFactsSchema = z.strictObject({
  id: z.string().min(1),
  birthDate: isoDate,
  labourCapacity: z.enum(labourCapacities),
  disabilities: z.array(disabilitySchema).max(6).default([]),
  seriousIllness: z.string().trim().min(1).max(200).nullable().default(null),
  severeMentalDisorder: z.boolean().default(false),
  selfCare: selfCareSchema.nullable().default(null),
});
export type MemberFacts = z.infer<typeof memberFactsSchema>;

export const householdFactsSchema = z.strictObject({
  villageCode: regionCode,
  hasLegalSupporter: z.boolean(),
  members: z.array(memberFactsSchema).min(1, 'a household has at least one member').max(30),
});
export type HouseholdFacts = z.infer<typeof householdFactsSchema>;

export const actorSchema = z.object({
  id: z.string().min(1),
  role: z.enum(roles),
  level: z.enum(reviewLevels).nullable().optional(),
});
export type Actor = z.infer<typeof actorSchema>;

/** Rules that differ between deployments arrive as machine input, never as module constants. */
export const screeningRulesSchema = z.object({
  elderlyMinAge: z.number().int().min(0).default(60),
  physicalDisabilityMaxGrade: z.number().int().min(1).max(4).default(2),
  visualDisabilityMaxGrade: z.number().int().min(1).max(4).default(1),
  intellectualDisabilityMaxGrade: z.number().int().min(1).max(4).default(3),
  mentalDisabilityMaxGrade: z.number().int().min(1).max(4).default(3),
});
export type ScreeningRules = z.infer<typeof screeningRulesSchema>;

export const casePolicySchema = z.object({
  reviewChain: z
    .array(z.enum(reviewLevels))
    .min(1, 'the review chain needs at least one level')
    .refine((a) => new Set(a).size === a.length, 'a level appears only once in the review chain')
    .default(['village', 'township', 'county']),
  screening: screeningRulesSchema.default(screeningRulesSchema.parse({})),
  noticeDays: z.number().int().min(1).default(7),
  exitNoticeDays: z.number().int().min(1).default(7),
  maxResidentsPerCaregiver: z.number().int().min(1).default(5),
});
export type CasePolicy = z.infer<typeof casePolicySchema>;

export const defaultCasePolicy: CasePolicy = casePolicySchema.parse({});
