CREATE TABLE "export_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"actor_id" uuid NOT NULL,
	"actor_username" text NOT NULL,
	"actor_roles" text[] NOT NULL,
	"export" text NOT NULL,
	"format" text NOT NULL,
	"scope" text NOT NULL,
	"filters" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"row_count" integer NOT NULL,
	"outcome" text NOT NULL,
	"id_numbers" text NOT NULL,
	"request_id" text,
	CONSTRAINT "export_log_format_check" CHECK ("export_log"."format" in ('xlsx', 'csv')),
	CONSTRAINT "export_log_outcome_check" CHECK ("export_log"."outcome" in ('completed', 'aborted', 'failed')),
	CONSTRAINT "export_log_id_numbers_check" CHECK ("export_log"."id_numbers" in ('full', 'masked', 'none')),
	CONSTRAINT "export_log_row_count_check" CHECK ("export_log"."row_count" >= 0),
	CONSTRAINT "export_log_scope_check" CHECK ("export_log"."scope" ~ '^[0-9]{2,12}$')
);
--> statement-breakpoint
CREATE INDEX "export_log_scope_idx" ON "export_log" USING btree ("scope","id");--> statement-breakpoint
-- The export log is append-only, with the trigger function of the accounts migration (0009).
CREATE TRIGGER "export_log_append_only" BEFORE UPDATE OR DELETE ON "export_log"
  FOR EACH ROW EXECUTE FUNCTION "append_only_refuse_change"();
--> statement-breakpoint
CREATE TRIGGER "export_log_no_truncate" BEFORE TRUNCATE ON "export_log"
  FOR EACH STATEMENT EXECUTE FUNCTION "append_only_refuse_change"();
