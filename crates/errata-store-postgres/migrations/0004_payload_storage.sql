-- Event payloads and attachments arrive compressed (zstd, by errata-store's Payload) or
-- are binary already: PostgreSQL's own TOAST compression (pglz) would spend CPU on every
-- insert trying to shrink them, and rarely gain a byte. EXTERNAL keeps out-of-line storage
-- for large values but skips the compression attempt.
ALTER TABLE events ALTER COLUMN payload SET STORAGE EXTERNAL;
ALTER TABLE attachments ALTER COLUMN data SET STORAGE EXTERNAL;
