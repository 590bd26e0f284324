-- Bulk imports (批量导入): one row per uploaded file, with the file itself (so a job survives a restart) and its
-- progress. A file is committed at most once per (kind, content, jurisdiction): the partial unique index below
-- is the guarantee, taken as the first write of the commit's transaction.
CREATE TABLE "import_jobs" (
	"id" uuid PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"actor_id" uuid NOT NULL,
	"actor_username" text NOT NULL,
	"scope" text NOT NULL,
	"file_name" text NOT NULL,
	"sha256" text NOT NULL,
	"size_bytes" integer NOT NULL,
	"format" text NOT NULL,
	"file" bytea NOT NULL,
	"options" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"dry_run" boolean DEFAULT true NOT NULL,
	"status" text NOT NULL,
	"rows_read" integer DEFAULT 0 NOT NULL,
	"rows_validated" integer DEFAULT 0 NOT NULL,
	"rows_with_errors" integer DEFAULT 0 NOT NULL,
	"rows_committed" integer DEFAULT 0 NOT NULL,
	"groups" integer DEFAULT 0 NOT NULL,
	"records_committed" integer DEFAULT 0 NOT NULL,
	"issues" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"issues_total" integer DEFAULT 0 NOT NULL,
	"error" jsonb,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"validated_at" timestamp with time zone,
	"committed_at" timestamp with time zone,
	"cancelled_at" timestamp with time zone,
	CONSTRAINT "import_jobs_status_check" CHECK ("import_jobs"."status" in ('validating', 'validated', 'committing', 'committed', 'failed', 'cancelled')),
	CONSTRAINT "import_jobs_format_check" CHECK ("import_jobs"."format" in ('xlsx', 'csv')),
	CONSTRAINT "import_jobs_scope_check" CHECK ("import_jobs"."scope" ~ '^[0-9]{2,12}$'),
	CONSTRAINT "import_jobs_sha256_check" CHECK ("import_jobs"."sha256" ~ '^[0-9a-f]{64}$')
);
--> statement-breakpoint
CREATE UNIQUE INDEX "import_jobs_committed_once" ON "import_jobs" USING btree ("kind","sha256","scope") WHERE "import_jobs"."status" = 'committed';--> statement-breakpoint
CREATE INDEX "import_jobs_actor_idx" ON "import_jobs" USING btree ("actor_id","created_at");--> statement-breakpoint
CREATE INDEX "import_jobs_open_idx" ON "import_jobs" USING btree ("status") WHERE "import_jobs"."status" in ('validating', 'committing');
