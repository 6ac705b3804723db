-- Episodes: who ended an instance (its source, time, a person, or a newer episode of the same
-- alert; a source's resolve is final for its episode) and the sender's link back to the rule.
ALTER TABLE alert_instances ADD COLUMN ended_by text
  CHECK (ended_by IN ('source', 'time', 'user', 'superseded'));
ALTER TABLE alert_instances ADD COLUMN generator_url text;
-- The severity the episode fired with: the stats count episodes by it without joining alerts.
ALTER TABLE alert_instances ADD COLUMN severity text;
UPDATE alert_instances i SET severity = a.severity FROM alerts a WHERE a.fingerprint = i.fingerprint;

UPDATE alert_instances i SET ended_by = CASE h.event
    WHEN 'source_resolve' THEN 'source' WHEN 'expire' THEN 'time' ELSE 'user' END
FROM (
  SELECT DISTINCT ON (instance_id) instance_id, event FROM alert_history
  WHERE to_state = 'resolved' ORDER BY instance_id, id DESC
) h
WHERE i.id = h.instance_id AND i.state IN ('resolved', 'closed');

-- Indexes for every list order and filter of the alert API: newest first, by state, severity,
-- source; text search on trigrams (an ILIKE '%…%' that no b-tree can serve).
CREATE EXTENSION IF NOT EXISTS pg_trgm;
DROP INDEX alerts_state_idx;
CREATE INDEX alerts_list_idx ON alerts (last_seen DESC, fingerprint DESC);
CREATE INDEX alerts_state_list_idx ON alerts (state, last_seen DESC, fingerprint DESC);
CREATE INDEX alerts_severity_list_idx ON alerts (severity, last_seen DESC, fingerprint DESC);
CREATE INDEX alerts_source_list_idx ON alerts (source, last_seen DESC, fingerprint DESC);
CREATE INDEX alerts_text_idx ON alerts
  USING gin ((name || ' ' || labels::text || ' ' || annotations::text) gin_trgm_ops);
-- Open alerts by severity, for the stats' counts now.
CREATE INDEX alerts_open_severity_idx ON alerts (severity) WHERE state IN ('firing', 'acknowledged', 'silenced');

-- Housekeeping and the notification router join an open instance to its alert.
CREATE INDEX alerts_current_idx ON alerts (current_instance_id);
-- Detail: the history of one alert, newest first.
CREATE INDEX alert_history_fingerprint_idx ON alert_history (fingerprint, at DESC, id DESC);
-- Stats per time bucket (index-only: time and severity), MTTA and MTTR.
CREATE INDEX alert_instances_starts_idx ON alert_instances (starts_at, severity);
CREATE INDEX alert_instances_resolved_idx ON alert_instances (resolved_at, severity) WHERE resolved_at IS NOT NULL;
CREATE INDEX alert_instances_acknowledged_idx ON alert_instances (acknowledged_at) WHERE acknowledged_at IS NOT NULL;
-- Housekeeping: open instances past their endsAt, resolved ones due to be closed.
CREATE INDEX alert_instances_open_ends_idx ON alert_instances (ends_at)
  WHERE state IN ('firing', 'acknowledged', 'silenced');
CREATE INDEX alert_instances_resolved_state_idx ON alert_instances (resolved_at) WHERE state = 'resolved';
