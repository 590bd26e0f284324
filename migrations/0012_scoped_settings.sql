CREATE TABLE "calendar_years" (
	"year" integer PRIMARY KEY NOT NULL,
	"scope" text DEFAULT 'global' NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"updated_by" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "calendar_years_scope_check" CHECK ("calendar_years"."scope" = 'global')
);
--> statement-breakpoint
-- Years loaded before scopes existed: version 1, by whoever loaded their days (unknown here).
INSERT INTO "calendar_years" ("year", "updated_by") SELECT DISTINCT "year", 'migration' FROM "calendar_days";--> statement-breakpoint
ALTER TABLE "settings" DROP CONSTRAINT "settings_pkey";--> statement-breakpoint
-- Every setting stored before scopes existed applied everywhere: it is the global one.
ALTER TABLE "settings" ADD COLUMN "scope" text DEFAULT 'global' NOT NULL;--> statement-breakpoint
ALTER TABLE "settings" ADD COLUMN "version" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "settings" ADD CONSTRAINT "settings_key_scope_pk" PRIMARY KEY("key","scope");--> statement-breakpoint
ALTER TABLE "settings" ADD CONSTRAINT "settings_scope_check" CHECK ("settings"."scope" = 'global' or "settings"."scope" ~ '^([0-9]{2}|[0-9]{4}|[0-9]{6})$');
--> statement-breakpoint
ALTER TABLE "audit_records" ADD COLUMN "client_request_id" text;