-- Web UI sessions and API token scopes.
--
-- Sessions: the cookie holds a secret, only its SHA-256 is stored. Each session has its
-- own CSRF token and slides: `expires_ms` moves ahead on use.
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    -- lookup by cookie
    secret_hash TEXT NOT NULL UNIQUE,
    csrf_token TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    last_seen_ms INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL
);
-- sessions of a user (ended by a password reset)
CREATE INDEX sessions_user ON sessions (user_id);
-- expired sessions (periodic cleanup)
CREATE INDEX sessions_expires ON sessions (expires_ms);

-- Tokens: scopes (space-separated Sentry names), last use, and always a user. Tokens
-- made before had no user: they become the owner's. Existing tokens get every scope
-- their user's role grants (owner and admin: all; member: reading and triage).
ALTER TABLE api_tokens ADD COLUMN scopes TEXT NOT NULL DEFAULT '';
ALTER TABLE api_tokens ADD COLUMN last_used_ms INTEGER;
UPDATE api_tokens SET user_id = (SELECT min(id) FROM users WHERE role = 'owner')
    WHERE user_id IS NULL;
DELETE FROM api_tokens WHERE user_id IS NULL;
UPDATE api_tokens SET scopes = CASE
    (SELECT role FROM users WHERE users.id = api_tokens.user_id)
    WHEN 'member' THEN 'project:read project:releases event:read event:write event:admin org:read member:read team:read'
    ELSE 'project:read project:write project:admin project:releases event:read event:write event:admin org:read org:write org:admin member:read member:write member:admin team:read team:write team:admin'
END;
-- tokens of a user (the token settings page)
CREATE INDEX api_tokens_user ON api_tokens (user_id, id);
