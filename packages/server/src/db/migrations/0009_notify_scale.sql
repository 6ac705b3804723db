-- Notification groups of any size at the cost of what changed. `dirty`: the member's alert
-- changed since its group last looked at it, so a flush renders and rewrites only these members
-- and counts the rest. Existing members start dirty: the first flush of each group compares them
-- with what was told, which is what the router did for every member before.
ALTER TABLE notify_members ADD COLUMN dirty boolean NOT NULL DEFAULT true;
-- No index names `dirty`, `notified` or `instance_id`, and pages keep room to spare, so marking a
-- member and recording what it was told are updates in place (HOT) that touch no index.
ALTER TABLE notify_members SET (fillfactor = 80);

-- An alert change finds the groups its alert belongs to (the primary key leads with the group);
-- 0008 creates the same index for retention.
CREATE INDEX IF NOT EXISTS notify_members_fingerprint_idx ON notify_members (fingerprint);
