-- The nodes serving this database and when each last said it was alive: how many share
-- the rate limits. One row per running `errata serve` (SQLite: the one node).

CREATE TABLE nodes (
    name TEXT PRIMARY KEY,
    seen_ms INTEGER NOT NULL
);
