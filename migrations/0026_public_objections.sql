-- Objections villagers lodge online through the public notice page (no account): who lodged them and how to
-- reach them (personal data: shown to the officers of the jurisdiction only, never in a public answer or a log),
-- the receipt number they were given (also the objection's id on the case), and the per-notice daily limit.
-- The objection itself lives on the case (FILE_OBJECTION with channel online, audited like any other).
CREATE TABLE "public_objections" (
	"receipt" text PRIMARY KEY NOT NULL,
	"case_id" uuid NOT NULL,
	"document_code" text NOT NULL,
	"lodged_on" date NOT NULL,
	"slot" integer NOT NULL,
	"name" text NOT NULL,
	"contact" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "public_objections_case_day_slot_unique" UNIQUE("case_id","lodged_on","slot"),
	CONSTRAINT "public_objections_slot_check" CHECK ("public_objections"."slot" >= 1),
	CONSTRAINT "public_objections_receipt_check" CHECK ("public_objections"."receipt" ~ '^W[0-9]{8}[0-9A-HJKMNP-TV-Z]{6}$')
);
--> statement-breakpoint
ALTER TABLE "public_objections" ADD CONSTRAINT "public_objections_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;
