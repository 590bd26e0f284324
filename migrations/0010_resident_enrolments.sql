CREATE TABLE "resident_enrolments" (
	"id_number" varchar(18) NOT NULL,
	"case_id" uuid NOT NULL,
	"member_id" uuid NOT NULL,
	CONSTRAINT "resident_enrolments_pk" PRIMARY KEY("id_number")
);
--> statement-breakpoint
ALTER TABLE "resident_enrolments" ADD CONSTRAINT "resident_enrolments_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "resident_enrolments" ADD CONSTRAINT "resident_enrolments_member_id_members_id_fk" FOREIGN KEY ("member_id") REFERENCES "public"."members"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "resident_enrolments_case_idx" ON "resident_enrolments" USING btree ("case_id");--> statement-breakpoint
CREATE INDEX "resident_enrolments_member_idx" ON "resident_enrolments" USING btree ("member_id");