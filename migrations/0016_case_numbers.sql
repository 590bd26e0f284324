CREATE TABLE "case_number_counters" (
	"county_code" varchar(6) NOT NULL,
	"year" integer NOT NULL,
	"last" integer NOT NULL,
	CONSTRAINT "case_number_counters_pk" PRIMARY KEY("county_code","year"),
	CONSTRAINT "case_number_counters_county_check" CHECK ("case_number_counters"."county_code" ~ '^[0-9]{6}$'),
	CONSTRAINT "case_number_counters_year_check" CHECK ("case_number_counters"."year" between 1000 and 9999),
	CONSTRAINT "case_number_counters_last_check" CHECK ("case_number_counters"."last" >= 1)
);
--> statement-breakpoint
-- Case numbers (src/domain/caseNumber.ts). The column is added nullable, the cases opened before this migration
-- are numbered per county and year of opening (China time) in the order they were opened (opened_at, then id), the
-- counters are set to the last number given, and only then is the column made NOT NULL.
ALTER TABLE "cases" ADD COLUMN "case_number" text;--> statement-breakpoint
UPDATE "cases" c SET "case_number" = n."county_code" || '-' || n."year" || '-' || lpad(n."seq"::text, greatest(6, length(n."seq"::text)), '0')
FROM (
  SELECT "id", "county_code", extract(year FROM "opened_at" AT TIME ZONE 'Asia/Shanghai')::int AS "year",
    row_number() OVER (PARTITION BY "county_code", extract(year FROM "opened_at" AT TIME ZONE 'Asia/Shanghai') ORDER BY "opened_at", "id") AS "seq"
  FROM "cases"
) n
WHERE n."id" = c."id";--> statement-breakpoint
INSERT INTO "case_number_counters" ("county_code", "year", "last")
SELECT "county_code", extract(year FROM "opened_at" AT TIME ZONE 'Asia/Shanghai')::int, count(*)
FROM "cases" GROUP BY 1, 2;--> statement-breakpoint
ALTER TABLE "cases" ALTER COLUMN "case_number" SET NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "cases_case_number_unique" ON "cases" USING btree ("case_number");--> statement-breakpoint
ALTER TABLE "cases" ADD CONSTRAINT "cases_case_number_check" CHECK ("cases"."case_number" ~ '^[0-9]{6}-[0-9]{4}-[0-9]{6,}$');--> statement-breakpoint
ALTER TABLE "cases" ADD CONSTRAINT "cases_case_number_county_check" CHECK (left("cases"."case_number", 6) = "cases"."county_code");--> statement-breakpoint
ALTER TABLE "cases" ADD CONSTRAINT "cases_case_number_year_check" CHECK (substr("cases"."case_number", 8, 4) = to_char("cases"."opened_at" at time zone 'Asia/Shanghai', 'YYYY'));