-- The list filtered to open states (the console's first view) walks the newest open alerts in
-- this index and checks state, severity, source and labels in it, without reading a row until a
-- page is found; the other list indexes would read the row of every open alert of the severity
-- to check its labels (tens of milliseconds at a million alerts, seconds with a cold cache).
CREATE INDEX IF NOT EXISTS alerts_open_list_idx ON alerts (last_seen DESC, fingerprint DESC)
  INCLUDE (state, severity, source, labels)
  WHERE state IN ('firing', 'acknowledged', 'silenced');
-- It also serves the stats' count of open alerts by severity, which had an index of its own.
DROP INDEX IF EXISTS alerts_open_severity_idx;
