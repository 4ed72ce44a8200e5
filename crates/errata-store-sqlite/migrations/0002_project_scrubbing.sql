-- Server-side data scrubbing is a per-project setting, on by default.
ALTER TABLE projects ADD COLUMN scrub_data INTEGER NOT NULL DEFAULT 1;
