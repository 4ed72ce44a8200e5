-- The initial schema. Times are Unix milliseconds, ids are rowids (i64), event ids are
-- 16-byte UUID blobs, hashes are 32-hex text, JSON and payloads are blobs.
-- Every query of the store has an index here; see the comment above each index.

CREATE TABLE organizations (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    is_admin INTEGER NOT NULL DEFAULT 0,
    created_ms INTEGER NOT NULL
);

CREATE TABLE projects (
    id INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    platform TEXT,
    -- The next issue short id of the project.
    next_short_id INTEGER NOT NULL DEFAULT 1,
    created_ms INTEGER NOT NULL,
    -- projects of an organization by slug
    UNIQUE (organization_id, slug)
);

CREATE TABLE project_keys (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects (id),
    -- ingest authentication
    public_key TEXT NOT NULL UNIQUE,
    secret_key TEXT NOT NULL,
    label TEXT NOT NULL,
    is_active INTEGER NOT NULL DEFAULT 1,
    created_ms INTEGER NOT NULL
);
-- keys of a project
CREATE INDEX project_keys_project ON project_keys (project_id, id);

CREATE TABLE issues (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects (id),
    short_id INTEGER NOT NULL,
    title TEXT NOT NULL,
    culprit TEXT NOT NULL,
    level TEXT NOT NULL,
    event_type TEXT NOT NULL,
    metadata BLOB NOT NULL,
    status TEXT NOT NULL,
    first_seen_ms INTEGER NOT NULL,
    last_seen_ms INTEGER NOT NULL,
    times_seen INTEGER NOT NULL,
    user_count INTEGER NOT NULL,
    first_release TEXT,
    last_release TEXT,
    resolved_at_ms INTEGER
);
-- issue listing without a status filter, newest activity first
CREATE INDEX issues_project_last_seen ON issues (project_id, last_seen_ms DESC, id DESC);
-- issue listing with a status filter (the default `is:unresolved`)
CREATE INDEX issues_project_status_last_seen
    ON issues (project_id, status, last_seen_ms DESC, id DESC);

-- Grouping: which issue owns a hash. Probed once per new hash per batch.
CREATE TABLE grouphashes (
    project_id INTEGER NOT NULL,
    hash TEXT NOT NULL,
    issue_id INTEGER NOT NULL,
    PRIMARY KEY (project_id, hash)
) WITHOUT ROWID;
-- issue deletion
CREATE INDEX grouphashes_issue ON grouphashes (issue_id);

CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL,
    event_id BLOB NOT NULL,
    issue_id INTEGER NOT NULL,
    received_ms INTEGER NOT NULL,
    timestamp_ms INTEGER NOT NULL,
    level TEXT NOT NULL,
    event_type TEXT NOT NULL,
    title TEXT NOT NULL,
    release TEXT,
    environment TEXT,
    user_key TEXT,
    -- zstd-compressed normalized event JSON, and its uncompressed length
    payload BLOB NOT NULL,
    payload_len INTEGER NOT NULL
);
-- duplicate detection at ingest; event by id
CREATE UNIQUE INDEX events_project_event_id ON events (project_id, event_id);
-- events of an issue (paged, newest first), latest event, issue deletion
CREATE INDEX events_issue ON events (issue_id, id DESC);

-- Per-issue tag value counts; the primary key serves the upsert, the issue's tag panel
-- and the `key:value` listing filter (EXISTS probe per issue). Distinct users are the
-- values of the `sentry:user` tag: no separate table, one random-insert B-tree less.
CREATE TABLE issue_tag_values (
    issue_id INTEGER NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    times_seen INTEGER NOT NULL,
    first_seen_ms INTEGER NOT NULL,
    last_seen_ms INTEGER NOT NULL,
    PRIMARY KEY (issue_id, key, value)
) WITHOUT ROWID;

CREATE TABLE attachments (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL,
    issue_id INTEGER NOT NULL,
    event_id BLOB NOT NULL,
    name TEXT NOT NULL,
    content_type TEXT,
    size INTEGER NOT NULL,
    data BLOB NOT NULL,
    created_ms INTEGER NOT NULL
);
-- attachments of an event
CREATE INDEX attachments_event ON attachments (project_id, event_id);
-- issue deletion
CREATE INDEX attachments_issue ON attachments (issue_id);

CREATE TABLE user_reports (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL,
    event_id BLOB NOT NULL,
    -- NULL until the event is stored
    issue_id INTEGER,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    comments TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);
-- linking a report to its event's issue
CREATE INDEX user_reports_event ON user_reports (project_id, event_id);
-- reports of an issue; issue deletion; "are reports waiting for their event?" (issue_id
-- IS NULL), asked once per ingest batch
CREATE INDEX user_reports_issue ON user_reports (issue_id, id DESC);

CREATE TABLE outcomes (
    project_id INTEGER NOT NULL,
    bucket_ms INTEGER NOT NULL,
    category TEXT NOT NULL,
    reason TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    -- upsert; totals of a project since a time
    PRIMARY KEY (project_id, bucket_ms, category, reason)
) WITHOUT ROWID;

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    user_id INTEGER REFERENCES users (id),
    -- verification
    token_hash TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);
