-- Config sync (issue 16 §3): a peer whose configuration opsfleet renders, and every distinct
-- configuration it was given (a version is added only when the content hash changes).
CREATE TABLE sync_targets (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL UNIQUE,
  kind text NOT NULL CHECK (kind IN ('prometheus', 'vmalert', 'alertmanager')),
  -- The host whose ConfigAgent applies it.
  agent_id uuid,
  -- Prometheus/vmalert: the rule groups of this data source are its rules.
  datasource_id uuid REFERENCES datasources (id) ON DELETE SET NULL,
  -- Alertmanager: the operator's base configuration, the server URL its webhook posts to (as
  -- that host reaches the server) and where the ingest key file lives there.
  base_config text NOT NULL DEFAULT '',
  webhook_url text NOT NULL DEFAULT '',
  password_file text NOT NULL DEFAULT '',
  pinned_version integer,
  applied_version integer,
  last_attempt_at timestamptz,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sync_target_versions (
  target_id uuid NOT NULL REFERENCES sync_targets (id) ON DELETE CASCADE,
  version integer NOT NULL,
  hash text NOT NULL,
  files jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (target_id, version)
);
