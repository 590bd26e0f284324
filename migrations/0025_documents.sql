CREATE TABLE "issued_documents" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"code" text NOT NULL,
	"kind" text NOT NULL,
	"village_code" varchar(12) NOT NULL,
	"case_ids" uuid[] NOT NULL,
	"sha256" text NOT NULL,
	"issued_by" uuid NOT NULL,
	"issued_at" timestamp with time zone NOT NULL,
	"public_view" jsonb,
	CONSTRAINT "issued_documents_code_unique" UNIQUE("code"),
	CONSTRAINT "issued_documents_code_check" CHECK ("issued_documents"."code" ~ '^[0-9A-HJKMNP-TV-Z]{8}$'),
	CONSTRAINT "issued_documents_kind_check" CHECK ("issued_documents"."kind" in ('publicity_list', 'refusal_notice', 'care_agreement', 'revisit_form', 'exit_notice')),
	CONSTRAINT "issued_documents_village_check" CHECK ("issued_documents"."village_code" ~ '^[0-9]{12}$'),
	CONSTRAINT "issued_documents_sha256_check" CHECK ("issued_documents"."sha256" ~ '^[0-9a-f]{64}$'),
	CONSTRAINT "issued_documents_public_view_check" CHECK (("issued_documents"."kind" = 'publicity_list') = ("issued_documents"."public_view" is not null))
);
--> statement-breakpoint
CREATE INDEX "issued_documents_sha256_idx" ON "issued_documents" USING btree ("sha256");--> statement-breakpoint
CREATE INDEX "issued_documents_village_idx" ON "issued_documents" USING btree ("village_code","issued_at");--> statement-breakpoint
-- The registry is append-only, as the audit trail: a printed document, once issued, is never rewritten
-- (trigger function of the accounts migration, 0009; the runtime role then gets only SELECT and INSERT).
CREATE TRIGGER "issued_documents_append_only" BEFORE UPDATE OR DELETE ON "issued_documents"
  FOR EACH ROW EXECUTE FUNCTION "append_only_refuse_change"();
--> statement-breakpoint
CREATE TRIGGER "issued_documents_no_truncate" BEFORE TRUNCATE ON "issued_documents"
  FOR EACH STATEMENT EXECUTE FUNCTION "append_only_refuse_change"();
