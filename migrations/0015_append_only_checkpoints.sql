-- Checkpoint ids are taken before the checkpoint row is written (its heads name it first).
CREATE SEQUENCE "audit_checkpoints_id_seq" AS bigint OWNED BY "audit_checkpoints"."id";
--> statement-breakpoint
-- One trigger function for every append-only table (audit_records keeps its own from 0001). A table guarded by
-- it is also treated as append-only by the runtime role's grants (src/db/roles.ts): INSERT and SELECT only.
CREATE FUNCTION "append_only_refuse_change"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'raise_exception',
          HINT = 'Append a new row; never change or remove an old one.';
END;
$$;
--> statement-breakpoint
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
