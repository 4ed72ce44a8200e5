-- Indexes only PostgreSQL needs, found by the plan test (tests/it/plan.rs); the schema
-- parity test lists them as PostgreSQL-only. Built inside the migration's transaction:
-- writes to these two tables wait while they are built, once.
--
-- A SQLite index holds the rowid after its key, so SQLite's `alert_deliveries_due
-- (next_attempt_ms)` is in fact ordered by (next_attempt_ms, id), which is what the outbox
-- claim orders by. A PostgreSQL index is not: with `id` spelled out, the claim reads the
-- first due rows in order instead of sorting every due row (a backlog after an outage) each
-- second on every node.
DROP INDEX alert_deliveries_due;
CREATE INDEX alert_deliveries_due ON alert_deliveries (next_attempt_ms, id)
    WHERE state = 'pending';

-- The issue list's tag filter (`browser:Firefox`): the issues that have seen a value are
-- found from the value, not by probing every tag of every issue of the project.
CREATE INDEX issue_tag_values_key_value ON issue_tag_values (key, value, issue_id);
