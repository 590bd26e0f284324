-- audit_records is the tamper-evident history of every case (hash-chained per case by the application).
-- Rows are only ever inserted: refuse UPDATE and DELETE row by row, and TRUNCATE (which skips row triggers)
-- by a statement trigger. A superuser can still disable the trigger; the hash chain detects what follows.
CREATE FUNCTION "audit_records_refuse_change"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_records is append-only: % refused', TG_OP
    USING ERRCODE = 'raise_exception',
          HINT = 'Correct a case by appending a new audit record, never by changing an old one.';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "audit_records_append_only"
  BEFORE UPDATE OR DELETE ON "audit_records"
  FOR EACH ROW EXECUTE FUNCTION "audit_records_refuse_change"();
--> statement-breakpoint
CREATE TRIGGER "audit_records_no_truncate"
  BEFORE TRUNCATE ON "audit_records"
  FOR EACH STATEMENT EXECUTE FUNCTION "audit_records_refuse_change"();
