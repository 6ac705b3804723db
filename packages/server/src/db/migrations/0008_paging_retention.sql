-- Indexes for cursor paging (each list's order ends in its id, so a page boundary between two
-- rows of the same time is exact) and for the retention pass, which deletes by age and by the
-- rows that reference what it deletes. An index that a wider one below serves as well is
-- dropped, so writes do not pay for both.

-- The outbox, the dead letters and the retention of delivered and discarded entries.
DROP INDEX notify_outbox_state_idx;
CREATE INDEX notify_outbox_state_page_idx ON notify_outbox (state, created_at DESC, id DESC);
CREATE INDEX notify_outbox_page_idx ON notify_outbox (created_at DESC, id DESC);

-- The delivery log by channel (and the rate limiter's last minute per channel) and by status.
DROP INDEX notify_attempts_channel_idx;
CREATE INDEX notify_attempts_channel_page_idx ON notify_attempts (channel_id, at DESC, id DESC);
CREATE INDEX notify_attempts_status_page_idx ON notify_attempts (status, at DESC, id DESC);

-- Silences by end (active, expired) with a tie-breaker.
CREATE INDEX silences_page_idx ON silences (ends_at, id);

-- The audit log by time, actor, action and resource prefix (LIKE 'prefix%' under any collation).
DROP INDEX audit_log_at_idx;
CREATE INDEX audit_log_page_idx ON audit_log (at DESC, id DESC);
CREATE INDEX audit_log_actor_idx ON audit_log (actor, at DESC, id DESC);
CREATE INDEX audit_log_action_idx ON audit_log (action, at DESC, id DESC);
CREATE INDEX audit_log_resource_idx ON audit_log (resource text_pattern_ops);

-- A closed alert's group memberships go with it; the primary key leads with the group.
CREATE INDEX IF NOT EXISTS notify_members_fingerprint_idx ON notify_members (fingerprint);
