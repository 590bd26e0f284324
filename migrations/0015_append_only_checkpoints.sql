-- Checkpoint ids are taken before the checkpoint row is written (its heads name it first).
CREATE SEQUENCE "audit_checkpoints_id_seq" AS bigint OWNED BY "audit_checkpoints"."id";
--> statement-breakpoint
-- The checkpoint tables are append-only, with the trigger function of the accounts migration (0009).
CREATE TRIGGER "audit_checkpoints_append_only" BEFORE UPDATE OR DELETE ON "audit_checkpoints"
  FOR EACH ROW EXECUTE FUNCTION "append_only_refuse_change"();
--> statement-breakpoint
CREATE TRIGGER "audit_checkpoints_no_truncate" BEFORE TRUNCATE ON "audit_checkpoints"
  FOR EACH STATEMENT EXECUTE FUNCTION "append_only_refuse_change"();
--> statement-breakpoint
CREATE TRIGGER "audit_checkpoint_heads_append_only" BEFORE UPDATE OR DELETE ON "audit_checkpoint_heads"
  FOR EACH ROW EXECUTE FUNCTION "append_only_refuse_change"();
--> statement-breakpoint
CREATE TRIGGER "audit_checkpoint_heads_no_truncate" BEFORE TRUNCATE ON "audit_checkpoint_heads"
  FOR EACH STATEMENT EXECUTE FUNCTION "append_only_refuse_change"();
