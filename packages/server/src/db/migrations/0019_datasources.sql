-- Data sources: the Prometheus, VictoriaMetrics and Alertmanager endpoints the platform reads
-- and (issue 16) renders rules for. The password or bearer token is sealed like channel
-- secrets (identity/secret-box.ts) and never returned.
CREATE TABLE datasources (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL UNIQUE,
  kind text NOT NULL CHECK (kind IN ('prometheus', 'victoriametrics', 'alertmanager')),
  url text NOT NULL,
  auth_type text NOT NULL CHECK (auth_type IN ('none', 'basic', 'bearer')),
  username text NOT NULL DEFAULT '',
  sealed_secret text,
  tls jsonb NOT NULL DEFAULT '{}',
  labels jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
