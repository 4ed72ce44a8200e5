-- Alerting: channels (where notifications go), rules (when), the outbox of deliveries
-- written in the transaction of the event that triggers them, each delivery's attempts,
-- each rule's last firing per issue (its cooldown), members' email opt-outs, and links
-- from issues to the tracker issues made from them.

CREATE TABLE alert_channels (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    target TEXT NOT NULL,
    secret TEXT,
    api_base TEXT,
    enabled INTEGER NOT NULL,
    created_ms INTEGER NOT NULL
);
-- a project's channels; project deletion
CREATE INDEX alert_channels_project ON alert_channels (project_id, id);

CREATE TABLE alert_rules (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    on_new_issue INTEGER NOT NULL,
    on_regression INTEGER NOT NULL,
    on_unignored INTEGER NOT NULL,
    frequency_count INTEGER,
    frequency_minutes INTEGER,
    users_count INTEGER,
    users_minutes INTEGER,
    min_level TEXT,
    environment TEXT,
    release TEXT,
    tag_key TEXT,
    tag_value TEXT,
    all_channels INTEGER NOT NULL,
    email_members INTEGER NOT NULL,
    cooldown_minutes INTEGER NOT NULL,
    created_ms INTEGER NOT NULL
);
-- a project's rules (read by every ingest batch touching the project)
CREATE INDEX alert_rules_project ON alert_rules (project_id, id);

-- The channels a rule names.
CREATE TABLE alert_rule_channels (
    rule_id INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    PRIMARY KEY (rule_id, channel_id)
) WITHOUT ROWID;
-- channel deletion
CREATE INDEX alert_rule_channels_channel ON alert_rule_channels (channel_id);

-- When each rule last fired for each issue.
CREATE TABLE alert_rule_issues (
    rule_id INTEGER NOT NULL,
    issue_id INTEGER NOT NULL,
    last_fired_ms INTEGER NOT NULL,
    PRIMARY KEY (rule_id, issue_id)
) WITHOUT ROWID;
-- issue deletion
CREATE INDEX alert_rule_issues_issue ON alert_rule_issues (issue_id);

-- The outbox: one row per notification per recipient (a channel or a member).
CREATE TABLE alert_deliveries (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL,
    channel_id INTEGER,
    user_id INTEGER,
    rule_id INTEGER,
    issue_id INTEGER NOT NULL,
    event_id BLOB,
    trigger TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    created_ms INTEGER NOT NULL,
    next_attempt_ms INTEGER NOT NULL,
    finished_ms INTEGER,
    last_error TEXT,
    claimed_by TEXT,
    lease_until_ms INTEGER
);
-- the dispatcher's claims: pending rows by due time
CREATE INDEX alert_deliveries_due ON alert_deliveries (next_attempt_ms) WHERE state = 'pending';
-- a project's delivery log; project deletion
CREATE INDEX alert_deliveries_project ON alert_deliveries (project_id, id DESC);
-- issue deletion
CREATE INDEX alert_deliveries_issue ON alert_deliveries (issue_id);
-- channel deletion
CREATE INDEX alert_deliveries_channel ON alert_deliveries (channel_id) WHERE channel_id IS NOT NULL;

CREATE TABLE alert_attempts (
    id INTEGER PRIMARY KEY,
    delivery_id INTEGER NOT NULL,
    at_ms INTEGER NOT NULL,
    status INTEGER,
    error TEXT,
    duration_ms INTEGER NOT NULL,
    result TEXT NOT NULL
);
-- a delivery's attempts
CREATE INDEX alert_attempts_delivery ON alert_attempts (delivery_id, id);

CREATE TABLE member_email_opt_outs (
    user_id INTEGER NOT NULL,
    project_id INTEGER NOT NULL,
    PRIMARY KEY (user_id, project_id)
) WITHOUT ROWID;
-- the members to email for a project; project deletion
CREATE INDEX member_email_opt_outs_project ON member_email_opt_outs (project_id);

CREATE TABLE issue_links (
    id INTEGER PRIMARY KEY,
    issue_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    url TEXT NOT NULL,
    reference TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);
-- an issue's links; issue deletion
CREATE INDEX issue_links_issue ON issue_links (issue_id, id);

-- Existing projects get the default rule new ones get (errata_store::RuleSpec::default_rule).
INSERT INTO alert_rules (project_id, name, enabled, on_new_issue, on_regression, on_unignored,
        all_channels, email_members, cooldown_minutes, created_ms)
    SELECT id, 'New issues and regressions', 1, 1, 1, 0, 1, 1, 30, created_ms FROM projects;
