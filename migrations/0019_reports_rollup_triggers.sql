-- Report rollups (src/db/schemaReports.ts) kept exact by triggers, in the transaction of whatever writes the rows
-- they count, and filled from the existing rows at the end. The definitions the rollups must equal are the
-- recount queries of src/db/reportRollup.ts (tests compare the two after commands, races and timers).
--
-- Lock order: each trigger applies its deltas with one INSERT ... ON CONFLICT DO UPDATE whose rows are sorted
-- by the key, so two transactions take rollup rows in the same order within a statement.

-- Cases and people by (village, state, placement mode); people by (village, state, category).
CREATE FUNCTION "report_cases_rollup"() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  n_people int;
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.state = NEW.state AND OLD.placement_mode IS NOT DISTINCT FROM NEW.placement_mode
     AND OLD.village_code = NEW.village_code AND OLD.household_id = NEW.household_id THEN
    RETURN NULL;
  END IF;
  SELECT count(*)::int INTO n_people FROM members WHERE household_id = NEW.household_id;
  INSERT INTO report_case_counts AS r (village_code, state, placement_mode, households, people)
  SELECT d.village_code, d.state, d.mode, sum(d.h)::int, sum(d.p)::int FROM (
    SELECT NEW.village_code AS village_code, NEW.state AS state, coalesce(NEW.placement_mode, '') AS mode, 1 AS h, n_people AS p
    UNION ALL
    SELECT OLD.village_code, OLD.state, coalesce(OLD.placement_mode, ''), -1,
      -(SELECT count(*)::int FROM members WHERE household_id = OLD.household_id)
    WHERE TG_OP = 'UPDATE'
  ) d
  GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
  ON CONFLICT (village_code, state, placement_mode)
  DO UPDATE SET households = r.households + excluded.households, people = r.people + excluded.people;

  IF TG_OP = 'UPDATE' AND OLD.state = NEW.state AND OLD.village_code = NEW.village_code AND OLD.household_id = NEW.household_id THEN
    RETURN NULL; -- only the placement mode changed: categories are by state
  END IF;
  INSERT INTO report_category_counts AS r (village_code, state, category, people)
  SELECT d.village_code, d.state, d.category, sum(d.p)::int FROM (
    SELECT NEW.village_code AS village_code, NEW.state AS state, c.category, 1 AS p
      FROM members m CROSS JOIN LATERAL unnest(m.categories) AS c(category) WHERE m.household_id = NEW.household_id
    UNION ALL
    SELECT OLD.village_code, OLD.state, c.category, -1
      FROM members m CROSS JOIN LATERAL unnest(m.categories) AS c(category) WHERE TG_OP = 'UPDATE' AND m.household_id = OLD.household_id
  ) d
  GROUP BY 1, 2, 3 HAVING sum(d.p) <> 0 ORDER BY 1, 2, 3
  ON CONFLICT (village_code, state, category) DO UPDATE SET people = r.people + excluded.people;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "report_cases_rollup"
  AFTER INSERT OR UPDATE OF state, placement_mode, village_code, household_id ON "cases"
  FOR EACH ROW EXECUTE FUNCTION "report_cases_rollup"();
--> statement-breakpoint
-- A member added, removed or re-categorized counts for every case of the household (an exited case and a
-- newer open one share the household's member list).
CREATE FUNCTION "report_members_rollup"() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  hh uuid := CASE WHEN TG_OP = 'DELETE' THEN OLD.household_id ELSE NEW.household_id END;
  d_people int := CASE TG_OP WHEN 'INSERT' THEN 1 WHEN 'DELETE' THEN -1 ELSE 0 END;
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.categories = NEW.categories AND OLD.household_id = NEW.household_id THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'UPDATE' AND OLD.household_id <> NEW.household_id THEN
    RAISE EXCEPTION 'report rollups: a member does not move between households';
  END IF;
  IF d_people <> 0 THEN
    INSERT INTO report_case_counts AS r (village_code, state, placement_mode, households, people)
    SELECT c.village_code, c.state, coalesce(c.placement_mode, ''), 0, sum(d_people)::int
      FROM cases c WHERE c.household_id = hh
     GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (village_code, state, placement_mode) DO UPDATE SET people = r.people + excluded.people;
  END IF;
  INSERT INTO report_category_counts AS r (village_code, state, category, people)
  SELECT c.village_code, c.state, k.category, sum(k.p)::int
    FROM cases c CROSS JOIN (
      SELECT x.category, 1 AS p FROM unnest(CASE WHEN TG_OP = 'DELETE' THEN '{}'::text[] ELSE NEW.categories END) AS x(category)
      UNION ALL
      SELECT x.category, -1 FROM unnest(CASE WHEN TG_OP = 'INSERT' THEN '{}'::text[] ELSE OLD.categories END) AS x(category)
    ) k
   WHERE c.household_id = hh
   GROUP BY 1, 2, 3 HAVING sum(k.p) <> 0 ORDER BY 1, 2, 3
  ON CONFLICT (village_code, state, category) DO UPDATE SET people = r.people + excluded.people;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "report_members_rollup"
  AFTER INSERT OR DELETE OR UPDATE OF categories, household_id ON "members"
  FOR EACH ROW EXECUTE FUNCTION "report_members_rollup"();
--> statement-breakpoint
-- Monthly flows and approvals, from the audit trail as it is appended. An approval is the case entering
-- awaitingPlacement from the public notice; its application started at the latest SUBMIT_SURVEY or
-- REQUEST_REASSESSMENT before it (the machine's applicationSubmittedAt).
CREATE FUNCTION "report_audit_rollup"() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  v_flow text;
  v_village varchar(12);
  v_submitted timestamptz;
BEGIN
  v_flow := CASE
    WHEN NEW.event_type = 'SUBMIT_SURVEY' THEN 'survey'
    WHEN NEW.state_after = 'awaitingPlacement' AND NEW.state_before LIKE 'publicity%' THEN 'approval'
    WHEN NEW.event_type = 'PLACE' THEN 'placement'
    WHEN NEW.state_after = 'exited' AND NEW.state_before IS DISTINCT FROM 'exited' THEN 'exit'
  END;
  IF v_flow IS NULL THEN
    RETURN NULL;
  END IF;
  SELECT c.village_code INTO v_village FROM cases c WHERE c.id = NEW.case_id;
  INSERT INTO report_flows AS r (village_code, month, flow, n)
  VALUES (v_village, to_char(NEW.at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM'), v_flow, 1)
  ON CONFLICT (village_code, month, flow) DO UPDATE SET n = r.n + 1;
  IF v_flow = 'approval' THEN
    SELECT max(a.at) INTO v_submitted FROM audit_records a
     WHERE a.case_id = NEW.case_id AND a.seq < NEW.seq AND a.event_type IN ('SUBMIT_SURVEY', 'REQUEST_REASSESSMENT');
    IF v_submitted IS NOT NULL THEN
      INSERT INTO report_approvals AS r (village_code, submitted_on, approved_on, n)
      VALUES (v_village, to_char(v_submitted AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD'), to_char(NEW.at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD'), 1)
      ON CONFLICT (village_code, submitted_on, approved_on) DO UPDATE SET n = r.n + 1;
    END IF;
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "report_audit_rollup"
  AFTER INSERT ON "audit_records"
  FOR EACH ROW EXECUTE FUNCTION "report_audit_rollup"();
--> statement-breakpoint
-- Revisits on time or late by village and month: on time when the visit's China date is before the China date
-- its deadline (due_at, the start of the day after the due date) falls on. A revisit without due_at counts neither.
CREATE FUNCTION "report_revisits_rollup"() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  v_village varchar(12);
BEGIN
  IF NEW.due_at IS NULL THEN
    RETURN NULL;
  END IF;
  SELECT c.village_code INTO v_village FROM cases c WHERE c.id = NEW.case_id;
  INSERT INTO report_revisits AS r (village_code, month, on_time, late)
  VALUES (v_village, to_char(NEW.date, 'YYYY-MM'),
    (NEW.date < (NEW.due_at AT TIME ZONE 'Asia/Shanghai')::date)::int, (NEW.date >= (NEW.due_at AT TIME ZONE 'Asia/Shanghai')::date)::int)
  ON CONFLICT (village_code, month) DO UPDATE SET on_time = r.on_time + excluded.on_time, late = r.late + excluded.late;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "report_revisits_rollup"
  AFTER INSERT ON "revisits"
  FOR EACH ROW EXECUTE FUNCTION "report_revisits_rollup"();
--> statement-breakpoint
-- Backfill from the rows already there (the same definitions as src/db/reportRollup.ts).
INSERT INTO report_case_counts (village_code, state, placement_mode, households, people)
SELECT c.village_code, c.state, coalesce(c.placement_mode, ''), count(*)::int,
  coalesce(sum((SELECT count(*) FROM members m WHERE m.household_id = c.household_id)), 0)::int
FROM cases c GROUP BY 1, 2, 3;
--> statement-breakpoint
INSERT INTO report_category_counts (village_code, state, category, people)
SELECT c.village_code, c.state, k.category, count(*)::int
FROM cases c JOIN members m ON m.household_id = c.household_id CROSS JOIN LATERAL unnest(m.categories) AS k(category)
GROUP BY 1, 2, 3;
--> statement-breakpoint
INSERT INTO report_flows (village_code, month, flow, n)
SELECT c.village_code, to_char(a.at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM'), f.flow, count(*)::int
FROM audit_records a JOIN cases c ON c.id = a.case_id
CROSS JOIN LATERAL (SELECT CASE
    WHEN a.event_type = 'SUBMIT_SURVEY' THEN 'survey'
    WHEN a.state_after = 'awaitingPlacement' AND a.state_before LIKE 'publicity%' THEN 'approval'
    WHEN a.event_type = 'PLACE' THEN 'placement'
    WHEN a.state_after = 'exited' AND a.state_before IS DISTINCT FROM 'exited' THEN 'exit' END AS flow) f
WHERE f.flow IS NOT NULL
GROUP BY 1, 2, 3;
--> statement-breakpoint
INSERT INTO report_approvals (village_code, submitted_on, approved_on, n)
SELECT c.village_code, to_char(s.at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD'), to_char(a.at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD'), count(*)::int
FROM audit_records a JOIN cases c ON c.id = a.case_id
CROSS JOIN LATERAL (SELECT max(b.at) AS at FROM audit_records b
  WHERE b.case_id = a.case_id AND b.seq < a.seq AND b.event_type IN ('SUBMIT_SURVEY', 'REQUEST_REASSESSMENT')) s
WHERE a.state_after = 'awaitingPlacement' AND a.state_before LIKE 'publicity%' AND s.at IS NOT NULL
GROUP BY 1, 2, 3;
--> statement-breakpoint
INSERT INTO report_revisits (village_code, month, on_time, late)
SELECT c.village_code, to_char(r.date, 'YYYY-MM'), count(*) FILTER (WHERE r.date < (r.due_at AT TIME ZONE 'Asia/Shanghai')::date)::int,
  count(*) FILTER (WHERE r.date >= (r.due_at AT TIME ZONE 'Asia/Shanghai')::date)::int
FROM revisits r JOIN cases c ON c.id = r.case_id WHERE r.due_at IS NOT NULL
GROUP BY 1, 2;
