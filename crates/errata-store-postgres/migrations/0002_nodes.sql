-- The nodes serving this database and when each last said it was alive: how many share
-- the rate limits. One row per running `errata serve`.

CREATE TABLE nodes (
    name TEXT COLLATE "C" PRIMARY KEY,
    seen_ms BIGINT NOT NULL
);
