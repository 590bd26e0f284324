CREATE TABLE "audit_records" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"case_id" uuid NOT NULL,
	"seq" integer NOT NULL,
	"event_type" text NOT NULL,
	"payload" jsonb NOT NULL,
	"actor_id" text NOT NULL,
	"actor_role" text NOT NULL,
	"state_before" text,
	"state_after" text NOT NULL,
	"machine_version" integer NOT NULL,
	"request_id" text,
	"at" timestamp with time zone NOT NULL,
	"prev_hash" char(64),
	"hash" char(64) NOT NULL,
	CONSTRAINT "audit_records_case_seq_unique" UNIQUE("case_id","seq"),
	CONSTRAINT "audit_records_seq_check" CHECK ("audit_records"."seq" >= 1),
	CONSTRAINT "audit_records_prev_hash_check" CHECK (("audit_records"."seq" = 1) = ("audit_records"."prev_hash" is null)),
	CONSTRAINT "audit_records_hash_check" CHECK ("audit_records"."hash" ~ '^[0-9a-f]{64}$')
);
--> statement-breakpoint
CREATE TABLE "cases" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"household_id" uuid NOT NULL,
	"machine_id" text NOT NULL,
	"machine_version" integer NOT NULL,
	"snapshot" jsonb NOT NULL,
	"state" text NOT NULL,
	"review_level" text,
	"row_version" integer DEFAULT 1 NOT NULL,
	"village_code" varchar(12) NOT NULL,
	"township_code" varchar(9) NOT NULL,
	"county_code" varchar(6) NOT NULL,
	"deadline_key" text,
	"deadline_at" timestamp with time zone,
	"application_deadline_at" timestamp with time zone,
	"opened_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"closed" boolean DEFAULT false NOT NULL,
	CONSTRAINT "cases_village_code_check" CHECK ("cases"."village_code" ~ '^[0-9]{12}$'),
	CONSTRAINT "cases_township_code_check" CHECK ("cases"."township_code" = left("cases"."village_code", 9)),
	CONSTRAINT "cases_county_code_check" CHECK ("cases"."county_code" = left("cases"."village_code", 6)),
	CONSTRAINT "cases_row_version_check" CHECK ("cases"."row_version" >= 1)
);
--> statement-breakpoint
CREATE TABLE "facilities" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"type" text NOT NULL,
	"region_code" varchar(12) NOT NULL,
	"beds" integer DEFAULT 0 NOT NULL,
	"caregivers" integer DEFAULT 0 NOT NULL,
	"medical_staff" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "facilities_type_check" CHECK ("facilities"."type" in ('nursing_home', 'resettlement_site', 'mutual_aid_center', 'county_hospital', 'township_health_center', 'psychiatric_hospital')),
	CONSTRAINT "facilities_region_code_check" CHECK ("facilities"."region_code" ~ '^[0-9]{12}$'),
	CONSTRAINT "facilities_beds_check" CHECK ("facilities"."beds" >= 0),
	CONSTRAINT "facilities_caregivers_check" CHECK ("facilities"."caregivers" >= 0),
	CONSTRAINT "facilities_medical_staff_check" CHECK ("facilities"."medical_staff" >= 0)
);
--> statement-breakpoint
CREATE TABLE "households" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"village_code" varchar(12) NOT NULL,
	"address" text NOT NULL,
	"poor_id" text,
	"legal_supporter" jsonb,
	"created_by" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "households_village_code_check" CHECK ("households"."village_code" ~ '^[0-9]{12}$')
);
--> statement-breakpoint
CREATE TABLE "idempotency_keys" (
	"actor_id" text NOT NULL,
	"key" text NOT NULL,
	"case_id" uuid,
	"request_hash" char(64) NOT NULL,
	"status_code" integer NOT NULL,
	"response" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "idempotency_keys_pk" PRIMARY KEY("actor_id","key")
);
--> statement-breakpoint
CREATE TABLE "members" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"household_id" uuid NOT NULL,
	"position" integer NOT NULL,
	"name" text NOT NULL,
	"id_number" varchar(18) NOT NULL,
	"birth_date" date NOT NULL,
	"sex" text NOT NULL,
	"relation" text NOT NULL,
	"labour_capacity" text NOT NULL,
	"disabilities" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"serious_illness" text,
	"severe_mental_disorder" boolean DEFAULT false NOT NULL,
	"self_care" jsonb,
	"categories" text[] DEFAULT '{}'::text[] NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "members_household_position_unique" UNIQUE("household_id","position"),
	CONSTRAINT "members_id_number_check" CHECK (char_length("members"."id_number") = 18),
	CONSTRAINT "members_sex_check" CHECK ("members"."sex" in ('male', 'female')),
	CONSTRAINT "members_labour_capacity_check" CHECK ("members"."labour_capacity" in ('full', 'partial', 'none')),
	CONSTRAINT "members_disabilities_check" CHECK (jsonb_typeof("members"."disabilities") = 'array'),
	CONSTRAINT "members_categories_check" CHECK ("members"."categories" <@ ARRAY['elderly', 'severe_disability', 'serious_illness', 'severe_intellectual', 'mental_illness']::text[])
);
--> statement-breakpoint
CREATE TABLE "regions" (
	"code" varchar(12) PRIMARY KEY NOT NULL,
	"level" text NOT NULL,
	"parent_code" varchar(12),
	"name" text NOT NULL,
	CONSTRAINT "regions_level_check" CHECK ("regions"."level" in ('province', 'prefecture', 'county', 'township', 'village')),
	CONSTRAINT "regions_code_shape_check" CHECK ("regions"."code" ~ case "regions"."level" when 'province' then '^[0-9]{2}0{10}$' when 'prefecture' then '^[0-9]{4}0{8}$' when 'county' then '^[0-9]{6}0{6}$' when 'township' then '^[0-9]{9}000$' else '^[0-9]{12}$' end)
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"username" text NOT NULL,
	"display_name" text NOT NULL,
	"roles" text[] DEFAULT '{}'::text[] NOT NULL,
	"review_level" text,
	"jurisdiction" text NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "users_username_unique" UNIQUE("username"),
	CONSTRAINT "users_roles_check" CHECK ("users"."roles" <@ ARRAY['enumerator', 'evaluator', 'reviewer', 'officer', 'visitor', 'supervisor', 'admin', 'system']::text[]),
	CONSTRAINT "users_review_level_check" CHECK ("users"."review_level" is null or "users"."review_level" in ('village', 'township', 'county')),
	CONSTRAINT "users_jurisdiction_check" CHECK ("users"."jurisdiction" ~ '^[0-9]+$' and char_length("users"."jurisdiction") in (2, 4, 6, 9, 12))
);
--> statement-breakpoint
ALTER TABLE "audit_records" ADD CONSTRAINT "audit_records_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cases" ADD CONSTRAINT "cases_household_id_households_id_fk" FOREIGN KEY ("household_id") REFERENCES "public"."households"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "members" ADD CONSTRAINT "members_household_id_households_id_fk" FOREIGN KEY ("household_id") REFERENCES "public"."households"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "regions" ADD CONSTRAINT "regions_parent_fk" FOREIGN KEY ("parent_code") REFERENCES "public"."regions"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "cases_county_state_idx" ON "cases" USING btree ("county_code","state");--> statement-breakpoint
CREATE INDEX "cases_state_deadline_idx" ON "cases" USING btree ("state","deadline_at");--> statement-breakpoint
CREATE INDEX "cases_village_idx" ON "cases" USING btree ("village_code");--> statement-breakpoint
CREATE INDEX "cases_county_id_idx" ON "cases" USING btree ("county_code","id");--> statement-breakpoint
CREATE UNIQUE INDEX "cases_one_open_per_household" ON "cases" USING btree ("household_id") WHERE not "cases"."closed";--> statement-breakpoint
CREATE INDEX "facilities_region_idx" ON "facilities" USING btree ("region_code");--> statement-breakpoint
CREATE INDEX "households_village_idx" ON "households" USING btree ("village_code");--> statement-breakpoint
CREATE INDEX "idempotency_keys_created_idx" ON "idempotency_keys" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "members_id_number_idx" ON "members" USING btree ("id_number");--> statement-breakpoint
CREATE INDEX "regions_parent_idx" ON "regions" USING btree ("parent_code");