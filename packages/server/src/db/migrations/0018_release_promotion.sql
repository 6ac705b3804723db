-- Canary tasks wait for a person after their first batch (awaiting_promotion; promoted_by/at
-- record who let the rest go). A rollback leaves its targets `installed` at the version rolled
-- back to, so `rolled_back` was never an installation state anyone wrote: it goes.
ALTER TABLE release_tasks DROP CONSTRAINT release_tasks_state_check;
ALTER TABLE release_tasks ADD CONSTRAINT release_tasks_state_check CHECK (state IN
  ('awaiting_approval', 'pending', 'running', 'paused', 'awaiting_promotion', 'succeeded', 'failed', 'cancelled'));
ALTER TABLE release_tasks ADD COLUMN promoted_by text;
ALTER TABLE release_tasks ADD COLUMN promoted_at timestamptz;
UPDATE release_installations SET state = 'installed' WHERE state = 'rolled_back';
ALTER TABLE release_installations DROP CONSTRAINT release_installations_state_check;
ALTER TABLE release_installations ADD CONSTRAINT release_installations_state_check
  CHECK (state IN ('installed', 'failed', 'uninstalled'));
-- What the target had installed before a failed step: most deploy scripts switch atomically, so
-- it most likely still runs that, and a retry is an update from it.
ALTER TABLE release_installations ADD COLUMN previous_version text;
