CREATE TABLE "dividend_references" (
	"village_code" varchar(12) NOT NULL,
	"year" integer NOT NULL,
	"amount_fen" bigint NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"updated_by" text NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "dividend_references_pk" PRIMARY KEY("village_code","year"),
	CONSTRAINT "dividend_references_village_check" CHECK ("dividend_references"."village_code" ~ '^[0-9]{12}$'),
	CONSTRAINT "dividend_references_amount_check" CHECK ("dividend_references"."amount_fen" >= 0),
	CONSTRAINT "dividend_references_year_check" CHECK (year between 2000 and 2100)
);
--> statement-breakpoint
CREATE TABLE "household_income" (
	"household_id" uuid NOT NULL,
	"year" integer NOT NULL,
	"source" text NOT NULL,
	"amount_fen" bigint NOT NULL,
	"evidence" text NOT NULL,
	"case_id" uuid NOT NULL,
	"recorded_by" uuid NOT NULL,
	"recorded_at" timestamp with time zone NOT NULL,
	CONSTRAINT "household_income_pk" PRIMARY KEY("household_id","year","source"),
	CONSTRAINT "household_income_source_check" CHECK ("household_income"."source" in ('dibao', 'tekun', 'pension', 'assistance', 'disability_allowance', 'dividend_individual', 'dividend_collective', 'dividend_enterprise', 'care_fund')),
	CONSTRAINT "household_income_amount_check" CHECK ("household_income"."amount_fen" >= 0),
	CONSTRAINT "household_income_year_check" CHECK (year between 2000 and 2100)
);
--> statement-breakpoint
CREATE TABLE "setting_history" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"setting" text NOT NULL,
	"scope" text NOT NULL,
	"version" integer NOT NULL,
	"value" jsonb NOT NULL,
	"actor_id" uuid NOT NULL,
	"actor_username" text NOT NULL,
	"request_id" text,
	"at" timestamp with time zone NOT NULL,
	CONSTRAINT "setting_history_scope_check" CHECK ("setting_history"."scope" = 'global' or "setting_history"."scope" ~ '^[0-9]{2,12}$')
);
--> statement-breakpoint
ALTER TABLE "household_income" ADD CONSTRAINT "household_income_household_id_households_id_fk" FOREIGN KEY ("household_id") REFERENCES "public"."households"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "household_income" ADD CONSTRAINT "household_income_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "household_income_year_idx" ON "household_income" USING btree ("year","household_id");--> statement-breakpoint
CREATE INDEX "setting_history_setting_idx" ON "setting_history" USING btree ("setting","scope","id");