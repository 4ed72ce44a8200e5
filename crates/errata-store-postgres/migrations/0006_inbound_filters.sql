-- Inbound filters per project (errata-store's InboundFilters), as SQLite's
-- 0010_inbound_filters.sql: environments, release and error-message glob patterns as JSON
-- arrays of distinct strings (validated by the store), and the built-in filters (web
-- crawlers, browser extensions, localhost), all off.
ALTER TABLE projects ADD COLUMN filter_environments TEXT COLLATE "C" NOT NULL DEFAULT '[]';
ALTER TABLE projects ADD COLUMN filter_releases TEXT COLLATE "C" NOT NULL DEFAULT '[]';
ALTER TABLE projects ADD COLUMN filter_error_messages TEXT COLLATE "C" NOT NULL DEFAULT '[]';
ALTER TABLE projects ADD COLUMN filter_web_crawlers BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE projects ADD COLUMN filter_browser_extensions BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE projects ADD COLUMN filter_localhost BOOLEAN NOT NULL DEFAULT FALSE;
