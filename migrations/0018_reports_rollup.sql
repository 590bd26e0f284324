CREATE TABLE "report_approvals" (
	"village_code" varchar(12) NOT NULL,
	"submitted_on" varchar(10) NOT NULL,
	"approved_on" varchar(10) NOT NULL,
	"n" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "report_approvals_pk" PRIMARY KEY("village_code","submitted_on","approved_on")
);
--> statement-breakpoint
CREATE TABLE "report_case_counts" (
	"village_code" varchar(12) NOT NULL,
	"state" text NOT NULL,
	"placement_mode" text DEFAULT '' NOT NULL,
	"households" integer DEFAULT 0 NOT NULL,
	"people" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "report_case_counts_pk" PRIMARY KEY("village_code","state","placement_mode")
);
--> statement-breakpoint
CREATE TABLE "report_category_counts" (
	"village_code" varchar(12) NOT NULL,
	"state" text NOT NULL,
	"category" text NOT NULL,
	"people" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "report_category_counts_pk" PRIMARY KEY("village_code","state","category")
);
--> statement-breakpoint
CREATE TABLE "report_flows" (
	"village_code" varchar(12) NOT NULL,
	"month" varchar(7) NOT NULL,
	"flow" text NOT NULL,
	"n" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "report_flows_pk" PRIMARY KEY("village_code","month","flow"),
	CONSTRAINT "report_flows_flow_check" CHECK ("report_flows"."flow" in ('survey', 'approval', 'placement', 'exit')),
	CONSTRAINT "report_flows_month_check" CHECK ("report_flows"."month" ~ '^[0-9]{4}-[0-9]{2}$')
);
--> statement-breakpoint
CREATE TABLE "report_revisits" (
	"village_code" varchar(12) NOT NULL,
	"month" varchar(7) NOT NULL,
	"on_time" integer DEFAULT 0 NOT NULL,
	"late" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "report_revisits_pk" PRIMARY KEY("village_code","month")
);
--> statement-breakpoint
ALTER TABLE "revisits" ADD COLUMN "due_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "cases_household_idx" ON "cases" USING btree ("household_id");--> statement-breakpoint
CREATE INDEX "cases_revisit_due_idx" ON "cases" USING btree ("county_code","deadline_at","village_code") WHERE not "cases"."closed" and "cases"."deadline_key" = 'revisit' and "cases"."deadline_at" is not null;