-- Agent registry: one row per agent, keyed by the id of the API key (role agent) it signs in
-- with, so an agent's identity is its key and never something it says about itself. Online or
-- offline is computed from last_seen when read; `status` is the last transition recorded in
-- agent_status_history (by a heartbeat, or by the housekeeping pass when one stops coming).
CREATE TABLE agents (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  hostname text NOT NULL,
  version text NOT NULL,
  labels jsonb NOT NULL DEFAULT '{}',
  services jsonb NOT NULL DEFAULT '[]',
  grpc_address text,
  remote_address text,
  started_at timestamptz,
  registered_at timestamptz NOT NULL,
  first_seen timestamptz NOT NULL,
  last_seen timestamptz NOT NULL,
  status text NOT NULL CHECK (status IN ('online', 'offline')),
  status_at timestamptz NOT NULL
);
CREATE INDEX agents_last_seen_idx ON agents (last_seen);
CREATE INDEX agents_name_idx ON agents (name, id);

-- What users see of an agent's life: each registration, each time it went offline (at the moment
-- its last heartbeat became too old) and came back.
CREATE TABLE agent_status_history (
  id bigserial PRIMARY KEY,
  agent_id uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  at timestamptz NOT NULL,
  event text NOT NULL CHECK (event IN ('registered', 'online', 'offline')),
  detail text NOT NULL DEFAULT ''
);
CREATE INDEX agent_status_history_agent_idx ON agent_status_history (agent_id, at DESC, id DESC);
