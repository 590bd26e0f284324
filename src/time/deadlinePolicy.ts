/**
 * Deadline policy (docs/domain.md, "Deadlines"): the limit of each step, keyed by the machine's `meta.deadline`
 * (review qualified by level). Configurable per deployment; these are the defaults.
 */
import { z } from 'zod';

export const deadlineRuleSchema = z.strictObject({
  amount: z.number().int().min(1),
  unit: z.enum(['working_days', 'calendar_days', 'months']),
});
export type DeadlineRule = z.infer<typeof deadlineRuleSchema>;

const wd = (amount: number): DeadlineRule => ({ amount, unit: 'working_days' });

export const defaultDeadlinePolicy = {
  surveySubmitted: wd(15),
  evaluationStarted: wd(3),
  evaluationSubmitted: wd(15),
  'review.village': wd(5),
  'review.township': wd(5),
  'review.county': wd(15),
  objectionResolved: wd(15),
  refusalNotice: wd(3),
  placement: wd(15),
  /** Whole application: survey submitted → approved. */
  application: wd(30),
  noticePeriod: { amount: 7, unit: 'calendar_days' },
  exitNotice: { amount: 7, unit: 'calendar_days' },
  'revisit.dispersed_care': { amount: 1, unit: 'months' },
  'revisit.centralized_support': { amount: 3, unit: 'months' },
  'revisit.centralized_treatment': { amount: 3, unit: 'months' },
} satisfies Record<string, DeadlineRule>;

export type DeadlinePolicy = Record<string, DeadlineRule>;
