-- Inbound filters per project (errata-store's InboundFilters): environments, release and
-- error-message glob patterns as JSON arrays of distinct strings (validated by the store),
-- and the built-in filters (web crawlers, browser extensions, localhost), all off.
ALTER TABLE projects ADD COLUMN filter_environments TEXT NOT NULL DEFAULT '[]';
ALTER TABLE projects ADD COLUMN filter_releases TEXT NOT NULL DEFAULT '[]';
ALTER TABLE projects ADD COLUMN filter_error_messages TEXT NOT NULL DEFAULT '[]';
ALTER TABLE projects ADD COLUMN filter_web_crawlers INTEGER NOT NULL DEFAULT 0;
ALTER TABLE projects ADD COLUMN filter_browser_extensions INTEGER NOT NULL DEFAULT 0;
ALTER TABLE projects ADD COLUMN filter_localhost INTEGER NOT NULL DEFAULT 0;
