// The engine: commands and queries over cases, built from its dependencies in one place.
import { createCare } from './care.js';
import { createCommands } from './commands.js';
import { createDocuments } from './documents.js';
import { createDocumentTexts } from './documentTexts.js';
import { createIncome } from './income.js';
import { createIncomeReport } from './incomeReport.js';
import { createDividendReferences } from './dividendReferences.js';
import { createProjection } from './projection.js';
import { createNotificationQueries } from './notifications.js';
import { createQueries } from './queries.js';
import { createOverdue } from './overdue.js';
import { createReference } from './reference.js';
import { createReports } from './reports.js';
import { createTimerAdmin } from './timerAdmin.js';
import { createAccounts } from './accounts.js';
import { createTimeSettings } from './timeSettings.js';
import type { EngineDeps } from './types.js';
import { operationalCounts as readOperationalCounts } from '../db/index.js';
import { createWebhookCommands } from './webhooks.js';
import { createWorklist } from './worklist.js';
import { createExports } from './exports.js';
import { createPublicNotice } from './publicNotice.js';
import { createPublicObjection } from './publicObjection.js';
import { createOnboarding } from './onboarding/index.js';
import { createCaseloadKind } from '../imports/kinds/caseload.js';
import { createFacilitiesKind, createGuardiansKind } from '../imports/kinds/registries.js';
import { createImports } from './imports/jobs.js';
import { createSurveyKind } from './imports/surveyKind.js';
import { defaultCarePolicy } from './types.js';

export function createEngine(deps: EngineDeps) {
  const commands = createCommands(deps);
  /** The shared counts /metrics reports (timers due and failed, the webhook outbox), as of the engine's clock. */
  const imports = createImports(deps, { maxBytes: deps.importMaxBytes ?? 20 * 1024 * 1024 });
  imports.register(createSurveyKind(() => ({ calendar: deps.calendar, deadlinePolicy: deps.deadlinePolicy, casePolicy: deps.casePolicy, care: deps.care ?? defaultCarePolicy })));
  // Onboarding an existing caseload (存量纳入): the registries first, then the households that name them.
  const onboarding = createOnboarding(deps);
  imports.register(createFacilitiesKind());
  imports.register(createGuardiansKind());
  imports.register(createCaseloadKind(onboarding));
  const operationalCounts = () => readOperationalCounts(deps.db, deps.clock.now());
  return { ...commands, operationalCounts, ...createQueries(deps), ...createReference(deps), ...createCare(deps), ...createOverdue(deps), ...createReports(deps), ...createTimeSettings(deps), ...createTimerAdmin(deps), ...createNotificationQueries(deps), ...createWebhookCommands(deps), ...createWorklist(deps), ...createExports(deps), ...createIncome(deps), ...createDocumentTexts(deps), ...createIncomeReport(deps), ...createDividendReferences(deps), ...createProjection(deps), ...onboarding, ...createPublicNotice(deps), ...createPublicObjection(deps), accounts: createAccounts(deps), documents: createDocuments(deps, deps.documents ?? { publicBaseUrl: 'http://localhost:3000' }), imports, deps };
}

export type Engine = ReturnType<typeof createEngine>;
export type { Principal, EngineDeps, CommandMeta } from './types.js';
export { householdInputSchema, memberInputSchema } from './surveyInput.js';
export { eventInputSchemas } from './eventInput.js';
export { incomeYearInputSchema, incomeLineSchema, INCOME_RECORDED } from './income.js';
export { dividendReferenceInputSchema } from './dividendReferences.js';
export { createIncomeReport } from './incomeReport.js';
export { projectionParametersSchema, whatIfInputSchema } from './projection.js';
export { onboardBatchInputSchema } from './onboarding/index.js';
