CREATE TABLE "guardians" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"region_code" varchar(12) NOT NULL,
	"phone" text DEFAULT '' NOT NULL,
	"max_wards" integer,
	"active" boolean DEFAULT true NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "guardians_kind_check" CHECK ("guardians"."kind" in ('legal_supporter', 'neighbour', 'party_member', 'capable_poor_household')),
	CONSTRAINT "guardians_max_wards_check" CHECK ("guardians"."max_wards" is null or "guardians"."max_wards" >= 1)
);
--> statement-breakpoint
CREATE TABLE "revisits" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"case_id" uuid NOT NULL,
	"date" date NOT NULL,
	"visitor_id" text NOT NULL,
	"living_conditions" text NOT NULL,
	"health" text NOT NULL,
	"problems" text DEFAULT '' NOT NULL,
	"reassessment_needed" boolean NOT NULL,
	"placement_mode" text NOT NULL,
	"recorded_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "cases" ADD COLUMN "guardian_id" uuid;--> statement-breakpoint
ALTER TABLE "revisits" ADD CONSTRAINT "revisits_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "guardians_region_idx" ON "guardians" USING btree ("region_code");--> statement-breakpoint
CREATE INDEX "revisits_case_idx" ON "revisits" USING btree ("case_id","date");--> statement-breakpoint
CREATE INDEX "cases_guardian_open_idx" ON "cases" USING btree ("guardian_id") WHERE not "cases"."closed";