-- zstd dictionaries trained on the installation's own event payloads (errata-store's
-- PayloadDictionary). The id is zstd's dictionary id, which every payload compressed with
-- it carries in its frame header; rows are never changed nor deleted, since those payloads
-- need their dictionary to decompress.

CREATE TABLE payload_dictionaries (
    id INTEGER PRIMARY KEY,
    created_ms INTEGER NOT NULL,
    bytes BLOB NOT NULL
);
