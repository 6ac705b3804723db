-- Notification groups of any size at the cost of what changed. `dirty`: the member's alert
-- changed since its group last looked at it, so a flush reads these members and counts the
-- rest instead of reading them all. Existing members start dirty: the first flush of each group
-- compares them with what was told, which is what the router did for every member before.
ALTER TABLE notify_members ADD COLUMN dirty boolean NOT NULL DEFAULT true;
CREATE INDEX notify_members_dirty_idx ON notify_members (group_id) WHERE dirty;

-- An alert change finds the groups its alert belongs to (the primary key leads with the group).
CREATE INDEX IF NOT EXISTS notify_members_fingerprint_idx ON notify_members (fingerprint);
