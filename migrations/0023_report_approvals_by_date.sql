-- The approval-time report reads one period's approvals of a scope: by approval date first, with n INCLUDEd so a
-- city's year is an index-only range scan (drizzle cannot express INCLUDE; the schema declares the keys only).
CREATE INDEX "report_approvals_approved_idx" ON "report_approvals" USING btree ("approved_on","village_code","submitted_on") INCLUDE ("n");
