CREATE TABLE "audit_checkpoint_heads" (
	"checkpoint_id" bigint NOT NULL,
	"case_id" uuid NOT NULL,
	"seq" integer NOT NULL,
	"head" char(64),
	CONSTRAINT "audit_checkpoint_heads_pk" PRIMARY KEY("case_id","checkpoint_id")
);
--> statement-breakpoint
CREATE TABLE "audit_checkpoints" (
	"id" bigint PRIMARY KEY NOT NULL,
	"base_id" bigint NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"case_count" bigint NOT NULL,
	"changed_count" integer NOT NULL,
	"root" char(64) NOT NULL,
	"key_id" char(64) NOT NULL,
	"signature" text NOT NULL,
	CONSTRAINT "audit_checkpoints_base_unique" UNIQUE("base_id"),
	CONSTRAINT "audit_checkpoints_root_check" CHECK ("audit_checkpoints"."root" ~ '^[0-9a-f]{64}$'),
	CONSTRAINT "audit_checkpoints_base_check" CHECK ("audit_checkpoints"."base_id" >= 0 and "audit_checkpoints"."base_id" < "audit_checkpoints"."id")
);
