-- Ingestion locks the reported alerts and reads their instances in one call instead of three
-- statements: each round trip costs both processes a wake-up, which under load is a large part
-- of ingestion's CPU. A function (not one statement of CTEs) because a read must see what a
-- transaction it waited for committed: each statement in a function takes a new snapshot.
--
-- Alerts never seen are not created here (the ingestion's write inserts each whole, once, rather
-- than a placeholder row that is rewritten at once in every index). Two groups reporting the same
-- new alert are serialised by a transaction-scoped advisory lock per new fingerprint instead: the
-- second waits until the first commits, then finds the alert and locks its row.
CREATE FUNCTION alert_ingest_lock(fps text[], episode_fps text[], episode_starts timestamptz[])
RETURNS TABLE (
  locked boolean, fingerprint text, current_instance_id uuid,
  id uuid, starts_at timestamptz, severity text, state text, ended_by text,
  state_before_silence text, ends_at timestamptz, resolved_at timestamptz,
  acknowledged_at timestamptz, acknowledged_by text, closed_at timestamptz, generator_url text
)
LANGUAGE plpgsql AS $$
DECLARE
  fp text;
  waited boolean := false;
BEGIN
  -- One lock order everywhere (rows, then new fingerprints, each sorted): groups that share
  -- alerts wait for each other instead of deadlocking.
  PERFORM 1 FROM alerts a WHERE a.fingerprint = ANY(fps) ORDER BY a.fingerprint FOR NO KEY UPDATE;
  FOR fp IN
    SELECT f FROM unnest(fps) AS f
    WHERE NOT EXISTS (SELECT 1 FROM alerts a WHERE a.fingerprint = f) ORDER BY f
  LOOP
    PERFORM pg_advisory_xact_lock(1095521352, hashtext(fp));
    waited := true;
  END LOOP;
  IF waited THEN
    PERFORM 1 FROM alerts a WHERE a.fingerprint = ANY(fps) ORDER BY a.fingerprint FOR NO KEY UPDATE;
  END IF;
  RETURN QUERY
    SELECT true, a.fingerprint, a.current_instance_id, NULL::uuid, NULL::timestamptz, NULL::text,
           NULL::text, NULL::text, NULL::text, NULL::timestamptz, NULL::timestamptz,
           NULL::timestamptz, NULL::text, NULL::timestamptz, NULL::text
    FROM alerts a WHERE a.fingerprint = ANY(fps);
  RETURN QUERY
    SELECT false, i.fingerprint, NULL::uuid, i.id, i.starts_at, i.severity, i.state, i.ended_by,
           i.state_before_silence, i.ends_at, i.resolved_at, i.acknowledged_at, i.acknowledged_by,
           i.closed_at, i.generator_url
    FROM alert_instances i
    WHERE i.id IN (SELECT a.current_instance_id FROM alerts a WHERE a.fingerprint = ANY(fps))
    UNION
    SELECT false, i.fingerprint, NULL::uuid, i.id, i.starts_at, i.severity, i.state, i.ended_by,
           i.state_before_silence, i.ends_at, i.resolved_at, i.acknowledged_at, i.acknowledged_by,
           i.closed_at, i.generator_url
    FROM alert_instances i
    JOIN unnest(episode_fps, episode_starts) AS v(fp, starts) ON i.fingerprint = v.fp AND i.starts_at = v.starts;
END $$;
