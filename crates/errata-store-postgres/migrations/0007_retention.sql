-- Retention. What each project stores, kept by ingest (per batch, a database-side
-- increment) and by every deletion, so that the disk budget, the per-project limit and the
-- storage page never scan the events table; seeded here from the events already stored.
CREATE TABLE project_usage (
    project_id BIGINT PRIMARY KEY,
    events BIGINT NOT NULL DEFAULT 0,
    -- compressed payload bytes plus attachment bytes
    stored_bytes BIGINT NOT NULL DEFAULT 0
);
INSERT INTO project_usage (project_id, events, stored_bytes)
    SELECT project_id, count(*), sum(octet_length(payload)) FROM events GROUP BY project_id;
UPDATE project_usage SET stored_bytes = stored_bytes + coalesce(
    (SELECT sum(size) FROM attachments AS a WHERE a.project_id = project_usage.project_id), 0);
-- a project's events oldest first: its event count limit and its oldest event
CREATE INDEX events_project_id ON events (project_id, id);
-- Retention deletes old rows continuously: vacuum the events table after 2% of it changed
-- (the default waits for 20%), so freed space is reused by new events sooner, and without
-- the cost-based sleeps that let a busy table outrun its vacuum.
ALTER TABLE events SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_cost_delay = 0);
ALTER TABLE attachments SET (autovacuum_vacuum_scale_factor = 0.02);
