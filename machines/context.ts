/**
 * The case machine's context: everything its guards need to decide, and the record of decisions that later
 * rules depend on (who evaluated, who approved in this round, open objections). The audit trail, not the
 * context, is the history of the case.
 */
import type { Agreement, Assessment, FacilityFacts, Guardian } from './events.js';
import type { ScreeningResult } from './screening.js';
import type { Category, CasePolicy, ExitReason, HouseholdFacts, PlacementMode, ReviewLevel } from './types.js';

export interface Approval {
  level: ReviewLevel;
  actorId: string;
  at: string;
  comment?: string;
}

export interface Objection {
  id: string;
  lodgedBy: string;
  channel: string;
  content: string;
  filedBy: string;
  filedAt: string;
  status: 'open' | 'upheld' | 'dismissed';
  resolution?: { by: string; at: string; reason: string };
}

export interface Placement {
  mode: PlacementMode;
  startDate: string;
  placedBy: string;
  placedAt: string;
  facility?: { id: string; name: string; type: FacilityFacts['type'] };
  guardian?: Pick<Guardian, 'id' | 'name' | 'kind' | 'phone' | 'reasonNotLegalSupporter'>;
  agreement?: Agreement;
}

/**
 * How a case onboarded from the old paper process entered the path (machine version 2): the legacy approval
 * and where the record came from. Null for every case that walked the path (and for every v1 snapshot).
 */
export interface Onboarding {
  /** The legacy approval's date (China date) and document number. */
  approvedOn: string;
  legacyReference: string;
  /** Categories the legacy approval recognised, by member id (what an evaluation would have confirmed). */
  categories: Record<string, Category[]>;
  source: 'import' | 'api';
  /** The imported file's SHA-256 and the import job, when it came from a spreadsheet. */
  fileSha256: string | null;
  jobId: string | null;
  importedBy: string;
  importedAt: string;
}

export interface CaseContext {
  caseId: string;
  policy: CasePolicy;
  household: HouseholdFacts;
  survey: { createdBy: string; createdAt: string; submittedBy: string | null; submittedAt: string | null };
  screening: ScreeningResult | null;
  evaluation: {
    startedBy: string | null;
    startedAt: string | null;
    /** Assessments of this evaluation, by member id; kept across RETURN so the evaluator amends, not redoes. */
    assessments: Record<string, Assessment & { by: string; at: string }>;
    submittedBy: string | null;
    submittedAt: string | null;
    conclusion: string | null;
  };
  /** Everyone who ever evaluated this case: none of them may approve it (separation of duties). */
  evaluatorIds: string[];
  review: { round: number; levelIndex: number; approvals: Approval[] };
  lastDecision: { type: 'RETURN' | 'REJECT' | 'UPHELD_OBJECTION'; by: string; at: string; reason: string } | null;
  rejection: {
    by: string;
    at: string;
    level: ReviewLevel;
    reason: string;
    refusalNotice: { noticeNumber: string; servedOn: string; recordedBy: string; recordedAt: string } | null;
  } | null;
  publicity: { round: number; openedAt: string; endsAt: string; objections: Objection[] } | null;
  /** Start of the whole-application clock (survey submitted → approved). */
  applicationSubmittedAt: string | null;
  approvedAt: string | null;
  placement: Placement | null;
  revisits: { count: number; lastDate: string | null };
  reassessment: { requestedBy: string; at: string; reason: string } | null;
  exit: { reason: ExitReason; text: string | null; date: string; by: string; at: string; endsAt: string | null } | null;
  onboarding: Onboarding | null;
}

export interface CaseInput {
  caseId: string;
  policy: CasePolicy;
  household: HouseholdFacts;
  createdBy: string;
  createdAt: string;
}

export function initialContext(input: CaseInput): CaseContext {
  return {
    caseId: input.caseId,
    policy: input.policy,
    household: input.household,
    survey: { createdBy: input.createdBy, createdAt: input.createdAt, submittedBy: null, submittedAt: null },
    screening: null,
    evaluation: emptyEvaluation(),
    evaluatorIds: [],
    review: { round: 0, levelIndex: 0, approvals: [] },
    lastDecision: null,
    rejection: null,
    publicity: null,
    applicationSubmittedAt: null,
    approvedAt: null,
    placement: null,
    revisits: { count: 0, lastDate: null },
    reassessment: null,
    exit: null,
    onboarding: null,
  };
}

export function emptyEvaluation(): CaseContext['evaluation'] {
  return { startedBy: null, startedAt: null, assessments: {}, submittedBy: null, submittedAt: null, conclusion: null };
}

export function currentLevel(ctx: CaseContext): ReviewLevel {
  return ctx.policy.reviewChain[ctx.review.levelIndex];
}

export function openObjections(ctx: CaseContext): Objection[] {
  return ctx.publicity?.objections.filter((o) => o.status === 'open') ?? [];
}

export function addDays(at: string, days: number): string {
  return new Date(Date.parse(at) + days * 86_400_000).toISOString();
}

/**
 * Categories confirmed for the household's members: by the evaluator (the screening's guess until assessed),
 * or — for an onboarded case not yet re-evaluated — by the legacy approval.
 */
export function confirmedCategories(ctx: CaseContext): Set<string> {
  const assessed = Object.values(ctx.evaluation.assessments);
  if (assessed.length === 0 && ctx.onboarding) return new Set(Object.values(ctx.onboarding.categories).flat());
  return new Set(assessed.flatMap((a) => a.categories));
}
