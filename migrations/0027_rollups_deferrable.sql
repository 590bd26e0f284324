-- The report rollup triggers (migration 0019) may be switched off for one transaction that only opens new cases
-- (a bulk import): `set_config('doudi.rollups', 'deferred', true)`. That transaction then adds the rollups of its
-- new cases once, from their definitions (src/db/reportRollup.ts, addRollupsOfNewCasesStmts), instead of updating
-- the same village rows once per case — every update of a row already updated in the same transaction walks all
-- its earlier versions, so 40,000 cases in one transaction were quadratic. Any other transaction is unchanged:
-- the setting is unset (NULL) there, and set_config(..., true) ends with the transaction.
DROP TRIGGER "report_cases_rollup" ON "cases";
--> statement-breakpoint
CREATE TRIGGER "report_cases_rollup"
  AFTER INSERT OR UPDATE OF state, placement_mode, village_code, household_id ON "cases"
  FOR EACH ROW WHEN (current_setting('doudi.rollups', true) IS DISTINCT FROM 'deferred')
  EXECUTE FUNCTION "report_cases_rollup"();
--> statement-breakpoint
DROP TRIGGER "report_members_rollup" ON "members";
--> statement-breakpoint
CREATE TRIGGER "report_members_rollup"
  AFTER INSERT OR DELETE OR UPDATE OF categories, household_id ON "members"
  FOR EACH ROW WHEN (current_setting('doudi.rollups', true) IS DISTINCT FROM 'deferred')
  EXECUTE FUNCTION "report_members_rollup"();
--> statement-breakpoint
DROP TRIGGER "report_audit_rollup" ON "audit_records";
--> statement-breakpoint
CREATE TRIGGER "report_audit_rollup"
  AFTER INSERT ON "audit_records"
  FOR EACH ROW WHEN (current_setting('doudi.rollups', true) IS DISTINCT FROM 'deferred')
  EXECUTE FUNCTION "report_audit_rollup"();
--> statement-breakpoint
DROP TRIGGER "report_revisits_rollup" ON "revisits";
--> statement-breakpoint
CREATE TRIGGER "report_revisits_rollup"
  AFTER INSERT ON "revisits"
  FOR EACH ROW WHEN (current_setting('doudi.rollups', true) IS DISTINCT FROM 'deferred')
  EXECUTE FUNCTION "report_revisits_rollup"();
