-- More per-project ingest settings: extra sensitive field names (a JSON array of distinct
-- lowercase strings, validated by the store), scrubbing of client IP addresses (off: IPs
-- are kept), and an optional event quota (both columns set, or both NULL).
ALTER TABLE projects ADD COLUMN sensitive_fields TEXT NOT NULL DEFAULT '[]';
ALTER TABLE projects ADD COLUMN scrub_ip_addresses INTEGER NOT NULL DEFAULT 0;
ALTER TABLE projects ADD COLUMN event_quota_limit INTEGER;
ALTER TABLE projects ADD COLUMN event_quota_window TEXT
    CHECK (event_quota_window IN ('day', 'month'));

-- Outcome counters now saturate at the largest integer. Before, a sum past it turned the
-- counter into a REAL; bring such counters back to integers (a REAL too large for an
-- integer casts to the largest one).
UPDATE outcomes SET quantity = CAST(quantity AS INTEGER) WHERE typeof(quantity) <> 'integer';
