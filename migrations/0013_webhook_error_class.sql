-- Failed delivery attempts used to keep up to 300 characters of the receiver's answer ("HTTP 500: <body>") and
-- the network error's text; a webhook pointed at an internal service showed what that service said. From now on
-- only a class is kept (HTTP 500, timeout, ECONNREFUSED, target refused: <reason>): scrub the old rows alike.
UPDATE "webhook_deliveries" SET "last_error" = 'HTTP ' || "last_status_code"
  WHERE "last_status_code" IS NOT NULL AND "last_error" IS NOT NULL AND "last_error" <> 'HTTP ' || "last_status_code";--> statement-breakpoint
UPDATE "webhook_deliveries" SET "last_error" = CASE
    WHEN "last_error" = 'timed out' THEN 'timeout'
    WHEN "last_error" = 'webhook not found' THEN "last_error"
    WHEN "last_error" ~ ': [A-Z0-9_]{2,40}$' THEN substring("last_error" from ': ([A-Z0-9_]{2,40})$')
    ELSE 'network error'
  END
  WHERE "last_status_code" IS NULL AND "last_error" IS NOT NULL;
