-- The file list's path search and the statistics' detected-per-minute count (issue 17 §3): both
-- read ranges of an index instead of every file. pg_trgm was created by 0007.
CREATE INDEX file_events_path_trgm ON file_events USING gin (path gin_trgm_ops);
CREATE INDEX file_events_detected ON file_events (detected_at);
