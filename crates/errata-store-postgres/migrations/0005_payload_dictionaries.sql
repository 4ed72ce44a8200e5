-- zstd dictionaries trained on the installation's own event payloads (errata-store's
-- PayloadDictionary). The id is zstd's dictionary id (a 32-bit number), which every payload
-- compressed with it carries in its frame header; rows are never changed nor deleted,
-- since those payloads need their dictionary to decompress. The bytes are small (64 KB)
-- and read rarely: no storage tuning.

CREATE TABLE payload_dictionaries (
    id BIGINT PRIMARY KEY,
    created_ms BIGINT NOT NULL,
    bytes BYTEA NOT NULL
);
