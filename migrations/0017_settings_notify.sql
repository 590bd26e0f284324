-- Every process holds the time settings in memory (the working-day calendar and the deadline policy, applied to
-- each deadline it computes). A change made through one process must reach the others within seconds, or two
-- processes compute different deadlines for the same step. These triggers NOTIFY channel 'doudi_settings' in the
-- changing transaction, so the notification is delivered exactly when the change commits (never for a change
-- rolled back, never lost between a commit and a notify sent afterwards). Payload: 'deadlines:<scope>' for a
-- settings row, 'calendar:<year>' for a calendar year (calendar_days change only together with their year's row).
-- The listeners (src/engine/timeSettings.ts refreshTimeSettings) reload by version; on a reconnect of their
-- listening connection they reload everything, as notifications sent while it was away are lost.
CREATE FUNCTION "settings_notify_change"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('doudi_settings', COALESCE(NEW.key, OLD.key) || ':' || COALESCE(NEW.scope, OLD.scope));
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "settings_notify"
  AFTER INSERT OR UPDATE OR DELETE ON "settings"
  FOR EACH ROW EXECUTE FUNCTION "settings_notify_change"();
--> statement-breakpoint
CREATE FUNCTION "calendar_years_notify_change"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('doudi_settings', 'calendar:' || COALESCE(NEW.year, OLD.year)::text);
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "calendar_years_notify"
  AFTER INSERT OR UPDATE OR DELETE ON "calendar_years"
  FOR EACH ROW EXECUTE FUNCTION "calendar_years_notify_change"();
