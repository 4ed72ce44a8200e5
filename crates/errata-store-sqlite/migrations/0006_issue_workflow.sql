-- Per-project settings: events per minute accepted from the project (NULL: the
-- server's limits only). Then the issue workflow (resolve in a release, ignore with conditions, regressions), the
-- activity log, hourly counts for charts, release first-seen times, and the indexes of the
-- listing across projects and by other orders.

ALTER TABLE projects ADD COLUMN rate_limit_per_minute INTEGER;

-- How the issue was resolved: NULL (not resolved), 'now', 'next_release' or 'release'.
ALTER TABLE issues ADD COLUMN resolution TEXT;
-- The release of a 'release' resolution.
ALTER TABLE issues ADD COLUMN resolved_in_release TEXT;
-- Resolved in a release: only events whose release was first seen at or after this regress.
ALTER TABLE issues ADD COLUMN regress_from_release_ms INTEGER;
-- Ignored with conditions: the absolute thresholds and what was asked.
ALTER TABLE issues ADD COLUMN ignore_until_ms INTEGER;
ALTER TABLE issues ADD COLUMN ignore_until_times_seen INTEGER;
ALTER TABLE issues ADD COLUMN ignore_until_user_count INTEGER;
ALTER TABLE issues ADD COLUMN ignore_minutes INTEGER;
ALTER TABLE issues ADD COLUMN ignore_events INTEGER;
ALTER TABLE issues ADD COLUMN ignore_users INTEGER;
-- When the issue last regressed.
ALTER TABLE issues ADD COLUMN regressed_at_ms INTEGER;
UPDATE issues SET resolution = 'now' WHERE status = 'resolved';

-- the listing across projects (the default order, with and without a status filter)
CREATE INDEX issues_last_seen ON issues (last_seen_ms DESC, id DESC);
CREATE INDEX issues_status_last_seen ON issues (status, last_seen_ms DESC, id DESC);
-- expiry of "ignore for a while"
CREATE INDEX issues_ignore_until ON issues (ignore_until_ms) WHERE ignore_until_ms IS NOT NULL;

CREATE TABLE issue_activity (
    id INTEGER PRIMARY KEY,
    issue_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    user_id INTEGER,
    actor TEXT NOT NULL,
    detail TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);
-- an issue's log; issue deletion
CREATE INDEX issue_activity_issue ON issue_activity (issue_id, id);

-- Events per issue per hour; upserted by ingest once per (issue, hour) per batch.
CREATE TABLE issue_hours (
    issue_id INTEGER NOT NULL,
    hour_ms INTEGER NOT NULL,
    count INTEGER NOT NULL,
    -- upsert; an issue's hours since a time (charts, sparklines); issue deletion
    PRIMARY KEY (issue_id, hour_ms)
) WITHOUT ROWID;
INSERT INTO issue_hours (issue_id, hour_ms, count)
    SELECT issue_id, (timestamp_ms / 3600000) * 3600000, count(*) FROM events
    GROUP BY issue_id, (timestamp_ms / 3600000) * 3600000;

-- When each release was first seen in a project (resolve in next release / in release).
CREATE TABLE releases (
    project_id INTEGER NOT NULL,
    version TEXT NOT NULL,
    first_seen_ms INTEGER NOT NULL,
    PRIMARY KEY (project_id, version)
) WITHOUT ROWID;
INSERT INTO releases (project_id, version, first_seen_ms)
    SELECT project_id, release, min(received_ms) FROM events
    WHERE release IS NOT NULL GROUP BY project_id, release;
