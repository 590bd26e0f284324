-- The history of money settings is append-only, with the trigger function of the accounts migration (0009).
CREATE TRIGGER "setting_history_append_only" BEFORE UPDATE OR DELETE ON "setting_history"
  FOR EACH ROW EXECUTE FUNCTION "append_only_refuse_change"();
--> statement-breakpoint
CREATE TRIGGER "setting_history_no_truncate" BEFORE TRUNCATE ON "setting_history"
  FOR EACH STATEMENT EXECUTE FUNCTION "append_only_refuse_change"();
