-- Alerts: one row per fingerprint (the label set), one instance per firing episode
-- (fingerprint, startsAt), and an append-only history of every state change. Nothing is deleted.
CREATE TABLE alerts (
  fingerprint text PRIMARY KEY,
  name text NOT NULL,
  labels jsonb NOT NULL,
  annotations jsonb NOT NULL,
  severity text NOT NULL,
  source text NOT NULL,
  state text NOT NULL,
  current_instance_id uuid,
  first_seen timestamptz NOT NULL,
  last_seen timestamptz NOT NULL
);
CREATE INDEX alerts_state_idx ON alerts (state, last_seen DESC);
CREATE INDEX alerts_labels_idx ON alerts USING gin (labels);

CREATE TABLE alert_instances (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  fingerprint text NOT NULL REFERENCES alerts (fingerprint),
  starts_at timestamptz NOT NULL,
  ends_at timestamptz,
  state text NOT NULL,
  state_before_silence text,
  last_seen timestamptz NOT NULL,
  acknowledged_at timestamptz,
  acknowledged_by text,
  resolved_at timestamptz,
  closed_at timestamptz,
  UNIQUE (fingerprint, starts_at)
);
CREATE INDEX alert_instances_open_idx ON alert_instances (state, last_seen) WHERE state IN ('firing', 'acknowledged', 'silenced');

CREATE TABLE alert_history (
  id bigserial PRIMARY KEY,
  instance_id uuid NOT NULL REFERENCES alert_instances (id),
  fingerprint text NOT NULL,
  at timestamptz NOT NULL DEFAULT now(),
  event text NOT NULL,
  from_state text,
  to_state text NOT NULL,
  actor text,
  note text
);
CREATE INDEX alert_history_instance_idx ON alert_history (instance_id, at);
