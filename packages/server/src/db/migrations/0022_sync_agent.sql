-- The ConfigAgent's side of config sync (issue 16 §4). An Alertmanager target's ingest key: the
-- API key (role ingest) its webhook sends, kept sealed and bound to the target, handed only to
-- the target's agent, which writes it to password_file; its id, to revoke it with the target.
-- failing_since: when the current streak of failed syncs began (null while the last one
-- succeeded), the start of the alert episode that streak raises.
-- peer_health: what the ConfigAgent last saw of the peer itself (reachable, its own last reload
-- verdict), sent when it changes; peer_checked_at: when it was sent.
ALTER TABLE sync_targets
  ADD COLUMN ingest_key_id uuid,
  ADD COLUMN sealed_ingest_key text,
  ADD COLUMN failing_since timestamptz,
  ADD COLUMN peer_health jsonb,
  ADD COLUMN peer_checked_at timestamptz;
CREATE INDEX sync_targets_agent_idx ON sync_targets (agent_id);
