ALTER TABLE "cases" ADD COLUMN "placement_mode" text;--> statement-breakpoint
ALTER TABLE "cases" ADD COLUMN "facility_id" uuid;--> statement-breakpoint
ALTER TABLE "facilities" ADD COLUMN "patients_per_medical_staff" integer;--> statement-breakpoint
ALTER TABLE "cases" ADD CONSTRAINT "cases_facility_id_facilities_id_fk" FOREIGN KEY ("facility_id") REFERENCES "public"."facilities"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "cases_facility_open_idx" ON "cases" USING btree ("facility_id") WHERE not "cases"."closed";--> statement-breakpoint
CREATE INDEX "cases_inbox_idx" ON "cases" USING btree ("state","review_level","deadline_at","id");