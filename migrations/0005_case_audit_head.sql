ALTER TABLE "cases" ADD COLUMN "audit_seq" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "cases" ADD COLUMN "audit_head" char(64);--> statement-breakpoint
-- Existing chains: the head is the newest record of each case.
UPDATE "cases" AS c SET "audit_seq" = h.seq, "audit_head" = h.hash
FROM (SELECT DISTINCT ON (case_id) case_id, seq, hash FROM "audit_records" ORDER BY case_id, seq DESC) AS h
WHERE h.case_id = c.id;--> statement-breakpoint
ALTER TABLE "cases" ADD CONSTRAINT "cases_audit_head_check" CHECK (("cases"."audit_seq" = 0) = ("cases"."audit_head" is null));
